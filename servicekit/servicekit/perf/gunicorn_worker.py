"""The services' gthread worker: whole requests to threads, new connections to the worker
holding the fewest.

``servicekit.gunicorn_conf`` runs it for ``GUNICORN_WORKER_CLASS=gthread`` (the default).
A module of its own: gunicorn imports it by name in the workers, and ``gunicorn_conf``
must not import gthread's threading before gevent's monkey-patching.
"""

from __future__ import annotations

import contextlib
import math
import os
import selectors
import socket
import time
from functools import partial

from gunicorn import util
from gunicorn.http.unreader import Unreader
from gunicorn.workers.gthread import ThreadWorker

from servicekit.perf import request_framing
from servicekit.perf.gunicorn_hooks import (
    CONNECTION_COUNTS,
    READ_TIMEOUT_ENV,
    balanced_accept_yield,
    read_timeout,
    write_problem_error,
)
from servicekit.perf.request_framing import RequestFrame, whole_without_body

RECV_SIZE = 65536
# A connection closed after its answer: the worker stops writing, then reads and drops
# what the client still sends, so the answer is not lost to a reset (RFC 9112 section 9.6).
# gunicorn's util.close_graceful does the same, but blocking: 2 s and 64 KiB at most.
LINGER_SECONDS = 2.0
LINGER_BYTES = 65536


def body_limit() -> int:
    """The largest body the worker reads ahead: Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

    Django refuses a larger one anyway (413 ``payload_too_large``); the worker answers it
    the same way without reading it. Without a limit in the settings (None), or without
    Django's settings, Django's default (2.5 MB).
    """
    from django.conf import global_settings, settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if settings.configured else None
    return global_settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else limit


def reads_whole_requests(cfg) -> bool:
    """Whether the main loop can read requests itself: plain HTTP/1.x on the socket.

    Not with TLS (gunicorn's ``is_ssl``: the bytes are encrypted until a thread does the
    handshake), a PROXY protocol header or HTTP/2 in clear text: those keep gunicorn's
    own reading. The services' TLS ends in front of them.
    """
    return (
        not cfg.is_ssl
        and getattr(cfg, "proxy_protocol", "off") in ("off", False, None)
        and getattr(cfg, "http2_cleartext", "off") in ("off", None)
    )


class _Received(Unreader):
    """A parser's source holding only the bytes the main loop read: a thread never waits
    on the socket. Past them it reads the end of the stream."""

    def chunk(self, size_hint=None):
        return b""


class BalancedThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, leaving a new connection to a sibling that holds fewer.

    The workers publish how many connections each holds (``gunicorn_hooks.
    CONNECTION_COUNTS``). A worker that holds more than a live sibling stops accepting
    for ``GUNICORN_ACCEPT_YIELD_MS`` when a connection arrives; the sibling, woken by the
    same connection, accepts it meanwhile. When the pause ends, the worker takes what is
    left unless a sibling holding fewer is itself paused or resumed less than one pause
    ago (it is about to take it); otherwise (the sibling is frozen or slow to wake) it
    takes it then. A connection waits a pause or two at most, and the main loop never
    sleeps, so requests on the connections the worker holds are not held up. Workers
    holding the same number race as in plain gthread. So 4 keep-alive clients split 2/2
    over two workers, and 8 split 4/4: each worker is one process with one GIL, and
    connections piled on one of them leave a core idle. A worker without a slot (more
    workers than slots) leaves a connection to the others only once it holds as many as
    it has threads.

    gunicorn's ``reuse_port`` spreads connections as well (measured: the same balance and
    throughput), but it gives each worker its own accept queue: the connections queued
    on a frozen worker wait for it, those on a killed one are reset, and a second server
    of the same user on the same port shares it silently instead of failing. Here the
    workers keep sharing one queue. What this overrides of ``ThreadWorker`` (``run``,
    ``accept``, ``set_accept_enabled``, ``wait_for_and_dispatch_events``, ``nr_conns``)
    is gunicorn's own code of the version in uv.lock; the tests run it in real gunicorn
    masters. With ``reuse_port`` set anyway, or a single worker, it does not pause: there
    is no shared queue for a sibling to take the connection from.
    """

    balances_accepts = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.accept_yield = balanced_accept_yield(self.cfg)
        self._resume_at = -math.inf
        self._slot: int | None = None
        self.read_timeout = read_timeout(os.environ.get(READ_TIMEOUT_ENV))
        self.reads_whole = self.read_timeout > 0 and reads_whole_requests(self.cfg)
        # Connections whose request is being read, and those closing after their answer:
        # until when each may stay. The same span for all, so in order of their deadlines.
        self._reading: dict = {}
        self._lingering: dict = {}
        self._limits = request_framing.limits_of(self.cfg, body_limit())

    def run(self):
        # Given by the master in pre_fork, after __init__; None: more workers than slots.
        self._slot = getattr(self, "connection_slot", None)
        self._publish()
        if self.reads_whole:  # the app is loaded now: its Django settings too
            self._limits = request_framing.limits_of(self.cfg, body_limit())
        elif self.read_timeout > 0:
            self.log.warning(
                "%s does not apply with TLS, PROXY protocol or HTTP/2 in clear text: "
                "a slow client holds a thread",
                READ_TIMEOUT_ENV,
            )
        super().run()

    def _publish(self):
        if self._slot is not None:
            CONNECTION_COUNTS.publish(self._slot, self.nr_conns)

    def _siblings_holding_fewer(self) -> list[float] | None:
        """Until when each sibling holding fewer connections has paused; None: no slot."""
        if self._slot is None:
            return None
        return CONNECTION_COUNTS.holding_fewer(self._slot, self.nr_conns)

    def accept(self, listener):
        if not self.accept_yield:
            super().accept(listener)
            self._publish()
            return
        now = time.monotonic()
        fewer = self._siblings_holding_fewer()
        if self._resume_at <= now <= self._resume_at + self.accept_yield:
            # The first accept after a pause: take what was left, unless a sibling holding
            # fewer is itself paused or has just resumed (it is about to take it). A
            # sibling frozen mid-pause stops counting one pause after its pause ended.
            waiting = any(until + self.accept_yield > now for until in fewer or ())
        elif fewer is None:
            waiting = self.nr_conns >= self.cfg.threads
        else:
            waiting = bool(fewer)
        if waiting:
            self._pause(now)
            return
        self._resume_at = -math.inf
        super().accept(listener)
        self._publish()

    def _pause(self, now: float) -> None:
        self._resume_at = now + self.accept_yield
        if self._slot is not None:
            CONNECTION_COUNTS.pause(self._slot, self._resume_at)
        self.set_accept_enabled(False)

    def set_accept_enabled(self, enabled):
        if enabled and time.monotonic() < self._resume_at:
            fewer = self._siblings_holding_fewer()
            if fewer is None or fewer:
                return  # still paused: the main loop asks again on its next turn
            # No sibling holds fewer any more (it took the connection, or this worker's
            # own connections closed): accept again at once, not at the pause's end.
            self._resume_at = -math.inf
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout):
        self._publish()  # connections closed since the last turn
        pause = self._resume_at - time.monotonic()
        if pause > 0:
            timeout = min(timeout, pause)  # wake up to resume accepting
        super().wait_for_and_dispatch_events(timeout)

    # --- Whole requests before a thread ---------------------------------------------------
    # gunicorn's gthread worker hands a connection to a pool thread, which reads the request
    # blocking: a client that sends one byte, or a head and part of a body, and stops holds
    # that thread (gunicorn only gives a new connection that sends nothing back to the
    # poller, after 5 s). A handful of such clients held every thread of a worker, and
    # nothing else was answered. Here the main loop reads each request, without blocking,
    # until it is whole (``servicekit.perf.request_framing``), and a thread gets it only then,
    # with its bytes: the parser reads them, never the socket. A request has
    # ``GUNICORN_READ_TIMEOUT`` seconds to arrive whole, from the connection's accept or its
    # first byte after an answer; past it the worker answers 408 (or closes a connection
    # that sent nothing). A body over Django's limit is answered 413 unread. Bytes left
    # after an answer (a pipelined request) are read the same way. What this overrides of
    # ThreadWorker (``enqueue_req``, ``on_client_socket_readable``, ``finish_request``,
    # ``handle``, ``murder_pending``, ``_cap_keepalive``) is gunicorn's own code of the
    # version in uv.lock.

    def enqueue_req(self, conn):
        """A connection whose next request is to be read: just accepted, or with bytes left
        over after an answer. gunicorn's: straight to a thread."""
        if not self.reads_whole:
            super().enqueue_req(conn)
            return
        conn.frame = None
        conn.sock.setblocking(False)
        leftover = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        if leftover and self._received(conn, leftover):
            return
        self._reading[conn] = time.monotonic() + self.read_timeout
        callback = partial(self.on_client_socket_readable, conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, callback)
        self._read(conn)  # often there already

    def on_client_socket_readable(self, conn, client):
        """Bytes of a request on a connection: the first after a kept-alive wait, or more."""
        if not self.reads_whole:
            super().on_client_socket_readable(conn, client)
            return
        if conn not in self._reading:  # it was kept alive: its next request has begun
            self.keepalived_conns.remove(conn)
            conn.frame = None
            self._reading[conn] = time.monotonic() + self.read_timeout
        self._read(conn)

    def _read(self, conn) -> None:
        """One read, as the poller reports the socket readable (it does again if more)."""
        data = _recv(conn.sock)
        if data is None:
            return
        if not data:  # the client closed (or reset) it; nothing to answer
            self._close(conn)
            return
        self._received(conn, data)

    def _received(self, conn, data: bytes) -> bool:
        """Take what one read returned; True once the connection has left the reading."""
        frame = conn.frame
        if frame is None:
            if whole_without_body(data):
                self._dispatch(conn, data)
                return True
            frame = conn.frame = RequestFrame(self._limits)
        verdict = frame.feed(data)
        if verdict == request_framing.NEED_MORE:
            if frame.expects_continue:
                frame.expects_continue = False
                self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
            return False
        if verdict == request_framing.BODY_TOO_LARGE:
            limit = self._limits.body
            self._answer(conn, 413, "Payload too large", f"The body is larger than {limit} bytes.")
            return True
        self._dispatch(conn, bytes(frame.buf))  # WHOLE, or a head gunicorn will refuse
        return True

    def _dispatch(self, conn, data: bytes) -> None:
        if self._reading.pop(conn, None) is not None:
            self.poller.unregister(conn.sock)
        conn.frame = None
        conn.received = data
        conn.data_ready = True  # gunicorn's own wait for a first byte is not needed
        super().enqueue_req(conn)

    def handle(self, conn):
        """In a pool thread: the request is in ``conn.received``, whole."""
        if self.reads_whole:
            data, conn.received = conn.received, b""
            if not conn.initialized:
                conn.init()  # plain HTTP/1.x (reads_whole_requests): makes the parser only
                conn.parser.unreader = _Received()
            conn.parser.unreader.unread(data)
        return super().handle(conn)

    def finish_request(self, conn, fs):
        """Back from the thread; a connection to close lingers without blocking the loop."""
        if self.reads_whole and not (not fs.cancelled() and fs.exception() is None and fs.result()):
            conn.sock.setblocking(False)
            self._linger(conn)
            return
        super().finish_request(conn, fs)

    def _answer(self, conn, status: int, reason: str, detail: str) -> None:
        """Answer a request the main loop refuses (problem+json), then close."""
        conn.sock.setblocking(False)
        # A client gone, or reading nothing: closing is all there is to do.
        with contextlib.suppress(OSError):
            write_problem_error(conn.sock, status, reason, detail)
        self._linger(conn)

    def _send(self, conn, data: bytes) -> None:
        with contextlib.suppress(OSError):
            conn.sock.send(data)

    def _linger(self, conn) -> None:
        registered = self._reading.pop(conn, None) is not None
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            if registered:
                self.poller.unregister(conn.sock)
            self._release(conn)
            return
        conn.drained = 0
        self._lingering[conn] = time.monotonic() + LINGER_SECONDS
        callback = partial(self._on_lingering_readable, conn)
        if registered:
            self.poller.modify(conn.sock, selectors.EVENT_READ, callback)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, callback)

    def _on_lingering_readable(self, conn, _sock):
        data = _recv(conn.sock)
        if data is None:
            return
        conn.drained += len(data)
        if not data or conn.drained >= LINGER_BYTES:
            self._close(conn)

    def _close(self, conn) -> None:
        """Close a connection the main loop holds (reading or lingering)."""
        if self._reading.pop(conn, None) is not None or self._lingering.pop(conn, None) is not None:
            self.poller.unregister(conn.sock)
        self._release(conn)

    def _release(self, conn) -> None:
        self.nr_conns -= 1
        util.close(conn.sock)

    def murder_pending(self):
        """Each turn of the main loop: requests past their time, lingering past its own."""
        super().murder_pending()
        if not self.reads_whole:
            return
        now = time.monotonic()
        for conn in _due(self._reading, now):
            frame = conn.frame
            if frame is not None and frame.buf:
                self._answer(
                    conn,
                    408,
                    "Request Timeout",
                    f"The request did not arrive whole within {self.read_timeout:g} seconds.",
                )
            else:
                self._close(conn)  # sent nothing: closed as an idle kept-alive one is
        for conn in _due(self._lingering, now):
            self._close(conn)

    def _cap_keepalive(self, deadline):
        """Stopping: requests being read get what kept-alive connections get."""
        super()._cap_keepalive(deadline)
        self._reading = {conn: min(d, deadline) for conn, d in self._reading.items()}


def _recv(sock) -> bytes | None:
    """One non-blocking read: None when nothing is there yet, b"" when the peer is gone."""
    try:
        return sock.recv(RECV_SIZE)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


def _due(deadlines: dict, now: float) -> list:
    """The connections past their deadline; ``deadlines`` is in the order of its values."""
    due = []
    for conn, deadline in deadlines.items():
        if deadline > now:
            break
        due.append(conn)
    return due
