"""The services' gthread worker: new connections go to a worker with a free thread first.

``servicekit.gunicorn_conf`` runs it for ``GUNICORN_WORKER_CLASS=gthread`` (the default).
A module of its own: gunicorn imports it by name in the workers, and ``gunicorn_conf``
must not import gthread's threading before gevent's monkey-patching.
"""

from __future__ import annotations

import math
import time

from gunicorn.workers.gthread import ThreadWorker

from servicekit.gunicorn_hooks import balanced_accept_yield


class BalancedThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, letting a sibling with a free thread take a new connection.

    A worker that already holds as many connections as it has threads stops accepting
    for ``GUNICORN_ACCEPT_YIELD_MS`` when a connection arrives. A sibling with room, woken
    by the same connection, accepts it meanwhile. If none does (every worker is busy, or
    the others are frozen), the worker takes it when the pause ends and accepts without
    pausing for as long again: a connection waits at most one pause, and the main loop
    never sleeps, so requests on the connections it holds are not held up.

    gunicorn's ``reuse_port`` spreads connections as well (measured: the same balance and
    throughput), but it gives each worker its own accept queue: the connections queued
    on a frozen worker wait for it, those on a killed one are reset, and a second server
    of the same user on the same port shares it silently instead of failing. Here the
    workers keep sharing one queue. What this overrides of ``ThreadWorker`` (``accept``,
    ``set_accept_enabled``, ``wait_for_and_dispatch_events``, ``nr_conns``) is gunicorn's
    own code of the version in uv.lock; the tests run it in real gunicorn masters. With
    ``reuse_port`` set anyway, or a single worker, it does not pause: there is no shared
    queue for a sibling to take the connection from.
    """

    balances_accepts = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.accept_yield = balanced_accept_yield(self.cfg)
        self._resume_at = -math.inf

    def accept(self, listener):
        now = time.monotonic()
        if (
            self.accept_yield
            and self.nr_conns >= self.cfg.threads
            and now > self._resume_at + self.accept_yield
        ):
            self._resume_at = now + self.accept_yield
            self.set_accept_enabled(False)
            return
        super().accept(listener)

    def set_accept_enabled(self, enabled):
        if enabled and time.monotonic() < self._resume_at:
            return  # paused: the main loop asks again on its next turn
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout):
        pause = self._resume_at - time.monotonic()
        if pause > 0:
            timeout = min(timeout, pause)  # wake up to resume accepting
        super().wait_for_and_dispatch_events(timeout)
