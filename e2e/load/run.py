"""A bounded headless Locust run against the process stack, on loopback only.

    python -m e2e.load.run [--users 10] [--spawn-rate 5] [--duration 30s]
                           [--cart-url URL --discount-url URL --catalog-url URL]

Starts the stack (throwaway PostgreSQL, the four services under gunicorn), or,
given ``--cart-url``, ``--discount-url`` and ``--catalog-url``, uses a running one (the compose
stack behind its load balancer, scripts/compose-scale.sh), and
runs ``locustfile.py`` for a fixed number of users and a fixed time, writes the
CSV and HTML report to ``reports/``, prints requests/s and p50/p95/p99 per
request name, and exits non-zero on any request error.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from e2e.process_stack import ProcessStack

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--duration", default="30s")
    parser.add_argument("--reports", type=Path, default=ROOT / "reports")
    parser.add_argument(
        "--name", default="load", help="report files: REPORTS/NAME_*.csv, NAME.html"
    )
    parser.add_argument("--cart-url", help="a running stack's cart_service (no stack is started)")
    parser.add_argument("--discount-url", help="with --cart-url: its discount_service")
    parser.add_argument("--catalog-url", help="with --cart-url: its catalog_service")
    args = parser.parse_args()
    if not (bool(args.cart_url) == bool(args.discount_url) == bool(args.catalog_url)):
        parser.error("--cart-url, --discount-url and --catalog-url go together")
    args.reports.mkdir(parents=True, exist_ok=True)
    prefix = args.reports / args.name

    # The service defaults for timeouts: load should measure the system as configured.
    stack = (
        None
        if args.cart_url
        else ProcessStack(Path(tempfile.mkdtemp(prefix="load-")), downstream={})
    )
    try:
        if stack:
            stack.start()
        cart_url = args.cart_url or stack.url("cart")
        discount_url = args.discount_url or stack.url("discount")
        catalog_url = args.catalog_url or stack.url("catalog")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "e2e/load/locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                args.duration,
                "--stop-timeout",
                "10",
                "--host",
                cart_url,
                "--csv",
                str(prefix),
                "--html",
                f"{prefix}.html",
                "--only-summary",
                "--exit-code-on-error",
                "1",
            ],
            env={**os.environ, "DISCOUNT_URL": discount_url, "CATALOG_URL": catalog_url},
            check=False,
        )
    finally:
        if stack:
            stack.stop()
    failures = print_figures(Path(f"{prefix}_stats.csv"))
    if result.returncode != 0 or failures:
        print(f"load: FAILED (locust exit {result.returncode}, {failures} failed requests)")
        return 1
    print(f"load: passed; report in {prefix}.html")
    return 0


def print_figures(stats_csv: Path) -> int:
    rows = list(csv.DictReader(stats_csv.open()))
    print(
        f"\n{'request':<20} {'count':>7} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)"
    )
    failures = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        failures += int(row["Failure Count"]) if name == "ALL" else 0
        print(
            f"{name:<20} {row['Request Count']:>7} {row['Failure Count']:>5} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )
    return failures


if __name__ == "__main__":
    sys.exit(main())
