"""gunicorn settings shared by the three services (``gunicorn -c python:servicekit.gunicorn_conf``).

Environment: ``BIND`` (default 127.0.0.1:8000), ``WEB_CONCURRENCY`` worker
processes, ``GUNICORN_THREADS`` threads per worker, ``GUNICORN_TIMEOUT`` seconds,
``GUNICORN_ACCEPT_YIELD_MS`` (gthread: how long a worker holding more connections than a
sibling leaves a new one to it, default 2; 0: gunicorn's race to accept),
``GUNICORN_READ_TIMEOUT`` (gthread: seconds a request has to arrive whole before a thread
takes it, default 10; 0: gunicorn's own reading), ``GUNICORN_CPU_AFFINITY``
(``auto``: each worker on one CPU when the workers are at least as many as the CPUs, the
default when connections are balanced; ``off``), ``SERVICE_NAME`` for the log lines (default: the
working directory's name),
``PROMETHEUS_MULTIPROC_DIR`` for the workers' metrics (default: a temporary directory).
"""

import os
from pathlib import Path

from servicekit.observability import gunicorn as metrics_dir

# Before anything imports prometheus_client: it picks multi-process mode at import.
metrics_dir.prepare_multiproc_dir(os.environ.get("SERVICE_NAME") or Path.cwd().name)
on_exit = metrics_dir.on_exit

from servicekit.perf import gunicorn_hooks  # noqa: E402
from servicekit.settings import logging_config  # noqa: E402

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
if worker_class == "gthread":
    # gthread, with new connections going to the worker holding the fewest first
    # (servicekit.perf.gunicorn_worker.BalancedThreadWorker); a bad GUNICORN_ACCEPT_YIELD_MS
    # stops gunicorn here, in the master.
    gunicorn_hooks.accept_yield(os.environ.get(gunicorn_hooks.ACCEPT_YIELD_ENV), workers)
    # Requests read whole in the worker's main loop before a thread takes them
    # (BalancedThreadWorker); a bad GUNICORN_READ_TIMEOUT stops gunicorn here too.
    gunicorn_hooks.read_timeout(os.environ.get(gunicorn_hooks.READ_TIMEOUT_ENV))
    worker_class = "servicekit.perf.gunicorn_worker.BalancedThreadWorker"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS") or 1000)
# One CPU per worker when the workers fill the CPUs and accept balanced, unless turned
# off (servicekit.perf.gunicorn_hooks). A bad value stops gunicorn here; the default is
# settled in pre_fork, from the settings gunicorn finally runs with (GUNICORN_CMD_ARGS
# and the command line included).
_cpu_affinity = os.environ.get(gunicorn_hooks.CPU_AFFINITY_ENV)
gunicorn_hooks.cpu_affinity_policy(_cpu_affinity, balanced=False)


def pre_fork(server, worker):
    gunicorn_hooks.freeze_preloaded()
    policy = gunicorn_hooks.cpu_affinity_policy(
        _cpu_affinity, balanced=gunicorn_hooks.accepts_balanced(server)
    )
    gunicorn_hooks.choose_cpu(server, worker, policy)
    gunicorn_hooks.claim_connection_slot(server, worker)


post_fork = gunicorn_hooks.pin_to_cpu


def child_exit(server, worker):
    metrics_dir.child_exit(server, worker)
    gunicorn_hooks.free_connection_slot(server, worker)


# Import the app (and warm it up, see servicekit.wsgi) once in the master: workers fork
# ready, so no request pays for the imports; pre_fork freezes it out of their garbage
# collections, so they share its memory (gunicorn_hooks.freeze_preloaded).
preload_app = True
if worker_class == "gevent":
    # Before the preloaded app imports anything: psycopg picks a cooperative wait
    # function only if select is already patched when it is imported.
    from gevent import monkey

    monkey.patch_all()
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
# Several services run side by side; the control socket in $HOME would collide.
control_socket_disable = True
# The access line is written by servicekit's middleware, with the request id.
accesslog = None
logger_class = "servicekit.perf.gunicorn_hooks.ServiceLogger"
# Requests gunicorn cannot parse are answered problem+json too, never an HTML page.
gunicorn_hooks.install()
# Each worker touches a heartbeat file on every request: keep it in memory, not on disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - not a temp file we name
errorlog = "-"
# gunicorn's own lines in the services' format: service=… request_id=- (no request yet).
_logging = logging_config(os.environ.get("SERVICE_NAME") or Path.cwd().name)
_logging["loggers"]["gunicorn.error"] = {
    "level": "INFO",
    "handlers": ["console"],
    "propagate": False,
}
logconfig_dict = _logging
