"""`make run`'s launcher (scripts/stack.py run) takes everything it started with it.

Closing the terminal (SIGHUP to the launcher's process group) or killing the launcher
outright (SIGKILL, no handler runs) must free the four ports and leave no gunicorn and
no reconciler behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("discount", "cart", "payment", "catalog")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent that no longer reaps it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return children


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def launcher(tmp_path):
    """`scripts/stack.py run` on free ports and its own SQLite files, in its own session
    (as a terminal runs `make run`), up and ready; killed with its group at the end."""
    ports = {name: _free_port() for name in SERVICES}
    log = (tmp_path / "launcher.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "scripts/stack.py", "run", "--sqlite-dir", str(tmp_path / "db")]
        + [f"--port={name}={port}" for name, port in ports.items()],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started: list[int] = []
    try:
        up = _wait_for(lambda: proc.poll() is None and all(map(_ready, ports.values())), 90)
        assert up, (tmp_path / "launcher.log").read_text()[-3000:]
        _wait_for(lambda: len(_children(proc.pid)) == len(SERVICES) + 1, 10)
        started = _children(proc.pid)
        assert len(started) == len(SERVICES) + 1  # a gunicorn master each, the reconciler
        yield proc, ports, started, tmp_path / "launcher.log"
    finally:
        for pid in [proc.pid, *started]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        proc.wait()
        log.close()


def test_closing_the_terminal_stops_every_service_and_frees_the_ports(launcher):
    proc, ports, started, log = launcher

    os.killpg(proc.pid, signal.SIGHUP)  # what the terminal sends its process group on close

    assert proc.wait(timeout=30) == 0, log.read_text()[-3000:]
    assert _wait_for(lambda: all(map(_is_free, ports.values())), 5), ports
    assert not [pid for pid in started if _alive(pid)]
    assert "Stopped." in log.read_text()


def test_killing_the_launcher_outright_still_stops_every_service(launcher):
    proc, ports, started, log = launcher

    proc.kill()  # SIGKILL: no handler of the launcher runs
    proc.wait()

    assert _wait_for(lambda: all(map(_is_free, ports.values())), 15), ports
    assert _wait_for(lambda: not [pid for pid in started if _alive(pid)], 15), started
    assert "Stopped." not in log.read_text()
