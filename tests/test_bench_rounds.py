"""bench.run and bench.report: the flow target's client count is run several times and read as one."""

from pathlib import Path

from bench import run
from bench.report import markdown, median_flow_run, targets

ROOT = Path(__file__).resolve().parent.parent


def _run(flows_per_s: float, *, errors: int = 0, p99: float = 40.0, problems=()) -> dict:
    step = {"n": 100, "p50_ms": 5.0, "p95_ms": 20.0, "p99_ms": 30.0}
    return {
        "clients": 8,
        "flows_per_s": flows_per_s,
        "errors": errors,
        "errors_by_step": {"checkout": {"503": errors}} if errors else {},
        "steps": {"create": step, "apply": step, "checkout": {**step, "p99_ms": p99}},
        "server_cpu_ms_per_flow": {"cart": 9.0, "discount": 4.0, "payment": 3.0},
        "database_cpu_ms_per_flow": None,
        "client_cpu_share": 0.04,
        "invariants": {"paid": 10, "problems": list(problems)},
    }


def _report(flows: list[dict]) -> dict:
    read = {"rps": 3000.0, "rounds_rps": [3000], "p50_ms": 2.0, "p90_ms": 4.0, "p99_ms": 7.0}
    report = {
        "when": "now",
        "machine": "2 cores",
        "settings": {},
        "floor": {**read, "rps": 6000.0, "server_cpu_ms_per_request": 0.25},
        "databases": [
            {
                "database": "postgres",
                "hot_read": {**read, "server_cpu_ms_per_request": 0.6},
                "flows": flows,
                "sql_per_request": {"GET": 1},
            }
        ],
    }
    report["targets"] = targets(report)
    return report


def _flow_target(report: dict) -> dict:
    return next(t for t in report["targets"] if "flows/s at 8 clients" in t["target"])


def test_the_figure_is_the_median_run_and_every_run_is_shown():
    joined = median_flow_run([_run(118.0), _run(104.5), _run(96.0)])

    assert joined["flows_per_s"] == 104.5
    assert [r["flows_per_s"] for r in joined["rounds"]] == [118.0, 104.5, 96.0]
    row = next(
        line for line in markdown(_report([joined])).splitlines() if "| postgres | 8 |" in line
    )
    assert "| 104.5 (118.0 / 104.5 / 96.0) |" in row
    target = _flow_target(_report([joined]))
    assert target["met"] is True
    assert target["measured"].startswith("104.5/s (median of 3 runs)")


def test_a_median_below_the_target_misses_it_however_fast_one_run_was():
    target = _flow_target(_report([median_flow_run([_run(130.0), _run(97.0), _run(95.0)])]))

    assert target["met"] is False


def test_errors_of_any_run_count_and_miss_the_target():
    joined = median_flow_run([_run(110.0, errors=2), _run(105.0), _run(101.0)])

    assert joined["flows_per_s"] == 105.0  # the median run had none
    assert joined["errors"] == 2
    assert joined["errors_by_step"] == {"checkout": {"503": 2}}
    assert _flow_target(_report([joined]))["met"] is False


def test_a_slow_step_in_any_run_misses_the_target():
    joined = median_flow_run([_run(110.0, p99=180.0), _run(105.0), _run(101.0)])

    target = _flow_target(_report([joined]))

    assert target["met"] is False
    assert "worst step p99 180 ms" in target["measured"]


def test_a_broken_invariant_of_any_run_is_reported_once():
    joined = median_flow_run(
        [
            _run(110.0, problems=["cart x paid twice"]),
            _run(105.0),
            _run(101.0, problems=["cart x paid twice"]),
        ]
    )

    assert joined["invariants"]["problems"] == ["cart x paid twice"]


def test_a_step_without_samples_does_not_hide_another_runs_slow_step():
    nothing = _run(0.0, errors=40)
    nothing["steps"]["checkout"]["p99_ms"] = float("nan")  # every flow failed before it

    joined = median_flow_run([nothing, _run(105.0, p99=180.0), _run(101.0)])

    assert joined["worst_step_p99_ms"] == 180.0


def test_one_run_is_itself():
    single = _run(50.0)

    assert median_flow_run([single]) is single
    row = next(
        line for line in markdown(_report([single])).splitlines() if "| postgres | 8 |" in line
    )
    assert "| 50.0 |" in row


def test_only_the_targets_client_count_is_run_several_times(monkeypatch, tmp_path):
    calls = []

    def flow_run(stack, clients, seconds, database_pid):
        calls.append(clients)
        return {**_run(90.0 + len(calls)), "clients": clients}

    class FakeStack:
        _procs = {name: type("Proc", (), {"pid": 1})() for name in ("discount", "catalog")}

        def url(self, name):
            return f"http://127.0.0.1:1/{name}"

    class FakeFloor:
        def __init__(self, log, database_url=None):
            self.url, self.proc = "http://127.0.0.1:1", type("Proc", (), {"pid": 2})()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    class Services:
        def __enter__(self):
            return FakeStack(), {"discount": "sqlite:///x"}, None

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(run, "services_on", lambda *a, **k: Services())
    monkeypatch.setattr(run, "create_code", lambda stack: None)
    monkeypatch.setattr(run, "hot_read", lambda *a, **k: {})
    monkeypatch.setattr(run, "sql_counts", lambda stack: {})
    monkeypatch.setattr(run, "code_batches", lambda stack: {})
    monkeypatch.setattr(run.invariants, "report", lambda urls: {"paid": 1, "problems": []})
    monkeypatch.setattr(run, "flow_run", flow_run)
    monkeypatch.setattr(run, "memory_of", lambda masters: {})
    monkeypatch.setattr(run, "Floor", FakeFloor)
    args = type("Args", (), {"observability_env": {}, "duration": 1.0, "clients": [1, 4, 8, 16]})()

    result = run.bench_database("sqlite", args, tmp_path)

    assert calls == [1, 4, 8, 8, 8, 16]
    assert [f["clients"] for f in result["flows"]] == [1, 4, 8, 16]
    assert [r["flows_per_s"] for r in result["flows"][2]["rounds"]] == [93.0, 94.0, 95.0]
    assert result["flows"][2]["flows_per_s"] == 94.0
