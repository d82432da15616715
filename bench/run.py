"""The benchmark: the hot read and the checkout flow, against a floor, on SQLite and PostgreSQL.

    python -m bench.run [--db sqlite|postgres|both] [--duration 10] [--clients 1,4,8,16]
                        [--observability off|metrics|tracing]

For each database it starts the three services the way ``make run`` does (same
gunicorn settings and defaults; throwaway databases so nothing local is
touched), and once a bare-Django floor app under the same gunicorn settings.
It measures, on loopback only:

* the hot read ``GET /api/discounts/{code}/`` and the floor with wrk (a C load
  generator, one thread, 8 keep-alive connections), and the floor's ``/read/<code>/``:
  the same row read in a bare Django view, on the same database (what Django itself
  costs for that read, beside what the service costs);
* the checkout flow (create a cart with an item, apply a code, check out) with
  N keep-alive clients (``bench/flow.py``), every non-2xx an error; at the target's
  8 clients three runs, the median one the figure (``median_flow_run``);
* per step p50/p95/p99, server CPU per request and per flow (from /proc), SQL
  statements per request (``bench/sql_counts.py``), and the ratio to the floor;
* after every flow run, the invariants, read from the services' databases;
* after the flow runs, each service's memory: its workers' proportional and private
  sizes, its master's resident size (from /proc/<pid>/smaps_rollup).

Writes ``reports/bench.json``, ``reports/bench.md`` and ``reports/bench.png``
and prints the table. Exits 1 if an invariant breaks or a flow run had errors;
targets missed are reported, not failed (the figures belong to the machine).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

from bench.observability_overhead import MODES, DropReceiver, observability_env
from harness import invariants
from harness.pgcluster import Cluster, free_port
from harness.stack import SERVICES, Stack

ROOT = Path(__file__).resolve().parent.parent

PY = sys.executable
CODE = "BENCH10"
ADMIN = {"Authorization": "Bearer dev-admin-token", "Content-Type": "application/json"}
SERVICE_TOKEN = "Bearer dev-discount-service-token"
TARGETS = {
    "hot_read_ratio": 0.5,
    "hot_read_p99_ms": 15.0,
    "flows_per_s_at_8": 100.0,
    "step_p99_ms": 150.0,
}
# The flow target is read at 8 clients; there a single run can be a fifth off the next one
# on a shared host, so that client count is run TARGET_ROUNDS times and its figure is the
# median run (every run kept in the report, its errors counted, its p99 held to the target).
TARGET_CLIENTS = 8
TARGET_ROUNDS = 3
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- processes and CPU -----------------------------------------------------------------


def _processes() -> tuple[dict[int, int], dict[int, float]]:
    """Every process's parent and user+system CPU seconds, from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return parents, times


def _tree(root_pid: int, parents: dict[int, int], times: dict[int, float]) -> float:
    """user+system CPU of a process and all its descendants (gunicorn master + workers)."""
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def cpu_snapshot(roots: list[int], workers_of: Iterable[int] = ()) -> dict:
    """One reading of /proc: each root's tree CPU, and each worker's of ``workers_of``.

    ``workers``: a worker's (a child of one of ``workers_of``) tree CPU by its pid;
    ``parent``: which of ``workers_of`` each worker belongs to.
    """
    parents, times = _processes()
    masters = set(workers_of)
    workers = {pid: parent for pid, parent in parents.items() if parent in masters}
    return {
        "trees": {pid: _tree(pid, parents, times) for pid in roots},
        "workers": {pid: _tree(pid, parents, times) for pid in workers},
        "parent": workers,
    }


def _rollup_kb(pid: int) -> dict[str, int]:
    """A process's memory totals (kB) from /proc/<pid>/smaps_rollup: Rss, Pss, Private_*."""
    sizes: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        value = rest.split()
        if value and value[0].isdigit():
            sizes[name] = int(value[0])
    return sizes


def memory_of(masters: dict[str, int]) -> dict[str, dict]:
    """Each service's memory: its workers' proportional and private sizes (MB), one per
    worker, and its master's resident size. A worker shares what the master held when it
    forked until someone writes to it; ``private`` is what it no longer shares.
    """
    parents, _ = _processes()
    out: dict[str, dict] = {}
    for name, master in masters.items():
        sizes = []
        for pid in sorted(pid for pid, parent in parents.items() if parent == master):
            try:
                sizes.append(_rollup_kb(pid))
            except (OSError, KeyError):  # gone, or a zombie, since /proc was listed
                continue
        out[name] = {
            "workers": len(sizes),
            "pss_mb": [s["Pss"] / 1024 for s in sizes],
            "private_mb": [(s["Private_Clean"] + s["Private_Dirty"]) / 1024 for s in sizes],
            "master_rss_mb": _rollup_kb(master)["Rss"] / 1024,
        }
    return out


def busiest_workers(before: dict, after: dict, masters: dict[str, int]) -> dict[str, float]:
    """Per service, its busiest worker's share of its workers' CPU between two snapshots."""
    return {
        name: busiest_share(
            [
                cpu - before["workers"].get(pid, 0.0)
                for pid, cpu in after["workers"].items()
                if after["parent"][pid] == master
            ]
        )
        for name, master in masters.items()
    }


class Floor:
    """The bare-Django floor app under the services' gunicorn settings."""

    def __init__(self, log: Path, database_url: str | None = None) -> None:
        self.port = free_port()
        self.log = log
        self.database_url = database_url  # discount_service's: for /read/<code>/
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Floor:
        env = {**os.environ, "BIND": f"127.0.0.1:{self.port}", "SERVICE_NAME": "floor"}
        if self.database_url:
            env["FLOOR_DATABASE_URL"] = self.database_url
        self.proc = subprocess.Popen(  # noqa: S603
            [
                PY,
                "-m",
                "gunicorn",
                "-c",
                "python:servicekit.gunicorn_conf",
                "bench.floor:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_ready(f"{self.url}/health/ready", self.proc)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=15)


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as resp:  # noqa: S310
            if resp.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready in {timeout}s")


# -- measurements ------------------------------------------------------------------------


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


def busy_and_total_jiffies() -> tuple[int, int]:
    """The whole machine's CPU time from /proc/stat: busy (all but idle and iowait), total."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


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


def busiest_share(worker_cpu: list[float]) -> float:
    """The busiest worker's share of the workers' CPU (0 for a single worker: no choice)."""
    total = sum(worker_cpu)
    if len(worker_cpu) < 2 or total <= 0:
        return 0.0
    return max(worker_cpu) / total


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
    for name in ("discount", "cart", "payment"):
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


# -- one database ------------------------------------------------------------------------------


def create_code(stack: Stack) -> None:
    body = json.dumps({"code": CODE, "kind": "percent", "value": "10.00"}).encode()
    req = urllib.request.Request(  # noqa: S310
        f"{stack.url('discount')}/api/discounts/", data=body, headers=ADMIN, method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
        assert resp.status == 201


@contextlib.contextmanager
def services_on(kind: str, work: Path, **stack_options) -> Iterator[tuple[Stack, dict, int | None]]:
    """The three services started on throwaway databases of ``kind`` (sqlite, postgres),
    stopped, PostgreSQL with them, when the block ends.

    Yields the stack, its database URLs, and PostgreSQL's server pid (None for SQLite,
    whose CPU is the services'). ``stack_options``: more of ``Stack``'s fields.
    """
    cluster = Cluster(databases=tuple(SERVICES)).start() if kind == "postgres" else None
    try:
        if cluster is not None:
            db_urls = {n: cluster.url(n) for n in SERVICES}
        else:
            (work / kind).mkdir(parents=True, exist_ok=True)
            db_urls = {n: f"sqlite:///{work / kind / n}.sqlite3" for n in SERVICES}
        stack = Stack(
            ports={n: free_port() for n in SERVICES},
            database_urls=db_urls,
            log_dir=work / kind / "logs",
            **stack_options,
        )
        try:
            stack.start()
            yield stack, db_urls, cluster.server_pid if cluster else None
        finally:
            stack.stop()
    finally:
        if cluster is not None:
            cluster.stop()


def bench_database(kind: str, args, work: Path) -> dict:
    result: dict = {"database": kind}
    print(f"[{kind}] starting the three services", flush=True)
    with services_on(kind, work, env=args.observability_env) as (stack, db_urls, database_pid):
        create_code(stack)
        print(f"[{kind}] hot read, {args.duration}s", flush=True)
        result["hot_read"] = hot_read(
            f"{stack.url('discount')}/api/discounts/{CODE}/",
            [stack._procs["discount"].pid],
            args.duration,
            {"Authorization": SERVICE_TOKEN},
            database_pid=database_pid,  # PostgreSQL's, counted too
        )
        print(f"[{kind}] the same read in a bare Django view, {args.duration}s", flush=True)
        with Floor(work / kind / "floor-read.log", db_urls["discount"]) as floor:
            result["floor_read"] = hot_read(
                f"{floor.url}/read/{CODE}/",
                [floor.proc.pid],
                args.duration,
                database_pid=database_pid,
            )
        result["sql_per_request"] = sql_counts(stack)
        result["flows"] = []
        for clients in args.clients:
            rounds = TARGET_ROUNDS if clients == TARGET_CLIENTS else 1
            runs = []
            for number in range(rounds):
                of = f", run {number + 1} of {rounds}" if rounds > 1 else ""
                print(
                    f"[{kind}] checkout flow, {clients} clients, {args.duration}s{of}", flush=True
                )
                run = flow_run(stack, clients, args.duration, database_pid)
                run["invariants"] = invariants.report(db_urls)
                runs.append(run)
            result["flows"].append(median_flow_run(runs))
        result["memory"] = memory_of({name: p.pid for name, p in stack._procs.items()})
    return result


def worst_step_p99(run: dict) -> float:
    """The slowest step's p99; a step with no samples (its p99 is NaN) does not count."""
    p99s = [s["p99_ms"] for s in run["steps"].values() if not math.isnan(s["p99_ms"])]
    return max(p99s, default=0.0)


def median_flow_run(runs: list[dict]) -> dict:
    """Runs of one client count as one: the median run by flows/s, and of all the runs
    the errors (summed, by step too), every broken invariant and the worst step p99.

    One run is itself. Every run's flows/s, errors and worst step p99 stay in ``rounds``.
    """
    if len(runs) == 1:
        return runs[0]
    median = sorted(runs, key=lambda r: r["flows_per_s"])[(len(runs) - 1) // 2]
    errors_by_step: dict[str, dict[str, int]] = {}
    for run in runs:
        for step, by_code in run["errors_by_step"].items():
            for code, n in by_code.items():
                into = errors_by_step.setdefault(step, {})
                into[code] = into.get(code, 0) + n
    problems = [p for run in runs for p in run["invariants"]["problems"]]
    return {
        **median,
        "errors": sum(r["errors"] for r in runs),
        "errors_by_step": errors_by_step,
        "invariants": {**runs[-1]["invariants"], "problems": list(dict.fromkeys(problems))},
        "worst_step_p99_ms": max(worst_step_p99(r) for r in runs),
        "rounds": [
            {
                "flows_per_s": r["flows_per_s"],
                "errors": r["errors"],
                "worst_step_p99_ms": worst_step_p99(r),
            }
            for r in runs
        ],
    }


# -- report -----------------------------------------------------------------------------------


def markdown(report: dict) -> str:
    floor = report["floor"]
    lines = [
        f"# Benchmark ({report['when']}, {report['machine']}, "
        f"observability {report['settings'].get('observability', 'metrics')})",
        "",
        "## Hot read: `GET /api/discounts/{code}/`, wrk, 8 connections",
        "",
        "| server | req/s (median of 3 balanced rounds) | rounds (* one worker took most) "
        "| p50 ms | p90 ms | p99 ms | CPU ms/req | database server CPU ms/req | x floor |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| floor (bare Django) | {floor['rps']:.0f} | {_rounds(floor)} | {floor['p50_ms']:.2f} "
        f"| {floor['p90_ms']:.2f} | {floor['p99_ms']:.2f} | {floor['server_cpu_ms_per_request']:.2f} "
        "| | 1.00 |",
    ]
    for db in report["databases"]:
        if "floor_read" in db:
            lines.append(
                _read_row(f"bare Django, the same read ({db['database']})", db["floor_read"], floor)
            )
        lines.append(_read_row(f"discount_service ({db['database']})", db["hot_read"], floor))
    lines += [
        "",
        "## Checkout flow: create a cart with an item, apply a code, check out",
        "",
        "| db | clients | flows/s | errors | create p50/p95/p99 ms | apply p50/p95/p99 ms "
        "| checkout p50/p95/p99 ms | CPU ms/flow (cart+discount+payment) "
        "| database server CPU ms/flow | client CPU | busy cores | busiest worker | invariants |",
        "| --- | ---: | ---: | ---: | --- | --- | --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for db in report["databases"]:
        for run in db["flows"]:
            cells = [
                "/".join(f"{s[k]:.0f}" for k in ("p50_ms", "p95_ms", "p99_ms"))
                for s in (run["steps"][n] for n in ("create", "apply", "checkout"))
            ]
            cpu = run["server_cpu_ms_per_flow"]
            inv = run["invariants"]
            verdict = (
                f"ok ({inv['paid']} paid)"
                if not inv["problems"]
                else f"{len(inv['problems'])} broken"
            )
            lines.append(
                f"| {db['database']} | {run['clients']} | {_flows(run)} | {run['errors']} "
                f"| {cells[0]} | {cells[1]} | {cells[2]} "
                f"| {sum(cpu.values()):.1f} ({cpu['cart']:.1f}+{cpu['discount']:.1f}+{cpu['payment']:.1f}) "
                f"| {_database_cpu(run.get('database_cpu_ms_per_flow'))} "
                f"| {run['client_cpu_share']:.0%} | {_busy(run.get('machine_busy_cores'))} "
                f"| {_busiest(run.get('busiest_worker_share'))} | {verdict} |"
            )
    if any("memory" in db for db in report["databases"]):
        lines += [
            "",
            "## Memory after the flow runs (MB per worker; private: no longer shared)",
            "",
            "| db | service | workers | proportional (PSS) | private | master resident |",
            "| --- | --- | ---: | --- | --- | ---: |",
        ]
        for db in report["databases"]:
            for name, m in db.get("memory", {}).items():
                lines.append(
                    f"| {db['database']} | {name} | {m['workers']} "
                    f"| {' / '.join(f'{v:.0f}' for v in m['pss_mb'])} "
                    f"| {' / '.join(f'{v:.0f}' for v in m['private_mb'])} "
                    f"| {m['master_rss_mb']:.0f} |"
                )
    if any(run.get("rounds") for db in report["databases"] for run in db["flows"]):
        lines += [
            "",
            f"At {TARGET_CLIENTS} clients, {TARGET_ROUNDS} runs: the row is the median run's "
            "(flows/s, percentiles, CPU), every run's flows/s in brackets, and the errors of "
            "all of them; each run's errors and worst step p99 are in bench.json.",
        ]
    lines += [
        "",
        "## SQL statements per request",
        "",
        "| request | " + " | ".join(d["database"] for d in report["databases"]) + " |",
        "| --- |" + " ---: |" * len(report["databases"]),
    ]
    names = report["databases"][0]["sql_per_request"]
    for name in names:
        lines.append(
            f"| `{name}` | "
            + " | ".join(str(d["sql_per_request"].get(name, "")) for d in report["databases"])
            + " |"
        )
    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | --- | --- |"]
    for row in report["targets"]:
        lines.append(f"| {row['target']} | {row['measured']} | {'yes' if row['met'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def _read_row(server: str, r: dict, floor: dict) -> str:
    """A row of the hot-read table: one server's median round, and its ratio to the floor."""
    return (
        f"| {server} | {r['rps']:.0f} | {_rounds(r)} | {r['p50_ms']:.2f} "
        f"| {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['server_cpu_ms_per_request']:.2f} "
        f"| {_database_cpu(r.get('database_cpu_ms_per_request'))} "
        f"| {r['rps'] / floor['rps']:.2f} |"
    )


def _flows(run: dict) -> str:
    """flows/s; for runs taken as one, the median and every run: ``98.1 (96.0 / 98.1 / 103.4)``."""
    rounds = run.get("rounds")
    if not rounds:
        return f"{run['flows_per_s']:.1f}"
    each = " / ".join(f"{r['flows_per_s']:.1f}" for r in rounds)
    return f"{run['flows_per_s']:.1f} ({each})"


def _database_cpu(ms: float | None) -> str:
    """A database server's CPU; SQLite runs inside the services, so its CPU is theirs."""
    return "in the services" if ms is None else f"{ms:.2f}"


def _busy(cores: float | None) -> str:
    return "" if cores is None else f"{cores:.2f} of {os.cpu_count()}"


def _busiest(shares: dict[str, float] | None) -> str:
    """The service whose busiest worker did the largest share of its CPU; ``*`` past 70 %."""
    if not shares:
        return ""
    name, share = max(shares.items(), key=lambda item: item[1])
    return f"{name} {share:.0%}{'*' if share > BALANCED_SHARE else ''}"


def _rounds(result: dict) -> str:
    """Every round's req/s; ``*`` marks one where a worker took (nearly) every connection."""
    balanced = result.get("rounds_balanced") or [True] * len(result["rounds_rps"])
    return " / ".join(
        f"{rps}{'' if ok else '*'}" for rps, ok in zip(result["rounds_rps"], balanced, strict=True)
    )


def targets(report: dict) -> list[dict]:
    out = []
    floor = report["floor"]["rps"]
    for db in report["databases"]:
        name = db["database"]
        h = db["hot_read"]
        out.append(
            {
                "target": f"hot read ≥ 0.5x floor, p99 ≤ 15 ms ({name})",
                "measured": f"{h['rps'] / floor:.2f}x, p99 {h['p99_ms']:.1f} ms"
                + (
                    f" (a bare Django view doing the same read: {db['floor_read']['rps'] / floor:.2f}x)"
                    if "floor_read" in db
                    else ""
                ),
                "met": h["rps"] / floor >= TARGETS["hot_read_ratio"]
                and h["p99_ms"] <= TARGETS["hot_read_p99_ms"],
            }
        )
        by_clients = {r["clients"]: r for r in db["flows"]}
        if TARGET_CLIENTS in by_clients:
            r8 = by_clients[TARGET_CLIENTS]
            worst = r8.get("worst_step_p99_ms", worst_step_p99(r8))
            runs = len(r8.get("rounds", [r8]))
            out.append(
                {
                    "target": f"≥ 100 flows/s at 8 clients, step p99 ≤ 150 ms, 0 errors ({name})",
                    "measured": f"{r8['flows_per_s']:.1f}/s"
                    + (f" (median of {runs} runs)" if runs > 1 else "")
                    + f", worst step p99 {worst:.0f} ms, {r8['errors']} errors",
                    "met": r8["flows_per_s"] >= TARGETS["flows_per_s_at_8"]
                    and worst <= TARGETS["step_p99_ms"]
                    and r8["errors"] == 0,
                }
            )
        if 1 in by_clients and 4 in by_clients:
            r1, r4 = by_clients[1]["flows_per_s"], by_clients[4]["flows_per_s"]
            out.append(
                {
                    "target": f"throughput rises from 1 to 4 clients ({name})",
                    "measured": f"{r1:.1f} → {r4:.1f} flows/s ({r4 / r1:.2f}x)",
                    "met": r4 > 1.2 * r1,
                }
            )
    return out


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for db in report["databases"]:
        xs = [r["clients"] for r in db["flows"]]
        ax.plot(xs, [r["flows_per_s"] for r in db["flows"]], marker="o", label=db["database"])
    ax.axhline(
        TARGETS["flows_per_s_at_8"],
        color="grey",
        linestyle="--",
        linewidth=1,
        label="target at 8 clients",
    )
    ax.set_xlabel("keep-alive clients")
    ax.set_ylabel("checkout flows / s")
    ax.set_title("Checkout flow throughput (create + apply + checkout)")
    ax.set_xticks(sorted({r["clients"] for db in report["databases"] for r in db["flows"]}))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--clients", default="1,4,8,16")
    parser.add_argument("--reports", type=Path, default=ROOT / "reports")
    parser.add_argument(
        "--observability",
        choices=MODES,
        default="metrics",
        help="off: METRICS_ENABLED=false; metrics: the default; tracing: metrics and spans "
        "exported over OTLP to a receiver that drops them (run each to compare)",
    )
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    if not shutil.which("wrk"):
        print("bench: wrk is not installed (make bench installs it)", file=sys.stderr)
        return 2
    args.reports.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    started = time.monotonic()
    report: dict = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "settings": {
            **{k: os.environ.get(k) for k in ("WEB_CONCURRENCY", "GUNICORN_THREADS")},
            "observability": args.observability,
        },
    }
    spans = DropReceiver()
    otlp_url = spans.__enter__() if args.observability == "tracing" else None
    args.observability_env = observability_env(args.observability, otlp_url)
    try:
        with Floor(work / "floor.log") as floor:
            print("[floor] bare Django view", flush=True)
            report["floor"] = hot_read(f"{floor.url}/floor/", [floor.proc.pid], args.duration)
        kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
        report["databases"] = [bench_database(k, args, work) for k in kinds]
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if otlp_url:
            spans.__exit__(None, None, None)
    report["targets"] = targets(report)
    report["seconds"] = time.monotonic() - started
    (args.reports / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (args.reports / "bench.md").write_text(table)
    plot(report, args.reports / "bench.png")
    print("\n" + table)
    print(f"bench: {report['seconds']:.0f}s; wrote {args.reports}/bench.json, bench.md, bench.png")
    broken = [
        (db["database"], run["clients"], p)
        for db in report["databases"]
        for run in db["flows"]
        for p in run["invariants"]["problems"]
    ]
    errors = sum(run["errors"] for db in report["databases"] for run in db["flows"])
    for db, clients, problem in broken[:20]:
        print(f"INVARIANT BROKEN ({db}, {clients} clients): {problem}", file=sys.stderr)
    if errors:
        print(
            f"bench: {errors} flow requests failed (see errors_by_step in bench.json)",
            file=sys.stderr,
        )
    return 1 if broken or errors else 0


if __name__ == "__main__":
    sys.exit(main())
