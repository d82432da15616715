"""Test helpers and a pytest plugin every service's suite loads (``pytest_plugins``)."""

from __future__ import annotations

import pytest
from django.db import connection


def assert_problem(response, status: int, code: str) -> dict:
    """The response is an RFC 9457 problem with this status and code; returns its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def pytest_collection_modifyitems(config, items):
    # Concurrency tests prove claims about PostgreSQL's locking; on SQLite they would
    # prove nothing. `make test` runs them against a throwaway PostgreSQL cluster.
    for item in items:
        if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: run `make test-postgres`"))
