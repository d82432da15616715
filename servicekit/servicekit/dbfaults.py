"""Which database errors mean "the database is unavailable": answered 503, not 500.

A request that fails because its own database is unreachable, restarting, refusing
connections, dropped its connection or had its statement cancelled by the server answers
503 problem+json ``database_unavailable`` with ``Retry-After``: the client may try again
in a moment. Anything else stays what it is: an IntegrityError, a ProgrammingError (a
table that does not exist), a DataError, a deadlock is a fault of ours (500), a lock wait
past ``DB_LOCK_TIMEOUT`` is 409 ``resource_busy`` (servicekit.drf).

Django wraps the driver's errors (``django.db.OperationalError`` with the driver's error
as ``__cause__``); the decision is made on the driver's error:

- psycopg 3: an ``OperationalError`` without a SQLSTATE is a connection-level failure
  (refused, lost, closed, a database not accepting connections: libpq reports those
  without one); with one, the classes of the server going away or refusing work: 08
  (connection exception), 53 (insufficient resources: too many connections, disk full),
  57 (operator intervention: query cancelled, admin or crash shutdown, cannot connect
  now), 58 (system error), and the session timeouts 25P03/25P04 that end the session.
  psycopg reports a lost connection as OperationalError; its ``InterfaceError`` is misuse
  (a closed cursor, a missing dumper), so it stays a 500.
- sqlite3: the primary result code of an ``OperationalError``: the file cannot be opened,
  read or written (CANTOPEN, IOERR, FULL, READONLY, PROTOCOL) or the statement was
  interrupted (INTERRUPT). SQLITE_ERROR (no such table, a syntax error) is ours; BUSY is
  the lock timeout.
"""

from __future__ import annotations

import logging
import sqlite3

import psycopg
from django.db import Error

from servicekit.errors import problem

logger = logging.getLogger(__name__)

CODE = "database_unavailable"
# Seconds a client should wait: a restarted server accepts connections again within a
# second or two, and each request reconnects by itself.
RETRY_AFTER = "1"
PG_CLASSES = frozenset({"08", "53", "57", "58"})
PG_STATES = frozenset({"25P03", "25P04"})  # idle-in-transaction and transaction timeouts
SQLITE_UNAVAILABLE = frozenset(
    {
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_INTERRUPT,
    }
)


def _driver_error(exc: BaseException) -> BaseException:
    """The driver's own error: what Django wrapped, or ``exc`` if it is not wrapped."""
    if isinstance(exc, Error) and exc.__cause__ is not None:
        return exc.__cause__
    return exc


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot serve the request now (see the module)."""
    error = _driver_error(exc)
    if isinstance(error, sqlite3.OperationalError):
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in SQLITE_UNAVAILABLE
    if isinstance(error, psycopg.Error) and error.sqlstate in PG_STATES:
        return True  # the server ended the session (psycopg: an InternalError)
    if isinstance(error, psycopg.OperationalError):
        sqlstate = error.sqlstate
        return sqlstate is None or sqlstate[:2] in PG_CLASSES
    return False


def unavailable_problem() -> dict[str, object]:
    return problem(
        503,
        CODE,
        "Database unavailable",
        "The service's database cannot be reached just now; what this request had not "
        "saved was not changed. Try again shortly.",
    )


def log_unavailable(exc: BaseException, where: str) -> None:
    """One WARNING line, no traceback: an outage is not a bug, and it repeats."""
    said = str(exc).strip().splitlines()
    logger.warning("%s: the database is unavailable (%s)", where, said[0] if said else repr(exc))
