"""The services' gthread worker: new connections go to the worker holding the fewest.

``servicekit.gunicorn_conf`` runs it for ``GUNICORN_WORKER_CLASS=gthread`` (the default).
A module of its own: gunicorn imports it by name in the workers, and ``gunicorn_conf``
must not import gthread's threading before gevent's monkey-patching.
"""

from __future__ import annotations

import math
import time

from gunicorn.workers.gthread import ThreadWorker

from servicekit.gunicorn_hooks import CONNECTION_COUNTS, balanced_accept_yield


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

    def run(self):
        # Given by the master in pre_fork, after __init__; None: more workers than slots.
        self._slot = getattr(self, "connection_slot", None)
        self._publish()
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
