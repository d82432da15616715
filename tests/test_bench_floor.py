"""bench/floor.py: the floor, and the same read as the hot read in a bare Django view."""

import json
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench import servers
from bench.report import markdown, targets

ROOT = Path(__file__).resolve().parent.parent

TABLE = """
CREATE TABLE discounts_discount (
    id integer PRIMARY KEY, code varchar(32) UNIQUE, description text, kind varchar(10),
    value decimal, currency varchar(3), starts_at datetime, ends_at datetime,
    max_redemptions integer, times_redeemed integer, is_active bool, created_at datetime
)
"""


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


@pytest.fixture
def discounts(tmp_path) -> str:
    path = tmp_path / "discount.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(TABLE)
        db.execute(
            "INSERT INTO discounts_discount VALUES "
            "(1, 'BENCH10', '', 'percent', 10, NULL, '2026-11-22 08:00:00', NULL, NULL, 3, 1, "
            "'2026-11-22 08:00:00')"
        )
    return f"sqlite:///{path}"


def test_the_floor_reads_the_row_the_hot_read_returns(tmp_path, discounts):
    with servers.Floor(tmp_path / "floor.log", discounts) as floor:
        status, body = _get(f"{floor.url}/read/BENCH10/")
        missing, _ = _get(f"{floor.url}/read/NOPE/")
        constant, _ = _get(f"{floor.url}/floor/")

    assert status == 200
    assert body["code"] == "BENCH10"
    assert body["value"] == "10.00"
    assert body["times_redeemed"] == 3
    assert body["status"] == "active"
    assert missing == 404
    assert constant == 200


def test_without_a_database_the_floor_has_no_read(tmp_path):
    with servers.Floor(tmp_path / "floor.log") as floor:
        status, _ = _get(f"{floor.url}/read/BENCH10/")
        constant, body = _get(f"{floor.url}/floor/")

    assert status == 404
    assert (constant, body["code"]) == (200, "BENCH10")


def test_the_report_sets_the_hot_read_beside_the_same_read_in_bare_django():
    read = {"rounds_rps": [1], "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 3.0}
    report = {
        "when": "now",
        "machine": "2 cores",
        "settings": {},
        "floor": {**read, "rps": 7000.0, "server_cpu_ms_per_request": 0.25},
        "databases": [
            {
                "database": "sqlite",
                "hot_read": {**read, "rps": 2800.0, "server_cpu_ms_per_request": 0.65},
                "floor_read": {**read, "rps": 3850.0, "server_cpu_ms_per_request": 0.45},
                "flows": [],
                "sql_per_request": {},
            }
        ],
    }
    report["targets"] = targets(report)

    table = markdown(report)

    assert "| bare Django, the same read (sqlite) | 3850 |" in table
    assert "| 0.45 | in the services | 0.55 |" in table
    assert "0.40x, p99 3.0 ms (a bare Django view doing the same read: 0.55x)" in table
