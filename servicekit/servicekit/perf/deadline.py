"""One wall-clock deadline per downstream request: name resolution, connect and reads.

urllib3's timeouts bound single socket operations. ``Timeout(total=...)`` caps the connect
timeout plus the read timeout of the *first* read, yet every later ``recv`` may wait the
read timeout again, so an answer dripping one byte at a time never times out;
``getaddrinfo`` is not bounded at all; and the connect timeout applies to each resolved
address in turn. So, for the requests sent inside ``deadline(at)``:

- the host is resolved in a daemon thread, waited for until the deadline at most;
- each address gets the time left (capped by the connect timeout), none after the deadline;
- a watchdog shuts the connection's socket down at the deadline, which ends a blocked
  read at once, whatever the server drips.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

_local = threading.local()


class DeadlineExceeded(OSError):
    """The request's wall-clock deadline passed."""


class Watch:
    """The connections used inside one ``deadline`` block, and whether the deadline cut them."""

    def __init__(self) -> None:
        self.connections: list[HTTPConnection] = []
        self.cut = False


class _Watchdog:
    """One thread per process that cuts the calls whose deadline has passed.

    A thread per call (``threading.Timer``) costs a thread start and stop on every
    downstream request. This one sleeps until the earliest deadline among the calls in
    flight (a handful: one per worker thread), so a call only registers and unregisters.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active: dict[Watch, float] = {}
        self._wake_at = float("inf")
        self._pid: int | None = None

    def add(self, watch: Watch, at: float) -> None:
        with self._cond:
            if self._pid != os.getpid():  # lazily, and again in a forked worker
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="deadline-watchdog", daemon=True).start()
            self._active[watch] = at
            if at < self._wake_at:
                self._cond.notify()

    def remove(self, watch: Watch) -> None:
        with self._cond:
            self._active.pop(watch, None)

    def _run(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                due = [w for w, at in self._active.items() if at <= now]
                for watch in due:
                    del self._active[watch]
                self._wake_at = min(self._active.values(), default=float("inf"))
                if not due:
                    timeout = None if self._wake_at == float("inf") else self._wake_at - now
                    self._cond.wait(timeout)
                    continue
            for watch in due:
                _cut(watch)


_watchdog = _Watchdog()


@contextmanager
def deadline(at: float) -> Iterator[Watch]:
    """Bound every request this thread sends inside the block by ``at`` (time.monotonic)."""
    watch = Watch()
    _local.deadline, _local.connections = at, watch.connections
    _watchdog.add(watch, at)
    try:
        yield watch
    finally:
        _watchdog.remove(watch)
        _local.deadline = _local.connections = None


def _cut(watch: Watch) -> None:
    watch.cut = True
    for conn in list(watch.connections):
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


def _remaining() -> float | None:
    at = getattr(_local, "deadline", None)
    return None if at is None else at - time.monotonic()


def _resolve(host: str, port: int, timeout: float | None) -> list[tuple]:
    """getaddrinfo, given up on after ``timeout`` (its thread finishes on its own)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:  # a literal address needs no lookup
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    result: dict[str, Any] = {}

    def lookup() -> None:
        try:
            result["ok"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            result["error"] = exc

    thread = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if "ok" in result:
        return result["ok"]
    if "error" in result:
        raise result["error"]
    raise socket.gaierror(f"resolving {host!r} took longer than the time left")


if TYPE_CHECKING:  # the mixin is only ever mixed into urllib3's HTTPConnection
    _Connection = HTTPConnection
else:
    _Connection = object


class _DeadlineConnectionMixin(_Connection):
    def _new_conn(self) -> socket.socket:
        remaining = _remaining()
        if remaining is None:
            return super()._new_conn()
        host = self._dns_host.strip("[]")
        if remaining <= 0:
            raise ConnectTimeoutError(self, f"no time left to connect to {host}")
        try:
            addresses = _resolve(host, self.port, remaining)
        except OSError as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        error: OSError = OSError(f"{host} resolved to no address")
        for family, kind, proto, _, address in addresses:
            left = _remaining() or 0.0
            if left <= 0:
                raise ConnectTimeoutError(self, f"no time left to connect to {host}")
            sock = socket.socket(family, kind, proto)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                budget = self.timeout if isinstance(self.timeout, float | int) else left
                sock.settimeout(min(budget, left))
                sock.connect(address)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        if isinstance(error, TimeoutError):
            raise ConnectTimeoutError(self, f"connecting to {host} timed out") from error
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")

    def request(self, *args: Any, **kwargs: Any) -> None:
        connections = getattr(_local, "connections", None)
        if connections is not None:
            connections.append(self)  # so the watchdog can cut it at the deadline
        return super().request(*args, **kwargs)


class DeadlineHTTPConnection(_DeadlineConnectionMixin, HTTPConnection):
    pass


class DeadlineHTTPSConnection(_DeadlineConnectionMixin, HTTPSConnection):
    pass


class DeadlineHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = DeadlineHTTPConnection


class DeadlineHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = DeadlineHTTPSConnection


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter whose connections honour ``deadline()``."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": DeadlineHTTPConnectionPool,
            "https": DeadlineHTTPSConnectionPool,
        }
