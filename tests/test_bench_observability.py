"""python -m bench.run --observability: what each mode sets in the services' environment."""

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bench import drivers, procfs, run, servers
from bench.observability_overhead import DropReceiver, observability_env
from bench.report import _rounds, markdown, targets

ROOT = Path(__file__).resolve().parent.parent


def test_off_turns_metrics_off_and_leaves_tracing_off():
    assert observability_env("off", None) == {"METRICS_ENABLED": "false"}


def test_metrics_is_the_default_configuration():
    assert observability_env("metrics", None) == {}


def test_tracing_exports_to_the_receiver_it_is_given():
    env = observability_env("tracing", "http://127.0.0.1:1")

    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:1"
    with pytest.raises(ValueError, match="receiver"):
        observability_env("tracing", None)
    with pytest.raises(ValueError, match="unknown mode"):
        observability_env("everything", None)


def test_the_receiver_accepts_spans():
    with DropReceiver() as url:
        request = urllib.request.Request(f"{url}/v1/traces", data=b"\x00", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200


def test_the_flag_reaches_the_stack_of_each_database(monkeypatch, tmp_path):
    seen = {}

    class FakeStack:
        def __init__(self, **kwargs):
            seen.update(kwargs)
            raise RuntimeError("stop here")

    monkeypatch.setattr(servers, "Stack", FakeStack)
    args = type("Args", (), {"observability_env": {"METRICS_ENABLED": "false"}})()

    with pytest.raises(RuntimeError, match="stop here"):
        run.bench_database("sqlite", args, tmp_path)

    assert seen["env"] == {"METRICS_ENABLED": "false"}


def test_an_unknown_mode_is_refused_before_anything_runs(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["run.py", "--observability", "bogus"])
    with pytest.raises(SystemExit):
        run.main()


def _flow(clients: int, database_cpu: float | None) -> dict:
    step = {"n": 10, "p50_ms": 5.0, "p95_ms": 9.0, "p99_ms": 12.0}
    return {
        "clients": clients,
        "flows_per_s": 50.0 * clients,
        "errors": 0,
        "steps": {"create": step, "apply": step, "checkout": step},
        "server_cpu_ms_per_flow": {"cart": 10.0, "discount": 5.0, "payment": 3.0},
        "database_cpu_ms_per_flow": database_cpu,
        "client_cpu_share": 0.08,
        "machine_busy_cores": 1.84,
        "busiest_worker_share": {"cart": 0.81, "discount": 0.55, "payment": 0.5},
        "invariants": {"paid": 40, "problems": []},
    }


def test_the_report_shows_the_database_servers_own_cpu_and_the_busy_cores():
    read = {"rps": 2000.0, "rounds_rps": [2000], "p50_ms": 3.0, "p90_ms": 5.0, "p99_ms": 9.0}
    report = {
        "when": "now",
        "machine": "2 cores",
        "settings": {},
        "floor": {**read, "rps": 6000.0, "server_cpu_ms_per_request": 0.27},
        "databases": [
            {
                "database": "sqlite",
                "hot_read": {**read, "server_cpu_ms_per_request": 0.8},
                "flows": [_flow(8, None)],
                "sql_per_request": {"GET": 1},
            },
            {
                "database": "postgres",
                "hot_read": {
                    **read,
                    "server_cpu_ms_per_request": 0.9,
                    "database_cpu_ms_per_request": 0.21,
                },
                "flows": [_flow(8, 4.3)],
                "sql_per_request": {"GET": 1},
            },
        ],
    }
    report["targets"] = targets(report)

    lines = markdown(report).splitlines()
    pg_flow = next(line for line in lines if line.startswith("| postgres | 8 |"))
    lite_flow = next(line for line in lines if line.startswith("| sqlite | 8 |"))
    pg_read = next(line for line in lines if line.startswith("| discount_service (postgres)"))

    assert "| 18.0 (10.0+5.0+3.0+0.0) | 4.30 | 8% |" in pg_flow
    assert "| in the services |" in lite_flow
    assert "| 0.21 |" in pg_read
    assert f"1.84 of {os.cpu_count()}" in pg_flow
    assert "| cart 81%* |" in pg_flow  # one cart worker took most of the connections


def test_a_flow_run_reports_each_services_busiest_worker_from_proc():
    masters = {"cart": 10, "discount": 20}
    before = {"workers": {11: 1.0, 12: 1.0, 21: 0.0}, "parent": {11: 10, 12: 10, 21: 20}}
    after = {
        "workers": {11: 9.0, 12: 3.0, 21: 2.0, 22: 2.0},  # 22: a worker born during the run
        "parent": {11: 10, 12: 10, 21: 20, 22: 20},
    }

    shares = procfs.busiest_workers(before, after, masters)

    assert shares == {"cart": 0.8, "discount": 0.5}


def test_a_snapshot_sees_the_workers_of_a_real_process():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        snap = procfs.cpu_snapshot([os.getpid()], workers_of=[os.getpid()])
        assert snap["parent"][child.pid] == os.getpid()
        assert child.pid in snap["workers"]
        assert snap["trees"][os.getpid()] >= snap["workers"][child.pid]
    finally:
        child.kill()
        child.wait()


def test_a_trees_cpu_keeps_what_a_child_that_ended_used():
    # PostgreSQL's backends come and go (a connection closed and opened again mid-run);
    # what one used must not vanish from the server's CPU when it ends.
    busy = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    script = (
        f"import subprocess, sys, time; subprocess.run([sys.executable, '-c', {busy!r}]); "
        "print('reaped', flush=True); time.sleep(30)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline() == "reaped\n"  # the busy child ended

        tree = procfs.cpu_snapshot([parent.pid])["trees"][parent.pid]

        assert tree >= 0.3  # its CPU is still the tree's
    finally:
        parent.kill()
        parent.wait()


def test_a_round_where_one_worker_took_every_connection_is_not_the_figure():
    rounds = [
        {"rps": 2087.0, "balanced": False},
        {"rps": 2100.0, "balanced": False},
        {"rps": 6299.0, "balanced": True},
        {"rps": 6100.0, "balanced": True},
        {"rps": 6400.0, "balanced": True},
    ]

    assert drivers.median_round(rounds)["rps"] == 6299.0
    assert drivers.median_round(rounds[:2])["rps"] == 2087.0  # none balanced: all of them
    assert procfs.busiest_share([9.0, 1.0]) == 0.9
    assert (
        procfs.busiest_share([5.0, 4.0]) < drivers.BALANCED_SHARE < procfs.busiest_share([8.0, 2.0])
    )
    assert procfs.busiest_share([3.0]) == 0.0  # one worker: nothing to balance
    report_cell = _rounds({"rounds_rps": [2087, 6299], "rounds_balanced": [False, True]})
    assert report_cell == "2087* / 6299"
