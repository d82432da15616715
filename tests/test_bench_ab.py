"""bench/ab.py: alternated runs of two revisions, and their medians."""

import json
import subprocess
import sys
from pathlib import Path

from bench.ab import summary

ROOT = Path(__file__).resolve().parent.parent


def _run(flows, services, database, errors=0):
    return {
        "flows_per_s": flows,
        "services_cpu_ms_per_flow": services,
        "database_cpu_ms_per_flow": database,
        "errors": errors,
    }


def test_the_medians_of_a_revisions_runs():
    runs = [_run(90.0, 18.0, 3.5), _run(100.0, 16.0, 3.1, errors=2), _run(95.0, 17.0, 3.3)]

    assert summary(runs) == {
        "runs": 3,
        "flows_per_s": 95.0,
        "services_cpu_ms_per_flow": 17.0,
        "database_cpu_ms_per_flow": 3.3,
        "errors": 2,
    }
    assert summary([_run(90.0, 18.0, None)])["database_cpu_ms_per_flow"] is None  # SQLite


def test_a_revision_against_itself_runs_both_from_their_trees_and_reports():
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bench.ab", "--base", "HEAD", "--head", "HEAD"),
            *("--pairs", "1", "--clients", "2", "--duration", "1"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((ROOT / "reports" / "ab.json").read_text())
    assert report["database"] == "sqlite"
    for name in ("base", "head"):
        [run] = report["runs"][name]
        assert run["flows_per_s"] > 0
        assert run["errors"] == 0
        assert set(run["cpu_ms_per_flow"]) == {"catalog", "discount", "cart", "payment"}
    assert "pair 1 base" in done.stdout
    assert "pair 1 head" in done.stdout
    # The worktrees are gone again.
    trees = subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True, check=True
    ).stdout
    assert "ab-trees-" not in trees
