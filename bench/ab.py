"""Two revisions of the services, checkout flow against checkout flow, in alternated runs.

    python -m bench.ab --base 10a935c [--head HEAD] [--postgres] [--pairs 3]
                       [--clients 8] [--duration 8]

On a shared or virtual host one benchmark run can differ from the next by a fifth
or more (the host's other tenants), which hides the few per cent a change makes.
So this starts a fresh stack of each revision in turn, ``--pairs`` times (base,
head, base, head, ...), each on throwaway databases, warms it up for two seconds,
runs the flow (``bench/flow.py`` of this tree for both, so the load is the same),
and compares the medians: flows per second, the services' CPU per flow, and
PostgreSQL's. Each revision runs from a ``git worktree`` of it (its services and
its servicekit; the virtualenv is this tree's). Prints every run and the medians;
writes ``reports/ab.json``. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.drivers import flow_run
from bench.servers import create_code, services_on
from harness.stack import CHECKOUT_SERVICES

ROOT = Path(__file__).resolve().parent.parent


def worktree(revision: str, into: Path) -> Path:
    """A detached checkout of ``revision`` at ``into`` (removed by ``drop_worktree``)."""
    subprocess.run(  # noqa: S603 - git, with a revision the user named
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(into), revision],  # noqa: S607
        check=True,
        capture_output=True,
    )
    return into


def drop_worktree(path: Path) -> None:
    subprocess.run(  # noqa: S603 - git, on the worktree we made
        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)],  # noqa: S607
        check=False,
        capture_output=True,
    )


def one_run(tree: Path, *, postgres: bool, clients: int, duration: float) -> dict:
    """A fresh stack of the services in ``tree``: one flow run's figures."""
    with services_on(
        "postgres" if postgres else "sqlite",
        Path(tempfile.mkdtemp(prefix="ab-")),
        env={
            # The revision's own servicekit, ahead of the one installed from this tree.
            "PYTHONPATH": str(tree / "servicekit"),
            # Never measured for coverage (under `make test`): it would slow the services
            # being timed, and record files of a worktree that is gone afterwards.
            "COVERAGE_PROCESS_START": "",
        },
        service_dirs={name: tree / f"{name}_service" for name in CHECKOUT_SERVICES},
    ) as (stack, _, database_pid):
        create_code(stack)
        flow_run(stack, clients, 2.0)  # warm up: connections, prepared statements
        result = flow_run(stack, clients, duration, database_pid=database_pid)
    cpu = result["server_cpu_ms_per_flow"]
    database = result["database_cpu_ms_per_flow"]
    return {
        "flows_per_s": round(result["flows_per_s"], 1),
        "errors": result["errors"],
        "services_cpu_ms_per_flow": round(sum(cpu.values()), 2),
        "cpu_ms_per_flow": {name: round(value, 2) for name, value in cpu.items()},
        "database_cpu_ms_per_flow": None if database is None else round(database, 2),
        "busy_cores": result["machine_busy_cores"],
    }


def summary(runs: list[dict]) -> dict:
    """The medians of a revision's runs."""
    databases = [r["database_cpu_ms_per_flow"] for r in runs]
    return {
        "runs": len(runs),
        "flows_per_s": statistics.median(r["flows_per_s"] for r in runs),
        "services_cpu_ms_per_flow": statistics.median(r["services_cpu_ms_per_flow"] for r in runs),
        "database_cpu_ms_per_flow": (
            None if None in databases else round(statistics.median(databases), 2)
        ),
        "errors": sum(r["errors"] for r in runs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", required=True, help="the revision to compare against")
    parser.add_argument("--head", default=None, help="default: this working tree as it is")
    parser.add_argument("--postgres", action="store_true", help="default: SQLite")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=8.0)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="ab-trees-"))
    trees = {"base": worktree(args.base, scratch / "base")}
    trees["head"] = worktree(args.head, scratch / "head") if args.head else ROOT
    runs: dict[str, list[dict]] = {"base": [], "head": []}
    try:
        for pair in range(1, args.pairs + 1):
            for name in ("base", "head"):
                run = one_run(
                    trees[name],
                    postgres=args.postgres,
                    clients=args.clients,
                    duration=args.duration,
                )
                runs[name].append(run)
                print(
                    f"pair {pair} {name:4}: {run['flows_per_s']:6.1f} flows/s, "
                    f"services {run['services_cpu_ms_per_flow']:5.2f} ms/flow "
                    f"{run['cpu_ms_per_flow']}, database {run['database_cpu_ms_per_flow']}, "
                    f"errors {run['errors']}",
                    flush=True,
                )
    finally:
        for tree in trees.values():
            if tree != ROOT:
                drop_worktree(tree)
    report = {
        "base": args.base,
        "head": args.head or "working tree",
        "database": "postgres" if args.postgres else "sqlite",
        "clients": args.clients,
        "duration_s": args.duration,
        "runs": runs,
        "medians": {name: summary(rs) for name, rs in runs.items()},
    }
    for name, medians in report["medians"].items():
        print(f"{name}: median {json.dumps(medians)}")
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports" / "ab.json").write_text(json.dumps(report, indent=2))
    return 1 if any(m["errors"] for m in report["medians"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
