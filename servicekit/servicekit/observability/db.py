"""Database query time and errors, from Django's execute wrappers and request exceptions."""

from __future__ import annotations

import sys
import time

from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError
from django.db.backends.signals import connection_created

from servicekit.observability import metrics

_query_errors = metrics.DB_ERRORS.labels("query")
_connection_errors = metrics.DB_ERRORS.labels("connection")


def _timed(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    except DatabaseError:
        _query_errors.inc()
        raise
    finally:
        metrics.DB_QUERY_SECONDS.observe(time.perf_counter() - started)


def _on_connection(sender, connection, **kwargs) -> None:
    if _timed not in connection.execute_wrappers:
        connection.execute_wrappers.append(_timed)


def connection_failed() -> None:
    """Count a failure to reach the database (e.g. the readiness check's)."""
    _connection_errors.inc()


def count_unhandled(exc: BaseException | None) -> None:
    """A request failed on an error nobody handled: a database one means it is unreachable.

    (Errors a view handles, such as a lock timeout answered 409, never get here.)
    """
    if isinstance(exc, (OperationalError, InterfaceError)):
        _connection_errors.inc()


def _on_request_exception(sender, request=None, **kwargs) -> None:
    # Plain Django views; sent from inside Django's except block, so this is the exception.
    count_unhandled(sys.exc_info()[1])


def install() -> None:
    connection_created.connect(_on_connection, dispatch_uid="servicekit.observability.db")
    got_request_exception.connect(
        _on_request_exception, dispatch_uid="servicekit.observability.db-errors"
    )
