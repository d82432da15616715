"""The PostgreSQL health check (servicekit.postgresql): free on a quiet connection, and a
connection the server closed is replaced before a request uses it."""

import time

import psycopg
import pytest
from django.core.signals import request_started
from django.db import connection

from discounts.models import Discount

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def other_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def last_query_of(pid: int) -> str:
    with other_connection() as other:
        return other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[
            0
        ]


def test_a_quiet_connection_is_checked_without_a_query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last query'")
    pid = connection.connection.info.backend_pid

    assert connection.is_usable()
    assert last_query_of(pid) == "SELECT 'the last query'"  # no SELECT 1 went to the server


def test_a_connection_the_server_ended_is_replaced_before_the_next_request_uses_it():
    Discount.objects.count()
    pid = connection.connection.info.backend_pid
    with other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's goodbye takes a moment to arrive

    request_started.send(sender=None)  # a new request: Django's per-request checks
    assert Discount.objects.count() == 0  # no error: the check replaced the connection
    assert connection.connection.info.backend_pid != pid
