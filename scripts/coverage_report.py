#!/usr/bin/env python3
"""Combine the coverage that `make test` collected; report it per suite and in total.

    python scripts/coverage_report.py

Every Python process of a `make test` run (with COVERAGE=1: pytest, the services it
starts, their forked gunicorn workers, the scripts they run) wrote its own data file
under reports/coverage/data/, labelled with its pytest run's name (the coverage context,
the same name as its JUnit file). This combines them, prints the files below 100%, one
line per suite (lines, branches, and both together, of all the product code, and of the
suite's own service for a service's suite), the total, and writes the HTML report to
reports/coverage/html/. It exits 2 when the total is under ``[tool.coverage.report]
fail_under`` in pyproject.toml, 1 when there is no data (run `make test` first).
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path

from coverage import Coverage
from coverage.results import should_fail_under

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("discount_service", "payment_service", "cart_service", "catalog_service")


def totals(cov: Coverage, context: str | None, include: list[str] | None = None) -> dict:
    """lines, branches and both (percent) of the data, or of one context's data."""
    contexts = None if context is None else [f"^{re.escape(context)}$"]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "coverage.json"
        cov.json_report(outfile=str(out), contexts=contexts, include=include)
        numbers = json.loads(out.read_text())["totals"]

    def percent(covered: int, total: int) -> float:
        return 100.0 * covered / total if total else 100.0

    return {
        "lines": percent(numbers["covered_lines"], numbers["num_statements"]),
        "branches": percent(numbers["covered_branches"], numbers["num_branches"]),
        "both": numbers["percent_covered"],
    }


def own_code(context: str) -> list[str] | None:
    """A service's suite is also measured against its own service's code."""
    service = next((s for s in SERVICES if context.startswith(s)), None)
    return [f"*/{service}/*"] if service else None


def row(name: str, figures: dict) -> str:
    return (
        f"  {name:<44} {figures['lines']:6.1f}% {figures['branches']:9.1f}% {figures['both']:6.1f}%"
    )


def main() -> int:
    os.chdir(ROOT)
    cov = Coverage(config_file=str(ROOT / "pyproject.toml"))
    cov.combine()  # the parallel files into reports/coverage/data/.coverage; none is fine
    cov.save()
    cov.load()
    data = cov.get_data()
    if not data.measured_files():
        print("coverage: no data; `make test` collects it (or COVERAGE=1 make <target>)")
        return 1

    cov.report(skip_covered=True, skip_empty=True)
    header = f"  {'suite (pytest run / JUnit name)':<44} {'lines':>7} {'branches':>10} {'both':>7}"
    print("\ncoverage per suite, of all the product code (and of its own service's code):")
    print(header)
    for context in sorted(data.measured_contexts()):
        print(row(context or "(outside pytest: lint, scripts)", totals(cov, context)))
        own = own_code(context)
        if own:
            print(row("  its own service", totals(cov, context, own)))
    total = totals(cov, None)
    print(row("all suites together", total))

    cov.html_report()
    print(f"\nHTML report: {cov.config.html_dir}/index.html")
    threshold = cov.config.fail_under
    under = should_fail_under(total["both"], threshold, cov.config.precision)
    print(
        f"coverage total: {total['both']:.1f}% of lines and branches "
        f"(fail_under {threshold:g}% in pyproject.toml): {'UNDER IT' if under else 'ok'}"
    )
    return 2 if under else 0


if __name__ == "__main__":
    sys.exit(main())
