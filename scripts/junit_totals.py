#!/usr/bin/env python3
"""One plain line of the totals of every JUnit XML file in a folder.

    python3 scripts/junit_totals.py reports/junit    # 812 passed, 0 failed, 3 skipped

The numbers are pytest's own (each ``<testsuite>``'s ``tests``, ``failures``, ``errors``
and ``skipped``), summed over the files, each test counted once: failed counts failures
and errors (a test whose setup or teardown broke did not pass, although pytest's own summary
also counts a teardown error's test as passed), skipped counts skips and expected failures.
Standard library only: `.ci/run` prints it even when the virtualenv was never made.
Unreadable files are named on stderr; the exit code is 0 either way, the line only reports.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Totals:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"


def read_totals(files: list[Path]) -> tuple[Totals, list[str]]:
    """The totals of ``files`` and a message for each file that could not be read."""
    totals, problems = Totals(), []
    for file in files:
        try:
            root = ET.parse(file).getroot()  # noqa: S314 - our own pytest runs wrote it
        except (ET.ParseError, OSError) as exc:
            problems.append(f"{file}: not counted ({exc})")
            continue
        suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
        for suite in suites:
            tests, failures, errors, skipped = (
                int(suite.get(name, 0)) for name in ("tests", "failures", "errors", "skipped")
            )
            totals.failed += failures + errors
            totals.skipped += skipped
            totals.passed += tests - failures - errors - skipped
    return totals, problems


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else "reports/junit")
    totals, problems = read_totals(sorted(folder.glob("*.xml")))
    for problem in problems:
        print(f"junit_totals: {problem}", file=sys.stderr)
    print(totals, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
