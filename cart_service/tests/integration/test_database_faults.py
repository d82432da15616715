"""cart_service's own database failing under a request: 503 database_unavailable with
Retry-After, nothing the request had not committed is changed, and the next request
reconnects by itself. A fault of ours on the database stays a 500.

On PostgreSQL the faults are the server's own: the request's backend terminated mid-request
(pg_terminate_backend), the database refusing connections (ALLOW_CONNECTIONS false), a
statement cancelled by the server (statement_timeout). On SQLite: a database file that
cannot be opened (SQLITE_CANTOPEN), against a missing table (SQLITE_ERROR, ours: 500).
"""

import contextlib
import time

import psycopg
import pytest
from django.db import close_old_connections, connection
from rest_framework.test import APIClient

from carts.models import Cart, CartItem
from servicekit.testing import assert_problem, queries_fail_as_unavailable
from tests.factories import CartFactory

MUG = {"sku": "MUG-1", "quantity": 2}
postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the server's own faults need PostgreSQL"
)


def server() -> psycopg.Connection:
    """A connection of the test's own to the server, beside the request's."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["dbname"] = "postgres"
    return psycopg.connect(**params, autocommit=True)


@contextlib.contextmanager
def before_query(number: int, do):
    """Run ``do(execute, context)`` before the request's ``number``-th query (1-based)."""
    seen = 0

    def wrapper(execute, sql, params, many, context):
        nonlocal seen
        seen += 1
        if seen == number:
            do(execute, context)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield


def terminate_own_backend(execute, context) -> None:
    pid = context["connection"].connection.info.backend_pid
    with server() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.05)  # the server's goodbye reaches the socket


def missing_table(execute, context) -> None:
    execute("SELECT * FROM no_such_table", None, False, context)


def unavailable(response) -> None:
    assert_problem(response, 503, "database_unavailable")
    assert response["Retry-After"] == "1"


def next_request() -> None:
    """What Django does when the next request starts (the test client skips it)."""
    close_old_connections()


@pytest.fixture(autouse=True)
def _fresh_connection_after():
    yield
    connection.close()  # whatever the fault left on it (a statement_timeout) goes with it


@postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_terminated_mid_transaction_is_503_and_nothing_is_stored(anon):
    # the cart's INSERT is sent, then the backend is terminated before its lines' INSERT
    with before_query(2, terminate_own_backend):
        response = anon.post("/api/carts/", {"currency": "USD", "items": [MUG]}, format="json")

    unavailable(response)
    next_request()
    assert (Cart.objects.count(), CartItem.objects.count()) == (0, 0)
    assert anon.post("/api/carts/", {"currency": "USD"}, format="json").status_code == 201


@postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_refusing_connections_is_503_until_it_takes_them_again(anon):
    cart = CartFactory()
    name = connection.settings_dict["NAME"]
    connection.close()
    with server() as other:
        other.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            response = anon.get(f"/api/carts/{cart.id}/")
            metrics = anon.get("/metrics", HTTP_AUTHORIZATION="Bearer dev-metrics-token")
        finally:
            other.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    unavailable(response)
    unavailable(metrics)  # a plain view reading the database (the reconciler's backlog)
    next_request()
    assert anon.get(f"/api/carts/{cart.id}/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_statement_the_database_cannot_run_now_is_503(anon):
    """PostgreSQL cancels it (statement_timeout); SQLite cannot open the database file."""
    cart = CartFactory()

    with queries_fail_as_unavailable():
        response = anon.get(f"/api/carts/{cart.id}/")

    unavailable(response)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/api/carts/{id}/", "/metrics"])
def test_a_fault_of_ours_on_the_database_stays_a_500(path):
    cart = CartFactory()
    client = APIClient(raise_request_exception=False)

    with before_query(1, missing_table):
        response = client.get(
            path.format(id=cart.id), HTTP_AUTHORIZATION="Bearer dev-metrics-token"
        )

    assert_problem(response, 500, "internal_error")
    assert "Retry-After" not in response
