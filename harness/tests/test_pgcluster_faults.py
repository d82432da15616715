"""The faults make chaos puts on a throwaway cluster: a durable cluster loses no commit to a
crash, a restart ends every session, a database can refuse connections and take them again."""

from __future__ import annotations

import psycopg
import pytest

from harness.pgcluster import Cluster


@pytest.fixture(scope="module")
def cluster():
    with Cluster(databases=("shop",), durable=True) as cluster:
        yield cluster


def test_a_durable_cluster_keeps_what_a_throwaway_one_turns_off(cluster):
    shown = {name: cluster.sql(f"SHOW {name}")[0][0] for name in ("fsync", "synchronous_commit")}
    assert shown == {"fsync": "on", "synchronous_commit": "on"}
    assert cluster.sql("SHOW full_page_writes") == [("on",)]


def test_a_crash_loses_no_commit_and_ends_every_session(cluster):
    with psycopg.connect(cluster.url("shop"), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kept (n int)")
        conn.execute("INSERT INTO kept VALUES (1)")  # committed: the client was told
        cluster.crash()
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")

    with psycopg.connect(cluster.url("shop")) as again:
        assert again.execute("SELECT count(*) FROM kept").fetchone() == (1,)


def test_a_restart_ends_every_session(cluster):
    with psycopg.connect(cluster.url("shop"), autocommit=True) as conn:
        cluster.restart()
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")


def test_a_database_refuses_connections_then_takes_them_again(cluster):
    with psycopg.connect(cluster.url("shop"), autocommit=True) as conn:
        cluster.allow_connections("shop", False)
        try:
            assert cluster.terminate_backends("shop") == 1
            with pytest.raises(psycopg.OperationalError, match="not currently accepting"):
                psycopg.connect(cluster.url("shop"))
            with pytest.raises(psycopg.OperationalError):
                conn.execute("SELECT 1")
        finally:
            cluster.allow_connections("shop", True)

    with psycopg.connect(cluster.url("shop")) as again:
        assert again.execute("SELECT 1").fetchone() == (1,)
