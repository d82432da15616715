"""prometheus_client's multi-process mode under gunicorn (wired in ``servicekit.gunicorn_conf``).

Each worker writes its samples to memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR``
(a folder named after the service inside the one given, or a temporary directory), and
``/metrics`` adds up the files of all of them. The folder belongs to one service:
it is emptied when the master starts (samples of an earlier run would be added to this
one's), a dead worker's live gauges are dropped (``child_exit``), and a directory the
master made itself is removed when it exits.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
_owned: list[str] = []


def prepare_multiproc_dir(service: str) -> str:
    """The directory, emptied (or made); call it in the master before prometheus_client loads."""
    given = os.environ.get(ENV, "").strip()
    if given:
        # The service's own folder in it: services sharing one environment (make run)
        # must neither add up nor empty each other's files.
        path = str(Path(given) / service)
        Path(path).mkdir(parents=True, exist_ok=True)
        for stale in Path(path).glob("*.db"):
            stale.unlink(missing_ok=True)
    else:
        path = tempfile.mkdtemp(prefix=f"{service}-metrics-")
        _owned.append(path)
    os.environ[ENV] = path
    return path


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    while _owned:
        shutil.rmtree(_owned.pop(), ignore_errors=True)
