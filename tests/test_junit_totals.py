"""scripts/junit_totals.py sums what real pytest runs wrote to their JUnit XML files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "junit_totals.py"

MIXED = """
import pytest

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup broke")

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")

def test_passes(): pass
def test_passes_too(): pass
def test_fails(): assert False
def test_errors_in_setup(broken_setup): pass
def test_passes_but_errors_in_teardown(broken_teardown): pass
@pytest.mark.skip(reason="not here")
def test_skipped(): pass
@pytest.mark.xfail(reason="known")
def test_expected_failure(): assert False
"""


def _pytest_run(folder: Path, name: str, source: str, junit_dir: Path) -> None:
    test_file = folder / f"test_{name}.py"
    test_file.write_text(source)
    subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)),
            *(f"--junitxml={junit_dir / name}.xml", f"--rootdir={folder}", "-c", "/dev/null"),
        ],
        cwd=folder,
        capture_output=True,
        check=False,
    )


def _totals_line(junit_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(junit_dir)], capture_output=True, text=True, check=True
    )


def test_totals_of_several_real_runs_in_one_plain_line(tmp_path):
    junit = tmp_path / "junit"
    _pytest_run(tmp_path, "mixed", MIXED, junit)
    _pytest_run(tmp_path, "green", "def test_a(): pass\ndef test_b(): pass\n", junit)

    result = _totals_line(junit)

    # mixed, 7 tests each counted once: 2 passed; 1 failed + 2 errors (in setup, and in the
    # teardown of a test that passed: pytest's own line counts that one twice); 1 skipped +
    # 1 xfailed. green: 2 passed.
    assert result.stdout == "4 passed, 3 failed, 2 skipped\n"


def test_everything_green_still_prints_the_line(tmp_path):
    junit = tmp_path / "junit"
    _pytest_run(tmp_path, "green", "def test_a(): pass\n", junit)

    assert _totals_line(junit).stdout == "1 passed, 0 failed, 0 skipped\n"


def test_no_runs_and_a_broken_file_are_said_not_hidden(tmp_path):
    assert _totals_line(tmp_path).stdout == "0 passed, 0 failed, 0 skipped\n"

    (tmp_path / "cut-short.xml").write_text("<testsuites><testsuite tests=")
    result = _totals_line(tmp_path)

    assert result.stdout == "0 passed, 0 failed, 0 skipped\n"
    assert "cut-short.xml: not counted" in result.stderr
