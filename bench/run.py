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

This module runs the whole; the pieces: ``bench.servers`` (the services and the floor),
``bench.drivers`` (wrk, the flow, the SQL counts), ``bench.procfs`` (CPU and memory from
/proc), ``bench.report`` (runs read as one, targets, table, plot), and the invariants are
``harness.invariants``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.drivers import CODE, code_batches, flow_run, hot_read, sql_counts
from bench.observability_overhead import MODES, DropReceiver, observability_env
from bench.procfs import memory_of
from bench.report import TARGET_CLIENTS, TARGET_ROUNDS, markdown, median_flow_run, plot, targets
from bench.servers import Floor, create_code, services_on
from harness import invariants
from harness.tokens import TOKENS

ROOT = Path(__file__).resolve().parent.parent
SERVICE_TOKEN = f"Bearer {TOKENS['DISCOUNT_SERVICE_TOKEN']}"


def bench_database(kind: str, args, work: Path) -> dict:
    result: dict = {"database": kind}
    print(f"[{kind}] starting the four services", flush=True)
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
        print(f"[{kind}] the catalog's batch read (cart's), {args.duration}s", flush=True)
        result["catalog_read"] = hot_read(
            f"{stack.url('catalog')}/api/products/?sku=BENCH-1&sku=BENCH-2",
            [stack._procs["catalog"].pid],
            args.duration,
            database_pid=database_pid,
        )
        result["sql_per_request"] = sql_counts(stack)
        print(f"[{kind}] batches of single-use codes", flush=True)
        result["code_batches"] = code_batches(stack)
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
