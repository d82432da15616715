"""Django's PostgreSQL backend, its connection health check made free on a quiet socket.

With ``CONN_HEALTH_CHECKS`` Django checks a reused connection before a request's first
query by sending ``SELECT 1``: one more round trip on every request (on the hot read it
doubles the round trips). A server that restarts, fails over, or ends a session
(``pg_terminate_backend``, ``idle_session_timeout``) tells each client first: it sends
an error and closes the socket, so the idle connection's socket turns readable. An idle
connection's socket is otherwise silent (nothing here LISTENs), so when it has nothing to
read the connection is taken as usable without asking the server; when it has something,
or the connection is not idle, Django's own ``SELECT 1`` decides as before.

A host that vanishes without closing its sockets is not detected this way, but nor is it
by ``SELECT 1``, which would wait for TCP to give up; a restarted server is, so no request
fails on a connection it closed.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return super().is_usable()
        try:
            readable, _, _ = select.select([connection.pgconn.socket], [], [], 0)
        except (OSError, ValueError):  # no socket any more
            return False
        return not readable or super().is_usable()
