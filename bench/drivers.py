"""The load the benchmark drives: wrk against the hot read (rounds, balanced or not), the
checkout flow (``bench/flow.py``, a process of its own) and the SQL statements per request
(``bench/sql_counts.py``, in each service's process); each with the CPU it cost the servers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.procfs import busiest_workers, busy_and_total_jiffies, cpu_snapshot
from harness.stack import Stack
from harness.tokens import TOKENS

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CODE = "BENCH10"
ADMIN = {
    "Authorization": f"Bearer {TOKENS['DISCOUNT_ADMIN_TOKEN']}",
    "Content-Type": "application/json",
}


def request_json(method: str, url: str, headers: dict, body: dict | None = None) -> dict:
    """One request to a service on loopback; its JSON answer (a 4xx or 5xx raises)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310
        assert resp.status in (200, 201), resp.status
        return json.loads(resp.read())


def wrk(url: str, *, seconds: float, connections: int = 8, headers: dict | None = None) -> dict:
    """One wrk run: requests/s, latency percentiles (ms), non-2xx and socket errors."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--latency", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non_2xx": int(m.group(1))
        if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out))
        else 0,
        "socket_errors": sum(
            int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out)
        )
        if "Socket errors" in out
        else 0,
    }
    for pct in ("50", "90", "99"):
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        result[f"p{pct}_ms"] = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return result


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


# A round where one gunicorn worker did more than this share of the work took (nearly) all
# of wrk's keep-alive connections: 8 connections split 5/3 or better is below it.
BALANCED_SHARE = 0.7
HOT_READ_ROUNDS = 3  # balanced rounds wanted ...
HOT_READ_MAX_ROUNDS = 6  # ... out of at most this many


def hot_read(
    url: str,
    pids: list[int],
    seconds: float,
    headers: dict | None = None,
    database_pid: int | None = None,
) -> dict:
    """The median of three balanced wrk rounds, each on fresh connections.

    gunicorn's workers each accept what they can, so where wrk's keep-alive connections
    land differs from one round to the next. All of them on one worker leaves the other
    idle and costs more CPU per request (its threads contend for one GIL): a different
    server state, which the floor falls into as well as the services. A round is
    balanced when no worker of ``pids[0]`` did more than ``BALANCED_SHARE`` of the CPU;
    rounds go on until three are, at most six; the figure is the median balanced round
    (of all rounds if none was), and every round is kept in the report, marked.
    """
    wrk(url, seconds=2, headers=headers)  # warm every worker up
    rounds: list[dict] = []
    while (
        len(rounds) < HOT_READ_MAX_ROUNDS and sum(r["balanced"] for r in rounds) < HOT_READ_ROUNDS
    ):
        roots = [*pids, *([database_pid] if database_pid else [])]
        before = cpu_snapshot(roots, workers_of=[pids[0]])
        result = wrk(url, seconds=max(2.0, seconds / 3), headers=headers)
        after = cpu_snapshot(roots, workers_of=[pids[0]])
        used = {pid: after["trees"][pid] - before["trees"][pid] for pid in roots}
        requests = max(1, result["requests"])
        result["server_cpu_ms_per_request"] = sum(used[p] for p in pids) * 1000 / requests
        result["database_cpu_ms_per_request"] = (
            used[database_pid] * 1000 / requests if database_pid else None
        )
        result["busiest_worker_share"] = busiest_workers(before, after, {"hot": pids[0]})["hot"]
        result["balanced"] = result["busiest_worker_share"] <= BALANCED_SHARE
        rounds.append(result)
    return {
        **median_round(rounds),
        "rounds_rps": [round(r["rps"]) for r in rounds],
        "rounds_balanced": [r["balanced"] for r in rounds],
    }


def median_round(rounds: list[dict]) -> dict:
    """The median round by req/s among the balanced ones, or among all if none was."""
    pool = sorted([r for r in rounds if r["balanced"]] or rounds, key=lambda r: r["rps"])
    return pool[(len(pool) - 1) // 2]


def flow_run(stack: Stack, clients: int, seconds: float, database_pid: int | None = None) -> dict:
    """One flow run; ``database_pid``: a database server's (PostgreSQL's) CPU is counted too."""
    masters = {name: p.pid for name, p in stack._procs.items()}
    roots = [*masters.values()] + ([database_pid] if database_pid else [])
    snapshot = cpu_snapshot(roots, workers_of=masters.values())
    before = snapshot["trees"]
    busy_before, total_before = busy_and_total_jiffies()
    out = subprocess.run(  # noqa: S603
        [
            PY,
            str(ROOT / "bench/flow.py"),
            "--url",
            stack.url("cart"),
            "--clients",
            str(clients),
            "--duration",
            str(seconds),
            "--code",
            CODE,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    raw = json.loads(out)
    snapshot_after = cpu_snapshot(roots, workers_of=masters.values())
    after = snapshot_after["trees"]
    busy_after, total_after = busy_and_total_jiffies()
    cpu = {name: after[pid] - before[pid] for name, pid in masters.items()}
    db_cpu = after[database_pid] - before[database_pid] if database_pid else None
    flows = raw["flows"]
    steps = {
        step: {"n": len(ms), "p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95), "p99_ms": pct(ms, 99)}
        for step, ms in raw["ms"].items()
    }
    errors = sum(n for by_code in raw["errors"].values() for n in by_code.values())
    requests = sum(len(ms) for ms in raw["ms"].values())
    return {
        "clients": clients,
        "seconds": raw["seconds"],
        "flows": flows,
        "flows_per_s": flows / raw["seconds"],
        "errors": errors,
        "errors_by_step": raw["errors"],
        "outcomes": raw["outcomes"],
        "steps": steps,
        "flow_p99_ms": pct(raw["flow_ms"], 99),
        "server_cpu_ms_per_flow": {n: c * 1000 / max(1, flows) for n, c in cpu.items()},
        "server_cpu_ms_per_request": sum(cpu.values()) * 1000 / max(1, requests),
        "client_cpu_share": raw["client_cpu_s"] / raw["seconds"],
        # In-process SQLite's CPU is in the services' figures; a server's is not.
        "database_cpu_ms_per_flow": None if db_cpu is None else db_cpu * 1000 / max(1, flows),
        # How much of the machine was busy (services, database, client, anything else).
        "machine_busy_cores": (busy_after - busy_before)
        / max(1, total_after - total_before)
        * (os.cpu_count() or 1),
        # Keep-alive connections stay with the worker that accepted them: a run where one
        # worker of a service took most of them leaves CPU idle (see busy cores).
        "busiest_worker_share": busiest_workers(snapshot, snapshot_after, masters),
    }


def sql_counts(stack: Stack) -> dict:
    counts: dict[str, int] = {}
    for name in ("discount", "cart", "payment", "catalog"):
        env = stack.environment(name)
        # The service's own modules (config, its app) first: the script is not in its folder.
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(stack.service_dir(name)), env.get("PYTHONPATH")])
        )
        out = subprocess.run(  # noqa: S603
            [PY, str(ROOT / "bench/sql_counts.py"), name, "--code", CODE],
            cwd=stack.service_dir(name),
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        counts.update(json.loads(out))
    return counts


BATCH = 10_000  # codes a batch: the most one request may ask for (docs/api.md)


def code_batches(stack: Stack, *, rounds: int = 3, count: int = BATCH) -> dict:
    """A single-use promotion issues ``rounds`` batches of ``count`` codes through the API
    (``POST /api/discounts/{code}/codes/``), one after the other; then one page of 1,000
    is exported. Wall-clock seconds of each request and discount_service's CPU for them."""
    base = f"{stack.url('discount')}/api/discounts/"
    request_json(
        "POST",
        base,
        ADMIN,
        {
            "code": "BENCHNEWS",
            "kind": "percent",
            "value": "10.00",
            "single_use_codes": True,
        },
    )
    pid = stack._procs["discount"].pid
    before = cpu_snapshot([pid])["trees"][pid]
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = request_json(
            "POST", f"{base}BENCHNEWS/codes/", ADMIN, {"count": count, "prefix": "B-"}
        )
        seconds.append(time.perf_counter() - started)
        assert len(answer["codes"]) == count, len(answer["codes"])
    cpu = cpu_snapshot([pid])["trees"][pid] - before
    started = time.perf_counter()
    page = request_json("GET", f"{base}BENCHNEWS/codes/?page_size=1000", ADMIN)
    export = time.perf_counter() - started
    assert len(page["results"]) == 1000
    return {
        "count": count,
        "seconds": seconds,
        "server_cpu_s_per_batch": cpu / rounds,
        "export_page_seconds": export,
    }
