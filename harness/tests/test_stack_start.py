"""Stack.start migrates the services' databases side by side (each has its own), then starts
them; a migration that fails starts nothing, once the others have ended."""

from __future__ import annotations

import socket
import sqlite3
import subprocess

import pytest

from harness.stack import Stack


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_migration_that_fails_starts_no_service_and_the_others_end_theirs(tmp_path):
    discount = tmp_path / "discount.sqlite3"
    stack = Stack(
        only=("discount", "payment"),
        ports={"discount": _free_port(), "payment": _free_port()},
        database_urls={
            "discount": f"sqlite:///{discount}",
            # a folder that does not exist: SQLite cannot open the file, migrate fails
            "payment": f"sqlite:///{tmp_path / 'no-such-folder' / 'payment.sqlite3'}",
        },
    )

    with pytest.raises(subprocess.CalledProcessError) as failed:
        stack.start()

    assert "migrate" in failed.value.cmd
    assert stack._procs == {}  # no gunicorn started, none left behind
    with sqlite3.connect(discount) as done:  # discount's migration ran to its end meanwhile
        tables = {row[0] for row in done.execute("SELECT name FROM sqlite_master")}
    assert {"discounts_discount", "django_migrations"} <= tables
