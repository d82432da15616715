import threading

from servicekit.testing import run_together


def test_every_call_runs_in_its_own_thread_at_once_and_answers_in_order():
    arrived = threading.Barrier(5, timeout=10)  # passes only if all five run at the same time

    def call(i):
        def run():
            arrived.wait()
            if i == 3:
                raise ValueError("three")
            return (i, threading.get_ident())

        return run

    results = run_together([call(i) for i in range(5)])

    assert isinstance(results[3], ValueError)
    answers = [r for r in results if not isinstance(r, Exception)]
    assert [i for i, _ in answers] == [0, 1, 2, 4]
    assert len({ident for _, ident in answers}) == 4
