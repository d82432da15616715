"""A database that cannot serve a request is 503 ``database_unavailable`` with Retry-After,
through DRF and plain views alike; a fault of ours on the database stays a 500."""

import json
import sqlite3

import psycopg
import pytest
from django.db import (
    IntegrityError,
    InterfaceError,
    InternalError,
    OperationalError,
    ProgrammingError,
)
from django.test import Client, RequestFactory
from psycopg import errors as pg

from servicekit import dbfaults, views
from servicekit.testing import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("path", ["/db-fault/unavailable", "/plain-db-fault/unavailable"])
def test_a_database_file_that_cannot_be_opened_is_503_with_retry_after(client, caplog, path):
    response = client.get(path)

    body = assert_problem(response, 503, "database_unavailable")
    assert response["Retry-After"] == "1"
    assert "try again" in body["detail"].lower()
    assert "gone.sqlite3" not in response.content.decode()  # no driver message leaks
    assert not [r for r in caplog.records if r.exc_info]  # an outage, not a bug: no traceback


@pytest.mark.parametrize("prefix", ["/db-fault", "/plain-db-fault"])
@pytest.mark.parametrize("kind", ["no_such_table", "integrity"])
def test_a_fault_of_ours_on_the_database_stays_a_500(client, prefix, kind):
    response = client.get(f"{prefix}/{kind}")

    assert_problem(response, 500, "internal_error")
    assert "Retry-After" not in response


def test_django_s_500_handler_answers_503_for_an_unavailable_database():
    request = RequestFactory().get("/anything")
    try:  # Django calls handler500 from inside its except block
        raise OperationalError("the connection is closed") from psycopg.OperationalError("closed")
    except OperationalError:
        response = views.server_error(request)

    assert response.status_code == 503
    assert json.loads(response.content)["code"] == "database_unavailable"
    assert response["Retry-After"] == "1"


def test_django_s_500_handler_stays_500_for_anything_else():
    request = RequestFactory().get("/anything")
    try:
        raise ProgrammingError("relation does not exist") from pg.UndefinedTable("nope")
    except ProgrammingError:
        response = views.server_error(request)

    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "internal_error"


def _wrapped(driver_error: Exception, wrapper: type[Exception] = OperationalError) -> Exception:
    try:
        raise wrapper(str(driver_error)) from driver_error
    except wrapper as exc:
        return exc


@pytest.mark.parametrize(
    "driver_error",
    [
        psycopg.OperationalError("connection failed: Connection refused"),  # no SQLSTATE
        psycopg.OperationalError("the connection is closed"),
        pg.AdminShutdown("terminating connection due to administrator command"),
        pg.CrashShutdown("terminating connection because of crash of another process"),
        pg.CannotConnectNow("the database system is starting up"),
        pg.QueryCanceled("canceling statement due to statement timeout"),
        pg.TooManyConnections("too many connections"),
        _wrapped(pg.IdleInTransactionSessionTimeout("idle-in-transaction timeout"), InternalError),
        pg.ConnectionFailure("connection failure"),
    ],
    ids=lambda e: type(e).__name__ + ":" + str(e)[:20],
)
def test_postgresql_errors_of_an_unavailable_database(driver_error):
    assert dbfaults.is_unavailable(driver_error)  # raised by the driver, not wrapped
    if not isinstance(driver_error, InternalError):
        assert dbfaults.is_unavailable(_wrapped(driver_error))


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(pg.LockNotAvailable("lock timeout")),  # 409 resource_busy
        _wrapped(pg.DeadlockDetected("deadlock detected")),
        _wrapped(pg.SerializationFailure("could not serialize")),
        _wrapped(pg.UndefinedTable("relation does not exist"), ProgrammingError),
        _wrapped(pg.UniqueViolation("duplicate key"), IntegrityError),
        _wrapped(psycopg.InterfaceError("the cursor is closed"), InterfaceError),
        OperationalError("no driver error behind it"),
        RuntimeError("a bug"),
    ],
    ids=repr,
)
def test_other_database_errors_are_not_unavailability(error):
    assert not dbfaults.is_unavailable(error)


def _sqlite_error(sql: str) -> sqlite3.Error:
    try:
        sqlite3.connect(":memory:").execute(sql)
    except sqlite3.Error as exc:
        return exc
    raise AssertionError(f"{sql} did not fail")


def test_sqlite_errors_are_told_apart_by_their_result_code():
    cannot_open = _sqlite_error("ATTACH DATABASE '/nonexistent-dir/x.sqlite3' AS x")
    no_such_table = _sqlite_error("SELECT * FROM nope")

    assert dbfaults.is_unavailable(_wrapped(cannot_open))
    assert not dbfaults.is_unavailable(_wrapped(no_such_table))
