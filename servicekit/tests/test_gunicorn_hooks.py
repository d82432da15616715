import contextlib
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import time
import weakref
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn import util

from servicekit.perf import gunicorn_hooks

KIT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_request_gunicorn_cannot_parse_is_answered_problem_json():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        gunicorn_hooks.write_problem_error(ours, 400, "Bad Request", "Request Line is too large")
        raw = theirs.recv(65536).decode("latin-1")

    head, _, body = raw.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 400 Bad Request\r\n")
    assert "Content-Type: application/problem+json" in head
    assert f"Content-Length: {len(body)}" in head
    assert json.loads(body)["code"] == "malformed_request"
    assert json.loads(body)["detail"] == "Request Line is too large"


def test_installing_replaces_gunicorns_html_error_page():
    original = util.write_error
    try:
        gunicorn_hooks.install()
        assert util.write_error is gunicorn_hooks.write_problem_error
    finally:
        util.write_error = original


# --- One CPU per worker ----------------------------------------------------------------


def test_workers_that_fill_the_cpus_each_get_the_least_used_one():
    assert gunicorn_hooks.worker_cpu({0, 1}, 2, []) == 0
    assert gunicorn_hooks.worker_cpu({0, 1}, 2, [0]) == 1
    assert gunicorn_hooks.worker_cpu({2, 5, 7}, 4, [2, 5, 7]) == 2
    # a replacement for the worker that ran on 0 takes 0 again, not 1 twice
    assert gunicorn_hooks.worker_cpu({0, 1}, 2, [1]) == 0


def test_workers_fewer_than_the_cpus_or_one_cpu_are_left_to_the_kernel():
    assert gunicorn_hooks.worker_cpu({0, 1, 2, 3}, 2, []) is None
    assert gunicorn_hooks.worker_cpu({3}, 2, []) is None


def test_the_policy_is_auto_or_off_and_nothing_else():
    # unset: auto where the workers accept balanced, off where they race
    assert gunicorn_hooks.cpu_affinity_policy(None, balanced=True) == "auto"
    assert gunicorn_hooks.cpu_affinity_policy(" ", balanced=True) == "auto"
    assert gunicorn_hooks.cpu_affinity_policy(None, balanced=False) == "off"
    assert gunicorn_hooks.cpu_affinity_policy("", balanced=False) == "off"
    assert gunicorn_hooks.cpu_affinity_policy(" AUTO ", balanced=False) == "auto"
    assert gunicorn_hooks.cpu_affinity_policy("off", balanced=True) == "off"
    with pytest.raises(ValueError, match="GUNICORN_CPU_AFFINITY must be auto or off"):
        gunicorn_hooks.cpu_affinity_policy("always", balanced=True)


def test_a_worker_whose_cpu_was_taken_away_boots_unpinned(monkeypatch):
    def refuse(pid, cpus):
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(os, "sched_setaffinity", refuse)
    warnings = []
    server = SimpleNamespace(log=SimpleNamespace(warning=lambda *a: warnings.append(a)))
    worker = SimpleNamespace(pid=4242, cpu=1)

    gunicorn_hooks.pin_to_cpu(server, worker)  # does not raise: the worker must boot

    [(message, *_)] = warnings
    assert "left to the kernel" in message


APP = """
import os


def application(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()]


def _cpus(pid: int) -> set[int]:
    """The CPUs a process may run on, from /proc (what the kernel enforces)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            cpus: set[int] = set()
            for part in line.split(":", 1)[1].strip().split(","):
                first, _, last = part.partition("-")
                cpus.update(range(int(first), int(last or first) + 1))
            return cpus
    raise AssertionError(f"no Cpus_allowed_list for {pid}")


def _wait(condition, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def _gunicorn(tmp_path, cpus: set[int], app: str = APP, **env: str):
    """A real gunicorn master with the services' settings, confined to ``cpus``."""
    (tmp_path / "app.py").write_text(app)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:servicekit.gunicorn_conf",
            "app:application",
        ],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(tmp_path), str(KIT), os.environ.get("PYTHONPATH", "")]
            ),
            "BIND": f"127.0.0.1:{port}",
            "SERVICE_NAME": "affinity-test",
            "PROMETHEUS_MULTIPROC_DIR": "",
            "GUNICORN_CPU_AFFINITY": "",
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),
    )
    proc.port = port
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _workers(proc, n: int) -> list[int]:
    return _wait(lambda: len(_children(proc.pid)) == n and _children(proc.pid), f"{n} workers")


def _answered_by_each(proc, workers: list[int]) -> None:
    """Until every worker has answered a request, so has been through post_fork."""
    seen: set[int] = set()

    def answered() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", proc.port), timeout=2) as conn:
                conn.sendall(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
                raw = conn.makefile("rb").read()
                seen.add(int(raw.partition(b"\r\n\r\n")[2]))
        except OSError:
            pass
        return seen >= set(workers)

    _wait(answered, f"an answer from each of {workers}")


def _two_cpus() -> set[int]:
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        pytest.skip("needs a machine with two CPUs")
    return set(allowed[:2])


@pytest.mark.parametrize("policy", ["", "auto"], ids=["default", "auto"])
def test_gunicorn_runs_each_worker_on_its_own_cpu_and_a_replacement_on_the_freed_one(
    tmp_path, policy
):
    cpus = _two_cpus()
    with _gunicorn(tmp_path, cpus, WEB_CONCURRENCY="2", GUNICORN_CPU_AFFINITY=policy) as proc:
        first, second = _workers(proc, 2)
        # pinned in post_fork: wait until both workers have run it
        _wait(lambda: len(_cpus(first)) == 1 and len(_cpus(second)) == 1, "pinned workers")
        assert _cpus(first) | _cpus(second) == cpus
        assert _cpus(proc.pid) == cpus  # the master is not pinned

        kept_cpu = _cpus(second)
        os.kill(first, signal.SIGKILL)
        replacement = _wait(
            lambda: next((p for p in _children(proc.pid) if p not in (first, second)), None),
            "a replacement worker",
        )
        _wait(lambda: len(_cpus(replacement)) == 1, "the replacement pinned")
        assert _cpus(replacement) == cpus - kept_cpu
        assert _cpus(second) == kept_cpu


@pytest.mark.parametrize(
    "env",
    [
        {"WEB_CONCURRENCY": "2", "GUNICORN_CPU_AFFINITY": "off"},
        # fewer workers than CPUs: the kernel balances them
        {"WEB_CONCURRENCY": "1", "GUNICORN_CPU_AFFINITY": "auto"},
        # workers that race to accept: not pinned unless asked
        {"WEB_CONCURRENCY": "2", "GUNICORN_ACCEPT_YIELD_MS": "0"},
        {"WEB_CONCURRENCY": "2", "GUNICORN_WORKER_CLASS": "sync", "GUNICORN_THREADS": "1"},
        # gunicorn turns sync with threads into its own plain gthread
        {"WEB_CONCURRENCY": "2", "GUNICORN_WORKER_CLASS": "sync"},
        # each worker on a socket of its own: nothing to balance
        {"WEB_CONCURRENCY": "2", "GUNICORN_CMD_ARGS": "--reuse-port"},
    ],
    ids=["off", "fewer-workers-than-cpus", "racing-gthread", "sync", "plain-gthread", "reuse-port"],
)
def test_gunicorn_leaves_workers_to_the_kernel_when_pinning_is_off_or_would_crowd(tmp_path, env):
    cpus = _two_cpus()
    with _gunicorn(tmp_path, cpus, **env) as proc:
        workers = _workers(proc, int(env["WEB_CONCURRENCY"]))
        _answered_by_each(proc, workers)
        assert [_cpus(w) for w in workers] == [cpus] * len(workers)


def test_gunicorn_refuses_an_unknown_cpu_affinity(tmp_path):
    cpus = _two_cpus()
    with _gunicorn(tmp_path, cpus, GUNICORN_CPU_AFFINITY="sometimes") as proc:
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode != 0
    assert b"GUNICORN_CPU_AFFINITY must be auto or off, not 'sometimes'" in out


# --- Connections spread over the workers (servicekit.perf.gunicorn_worker) --------------------


def test_the_accept_yield_is_milliseconds_and_nothing_with_one_worker():
    assert gunicorn_hooks.accept_yield(None, 2) == 0.002
    assert gunicorn_hooks.accept_yield(" 50 ", 4) == 0.05
    assert gunicorn_hooks.accept_yield("0", 2) == 0.0
    assert gunicorn_hooks.accept_yield("50", 1) == 0.0  # no sibling to yield to
    for bad in ("soon", "-1", "10001", "nan"):
        with pytest.raises(ValueError, match="GUNICORN_ACCEPT_YIELD_MS must be a number"):
            gunicorn_hooks.accept_yield(bad, 2)
    with pytest.raises(ValueError, match="GUNICORN_ACCEPT_YIELD_MS must be a number"):
        gunicorn_hooks.accept_yield("soon", 1)  # refused even where it would not be used


def test_the_accept_yield_is_nothing_where_each_worker_has_its_own_socket(monkeypatch):
    monkeypatch.setenv("GUNICORN_ACCEPT_YIELD_MS", "5")
    shared = SimpleNamespace(reuse_port=False, workers=2)
    assert gunicorn_hooks.balanced_accept_yield(shared) == 0.005
    assert gunicorn_hooks.balanced_accept_yield(SimpleNamespace(reuse_port=True, workers=2)) == 0


class _KeptAlive:
    """A client connection kept open after its request: the worker that answered holds it."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.worker: int | None = None

    def ask(self) -> int:
        self.send()
        return self.answer()

    def send(self) -> None:
        self.sock.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")

    def answer(self) -> int:
        raw = b""
        while b"\r\n\r\n" not in raw:
            raw += self.sock.recv(4096)
        head, _, body = raw.partition(b"\r\n\r\n")
        length = next(
            int(h.split(b":")[1])
            for h in head.split(b"\r\n")
            if h.lower().startswith(b"content-length")
        )
        while len(body) < length:
            body += self.sock.recv(4096)
        self.worker = int(body)
        return self.worker

    def close(self):
        self.sock.close()


def _burst(port: int, n: int) -> list[_KeptAlive]:
    """``n`` connections opened at once, as a client's pool does, then one request on each."""
    held = [_KeptAlive(port) for _ in range(n)]
    for conn in held:
        conn.ask()
    return held


# A long yield and keep-alive, so that a loaded CI machine wakes the sibling in time.
BALANCED = {"GUNICORN_ACCEPT_YIELD_MS": "500", "GUNICORN_CMD_ARGS": "--keep-alive 30"}


@pytest.mark.parametrize("clients", [4, 8])
def test_gunicorn_spreads_a_burst_of_keep_alive_connections_over_its_workers(tmp_path, clients):
    # On one CPU the worker that wakes first runs on and accepts the whole burst unless
    # it steps aside: with plain gthread one worker took 6 of 8, or 4 of 4.
    cpus = {min(os.sched_getaffinity(0))}
    with _gunicorn(tmp_path, cpus, WEB_CONCURRENCY="2", GUNICORN_THREADS="4", **BALANCED) as proc:
        workers = _workers(proc, 2)
        _answered_by_each(proc, workers)
        held = _burst(proc.port, clients)
        try:
            counts = [sum(c.worker == w for c in held) for w in workers]
            assert counts == [clients // 2] * 2
        finally:
            for conn in held:
                conn.close()


def test_gunicorn_answers_new_connections_while_a_worker_is_frozen(tmp_path):
    cpus = set(os.sched_getaffinity(0))
    with _gunicorn(tmp_path, cpus, WEB_CONCURRENCY="2", GUNICORN_THREADS="1", **BALANCED) as proc:
        frozen, live = workers = _workers(proc, 2)
        _answered_by_each(proc, workers)
        os.kill(frozen, signal.SIGSTOP)
        try:
            # the live worker holds one connection per thread and keeps accepting: each
            # new connection waits one yield for a sibling, then the live worker takes it
            held = [_KeptAlive(proc.port) for _ in range(3)]
            assert [c.ask() for c in held] == [live] * 3
            for conn in held:
                conn.close()
        finally:
            os.kill(frozen, signal.SIGCONT)


def test_gunicorn_refuses_an_accept_yield_that_is_not_milliseconds(tmp_path):
    with _gunicorn(tmp_path, set(os.sched_getaffinity(0)), GUNICORN_ACCEPT_YIELD_MS="soon") as proc:
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode != 0
    assert b"GUNICORN_ACCEPT_YIELD_MS must be a number of milliseconds" in out


def test_connection_counts_are_shared_with_forked_workers_and_slots_are_reused():
    counts = gunicorn_hooks.ConnectionCounts(slots=4)
    first, second = counts.claim(set()), counts.claim({0})
    assert (first, second) == (0, 1)

    pid = os.fork()
    if pid == 0:  # a worker writes its own slot
        counts.publish(second, 3)
        counts.pause(second, 123.0)
        os._exit(0)
    os.waitpid(pid, 0)

    assert counts.holding_fewer(first, 5) == [123.0]  # the parent sees the child's writes
    assert counts.holding_fewer(first, 3) == []  # 3 is not fewer than 3
    assert counts.holding_fewer(second, 1) == [0.0]
    counts.free(second)
    assert counts.holding_fewer(first, 5) == []  # a free slot is no sibling
    assert counts.claim({first}) == second  # the replacement takes the freed slot
    assert counts.claim({0, 1, 2, 3}) is None


def test_the_master_gives_each_worker_a_free_slot_and_frees_it_when_it_exits():
    live = SimpleNamespace(connection_slot=0)
    new = SimpleNamespace()
    server = SimpleNamespace(WORKERS={101: live})
    gunicorn_hooks.claim_connection_slot(server, new)
    assert new.connection_slot == 1
    gunicorn_hooks.free_connection_slot(server, live)
    again = SimpleNamespace()
    gunicorn_hooks.claim_connection_slot(SimpleNamespace(WORKERS={102: new}), again)
    assert again.connection_slot == 0
    for worker in (new, again):
        gunicorn_hooks.free_connection_slot(server, worker)


def test_a_worker_whose_connections_closed_accepts_again_before_its_pause_ends(tmp_path):
    # A pause of 10 s: a connection that waited for it would time out on the client.
    cpus = set(os.sched_getaffinity(0))
    env = {"GUNICORN_ACCEPT_YIELD_MS": "10000", "GUNICORN_CMD_ARGS": "--keep-alive 30"}
    with _gunicorn(tmp_path, cpus, WEB_CONCURRENCY="2", GUNICORN_THREADS="1", **env) as proc:
        workers = _workers(proc, 2)
        first = _KeptAlive(proc.port)
        busy = first.ask()
        [idle] = [w for w in workers if w != busy]
        # the worker holding `first` leaves `second` to its idle sibling and pauses; the
        # sibling is frozen until then, so the pause is certain
        os.kill(idle, signal.SIGSTOP)
        second = _KeptAlive(proc.port)
        second.send()
        time.sleep(0.5)  # the busy worker sees it, and steps aside
        os.kill(idle, signal.SIGCONT)
        assert second.answer() == idle
        first.close()  # the paused worker now holds none: it must not sit out its pause
        time.sleep(0.5)  # it sees the close
        third = _KeptAlive(proc.port)
        third.sock.settimeout(3)
        assert third.ask() == busy
        second.close()
        third.close()


FROZEN_APP = """
import gc
import os

# What a preloaded app holds: objects the master builds before it forks.
PRELOADED = [[n] for n in range(50_000)]  # lists: always tracked by the GC


def application(environ, start_response):
    body = f"{os.getpid()} {gc.get_freeze_count()}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


def _freeze_counts(proc, workers: list[int]) -> dict[int, int]:
    """Each worker's count of objects in the GC's permanent generation, from its answer."""
    counts: dict[int, int] = {}

    def answered() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", proc.port), timeout=2) as conn:
                conn.sendall(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
                pid, count = conn.makefile("rb").read().partition(b"\r\n\r\n")[2].split()
                counts[int(pid)] = int(count)
        except (OSError, ValueError):  # refused, reset, or cut short while a worker starts
            pass
        return set(counts) >= set(workers)

    _wait(answered, f"an answer from each of {workers}")
    return counts


def test_workers_fork_with_the_preloaded_app_out_of_their_collections(tmp_path):
    cpus = set(os.sched_getaffinity(0))
    with _gunicorn(tmp_path, cpus, app=FROZEN_APP, WEB_CONCURRENCY="2") as proc:
        workers = _workers(proc, 2)
        counts = _freeze_counts(proc, workers)
        assert all(counts[w] >= 50_000 for w in workers), counts

        # a worker forked later, to replace a dead one, too
        os.kill(workers[0], signal.SIGKILL)
        replacement = _wait(
            lambda: next((p for p in _children(proc.pid) if p not in workers), None),
            "a replacement worker",
        )
        assert _freeze_counts(proc, [replacement])[replacement] >= 50_000


def test_freezing_collects_the_garbage_first_instead_of_keeping_it():
    class Node:
        pass

    gc.disable()  # no automatic collection frees it first
    try:
        cycle = Node()
        cycle.itself = cycle  # only the cyclic collector can free it
        gone = weakref.ref(cycle)
        del cycle
        gunicorn_hooks.freeze_preloaded()
        assert gone() is None
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()
