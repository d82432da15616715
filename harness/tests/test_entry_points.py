"""The documented commands of the harness still answer: `python scripts/pgcluster.py which`
(the services' READMEs) and `python scripts/stack.py run ...` (README), thin doors to the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness import pgcluster

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_scripts_pgcluster_which_prints_the_binaries_a_cluster_would_use():
    done = _run("scripts/pgcluster.py", "which")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(pgcluster.pg_bin_dir())


def test_scripts_stack_is_the_launcher_of_make_run():
    done = _run("scripts/stack.py", "--help")

    assert done.returncode == 0, done.stderr
    assert "--sqlite-dir" in done.stdout
