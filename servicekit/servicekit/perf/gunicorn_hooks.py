"""What the services change in gunicorn itself (wired in ``servicekit.gunicorn_conf``)."""

from __future__ import annotations

import gc
import json
import mmap
import os

from gunicorn import glogging, util

from servicekit.errors import problem

# gunicorn answers a request it cannot parse (a request line or header over its limits,
# a malformed request line) before Django sees it; these are the codes of those answers.
# The worker answers 408 and 413 itself, before gunicorn parses (servicekit.perf.gunicorn_worker).
_CODES = {
    400: "malformed_request",
    408: "request_timeout",
    413: "payload_too_large",
    414: "uri_too_long",
    431: "headers_too_large",
}


class ServiceLogger(glogging.Logger):
    """gunicorn's logger without its own access line.

    servicekit's middleware writes the access line (with the request id). gunicorn
    would otherwise build one for every request, only to drop it, because a
    ``logconfig_dict`` is set: measurable CPU on every request.
    """

    def _compute_access_log_enabled(self) -> bool:
        return bool(self.cfg.accesslog)


def write_problem_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error`` answering problem+json instead of an HTML page."""
    code = _CODES.get(status_int, "malformed_request" if status_int < 500 else "internal_error")
    body = json.dumps(problem(status_int, code, reason, mesg or reason)).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


def install() -> None:
    util.write_error = write_problem_error


# --- Whole requests before a thread (servicekit.perf.gunicorn_worker) -------------------------

READ_TIMEOUT_ENV = "GUNICORN_READ_TIMEOUT"
DEFAULT_READ_TIMEOUT = 10.0


def read_timeout(value: str | None) -> float:
    """``GUNICORN_READ_TIMEOUT``: seconds a request has to arrive whole, 10 by default.

    0 turns the guard off (gunicorn's own reading, where a slow client holds a thread).
    Anything but a number from 0 to 3600 is refused.
    """
    return _bounded(value, DEFAULT_READ_TIMEOUT, 3600, READ_TIMEOUT_ENV, "seconds")


def _bounded(value: str | None, default: float, most: int, name: str, unit: str) -> float:
    """A variable's number from 0 to ``most``; unset or blank: ``default``."""
    text = (value or "").strip()
    try:
        number = float(text) if text else default
    except ValueError:
        number = -1.0
    if not 0 <= number <= most:
        raise ValueError(f"{name} must be a number of {unit} from 0 to {most}, not {value!r}.")
    return number


# --- One CPU per worker ----------------------------------------------------------------
# A gthread worker hands every request from its listening thread to a pool thread and
# back. When the kernel runs those threads on different CPUs, each hand-off is a
# cross-CPU wake-up; on a virtual machine that costs an inter-processor interrupt and a
# VM exit (measured: perf/README.md). Keeping each
# worker on one CPU makes the hand-offs local; the workers still spread over the CPUs.
# nginx's ``worker_cpu_affinity auto`` does the same for its workers.

CPU_AFFINITY_ENV = "GUNICORN_CPU_AFFINITY"
CPU_AFFINITY_POLICIES = ("auto", "off")


def cpu_affinity_policy(value: str | None, balanced: bool) -> str:
    """``GUNICORN_CPU_AFFINITY``: ``auto`` or ``off``; anything else is refused.

    Unset, it is ``auto`` when the workers accept connections balanced (the services'
    gthread worker with ``GUNICORN_ACCEPT_YIELD_MS`` above 0 and one shared socket, as
    gunicorn finally runs them: ``accepts_balanced``), ``off`` otherwise. A
    pinned worker cannot move off a busy CPU, so where workers race to accept, a burst of
    keep-alive connections can all land on the worker on the waker's CPU and leave a core
    idle (measured: perf/README.md).
    """
    if value is None or not value.strip():
        return "auto" if balanced else "off"
    policy = value.strip().lower()
    if policy not in CPU_AFFINITY_POLICIES:
        raise ValueError(f"{CPU_AFFINITY_ENV} must be auto or off, not {value!r}.")
    return policy


def worker_cpu(allowed: set[int], workers: int, taken: list[int | None]) -> int | None:
    """The CPU for a new worker, or None to leave it to the kernel.

    Workers are pinned only when there are at least as many as the CPUs the server may
    use: then every CPU gets its share. With fewer (a large host shared with others),
    pinning would crowd a few CPUs while others idle. ``taken``: the CPUs of the live
    workers; the new one gets the least used, the lowest first.
    """
    if len(allowed) < 2 or workers < len(allowed):
        return None
    return min(sorted(allowed), key=taken.count)


def choose_cpu(server, worker, policy: str) -> None:
    """gunicorn's ``pre_fork`` (in the master): which CPU the worker about to fork gets."""
    worker.cpu = None
    if policy == "off" or not hasattr(os, "sched_getaffinity"):  # not on Linux
        return
    taken = [getattr(w, "cpu", None) for w in server.WORKERS.values()]
    worker.cpu = worker_cpu(os.sched_getaffinity(0), server.num_workers, taken)


def freeze_preloaded() -> None:
    """gunicorn's ``pre_fork`` (in the master): what it holds goes to the GC's permanent
    generation, so the worker about to fork shares it instead of copying it.

    The preloaded app (Django, DRF, every view) is many thousands of objects. Without this, a
    worker's first full collection walks all of them, in some request's time, and writes to each one's GC header, which copies every page they sit on into the
    worker. The master's garbage is collected first, so none of it is frozen; the worker
    collects what it creates as before. What it never collects: a preloaded object that
    later becomes cyclic garbage, which the warm-up (imports, no connections) leaves
    little room for (https://docs.python.org/3/library/gc.html#gc.freeze).
    """
    gc.collect()
    gc.freeze()


def pin_to_cpu(server, worker) -> None:
    """gunicorn's ``post_fork`` (in the worker, before its threads start): pin it.

    A CPU taken away between the master's choice and the fork (a container's cpuset
    changed) leaves the worker unpinned, with a warning: it must still boot.
    """
    cpu = getattr(worker, "cpu", None)
    if cpu is None:
        return
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as exc:
        server.log.warning(
            "Worker %s left to the kernel: CPU %s refused (%s)", worker.pid, cpu, exc
        )
        return
    server.log.info(
        "Worker %s runs on CPU %s (%s=auto)",
        worker.pid,
        cpu,
        CPU_AFFINITY_ENV,
    )


# --- Connections spread over the workers -------------------------------------------------
# gthread workers all wait on the one listening socket, and a new connection wakes them
# all: the first to call accept() takes it. The worker already running on a CPU usually
# wins, so a burst of keep-alive connections can all land on one worker while the other
# idles; its threads then contend for one GIL (measured: perf/README.md).

ACCEPT_YIELD_ENV = "GUNICORN_ACCEPT_YIELD_MS"
DEFAULT_ACCEPT_YIELD_MS = 2.0


def accept_yield(value: str | None, workers: int) -> float:
    """``GUNICORN_ACCEPT_YIELD_MS`` in seconds: 2 ms by default, 0 to turn it off.

    Nothing to yield to with a single worker: 0. Anything but a number from 0 to 10000
    is refused.
    """
    ms = _bounded(value, DEFAULT_ACCEPT_YIELD_MS, 10000, ACCEPT_YIELD_ENV, "milliseconds")
    return ms / 1000 if workers > 1 else 0.0


def balanced_accept_yield(cfg) -> float:
    """The pause of the balanced gthread worker under gunicorn's effective settings.

    0 with one worker, and with ``reuse_port``: each worker then listens on a socket of
    its own, so a pause would hand nothing to a sibling, only delay the connection.
    """
    if cfg.reuse_port:
        return 0.0
    return accept_yield(os.environ.get(ACCEPT_YIELD_ENV), cfg.workers)


def accepts_balanced(server) -> bool:
    """Whether the arbiter's workers accept connections balanced (see gunicorn_worker)."""
    return bool(
        getattr(server.worker_class, "balances_accepts", False)
        and balanced_accept_yield(server.cfg) > 0
    )


class ConnectionCounts:
    """How many connections each worker holds, in memory the master shares with its workers.

    One slot per live worker: its connection count (-1 when the slot is free) and until
    when it has stopped accepting (``time.monotonic()``, the same clock in every process).
    The master gives a worker about to fork the lowest free slot (``pre_fork``) and frees
    it when the worker exits (``child_exit``); the worker writes its own slot, and reads
    the others' to decide whether to leave a new connection to a sibling. Each value is
    one aligned 8-byte word, written whole.
    """

    def __init__(self, slots: int = 64) -> None:
        self._memory = mmap.mmap(-1, 16 * slots)  # anonymous, shared with forked children
        self._counts = memoryview(self._memory)[: 8 * slots].cast("q")
        self._paused_until = memoryview(self._memory)[8 * slots :].cast("d")
        for slot in range(slots):
            self._counts[slot] = -1

    def claim(self, taken: set[int]) -> int | None:
        """A free slot for a new worker (in the master), or None when all are taken."""
        for slot in range(len(self._counts)):
            if slot not in taken:
                self._counts[slot] = 0
                self._paused_until[slot] = 0.0
                return slot
        return None

    def free(self, slot: int | None) -> None:
        if slot is not None:
            self._counts[slot] = -1

    def publish(self, slot: int, count: int) -> None:
        self._counts[slot] = count

    def pause(self, slot: int, until: float) -> None:
        self._paused_until[slot] = until

    def holding_fewer(self, slot: int, count: int) -> list[float]:
        """The live workers other than ``slot`` holding fewer than ``count`` connections:
        until when each has stopped accepting."""
        counts = self._counts.tolist()
        return [self._paused_until[i] for i, c in enumerate(counts) if 0 <= c < count and i != slot]


CONNECTION_COUNTS = ConnectionCounts()


def claim_connection_slot(server, worker) -> None:
    """gunicorn's ``pre_fork`` (in the master): the worker's slot in ``CONNECTION_COUNTS``."""
    taken = {getattr(w, "connection_slot", None) for w in server.WORKERS.values()}
    worker.connection_slot = CONNECTION_COUNTS.claim({s for s in taken if s is not None})


def free_connection_slot(server, worker) -> None:
    """gunicorn's ``child_exit`` (in the master)."""
    CONNECTION_COUNTS.free(getattr(worker, "connection_slot", None))
