"""Slow or idle connections cannot starve a service (issue 23, finding 2).

discount_service runs under gunicorn with the shipped configuration, as `make run`,
compose and Kubernetes run it (``scripts/stack.py``). Four times as many slow connections
of each kind as it has threads (workers x threads) are held open at once: one that sent
one byte, one that sent a whole head and the start of its body, one that sent nothing.
Meanwhile ``/health/live`` and an ordinary API request must still be answered. Before
the worker read requests whole in its main loop, eight such connections held every
thread, and every other request timed out.

The answers must come within the client's timeout (5 s); the time each took is printed,
not asserted (the host is shared: timings swing).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.stack import Stack

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

ADMIN = "dev-admin-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shipped_workers_and_threads() -> tuple[int, int]:
    """``WEB_CONCURRENCY`` and ``GUNICORN_THREADS`` as the shipped configuration sets them."""
    env = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "GUNICORN_THREADS")}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import servicekit.gunicorn_conf as c; print(c.workers, c.threads)",
        ],
        cwd=ROOT / "discount_service",
        env={**env, "PROMETHEUS_MULTIPROC_DIR": ""},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return int(out[-2]), int(out[-1])


def _stack(tmp_path: Path, **env: str) -> Stack:
    ports = {name: _free_port() for name in ("discount", "cart", "payment")}
    return Stack(
        ports=ports,
        only=("discount",),
        database_urls={"discount": f"sqlite:///{tmp_path / 'discount.sqlite3'}"},
        env=env,
        log_dir=tmp_path / "logs",
    )


def request(port: int, raw: bytes, timeout: float = 5.0) -> tuple[int, bytes, float]:
    """Send one request on a new connection; the status, body and seconds it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body, time.monotonic() - started


def get(path: str, token: str = ADMIN) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()


def post(path: str, body: bytes, token: str = ADMIN, close: bool = True) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        + ("Connection: close\r\n" if close else "")
        + "\r\n"
    ).encode() + body


DISCOUNT = json.dumps({"code": "SLOW10", "kind": "percent", "value": "10.00"}).encode()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """discount_service with the shipped gunicorn configuration, and one discount."""
    tmp_path = tmp_path_factory.mktemp("slow-clients")
    with _stack(tmp_path) as stack:
        port = stack.ports["discount"]
        status, body, _ = request(port, post("/api/discounts/", DISCOUNT))
        assert status == 201, body
        yield port


def test_slow_connections_of_every_kind_starve_nothing(service):
    workers, threads = shipped_workers_and_threads()
    count = 4 * workers * threads
    # a whole head, then the body stalls: the view would read it (an admin's create)
    stalled = post("/api/discounts/", DISCOUNT, close=False)[: -len(DISCOUNT) + 1]
    held = []
    try:
        for _ in range(count):
            for opening in (b"G", stalled, b""):
                sock = socket.create_connection(("127.0.0.1", service), timeout=5)
                if opening:
                    sock.sendall(opening)
                held.append(sock)
        time.sleep(0.5)  # every one accepted and read

        for _ in range(3):
            live_status, _, live_took = request(service, get("/health/live", token=""))
            read_status, read_body, read_took = request(service, get("/api/discounts/SLOW10/"))
            print(
                f"{len(held)} slow connections held ({count} of each kind, "
                f"{workers} workers x {threads} threads): /health/live {live_took * 1000:.0f} ms, "
                f"GET /api/discounts/SLOW10/ {read_took * 1000:.0f} ms"
            )
            assert live_status == 200
            assert read_status == 200
            assert json.loads(read_body)["code"] == "SLOW10"
        # the held connections are still open: they were not simply dropped
        assert all(sock.fileno() >= 0 for sock in held)
    finally:
        for sock in held:
            sock.close()


def test_a_slow_but_honest_client_is_served(service):
    body = json.dumps({"code": "DRIBBLE", "kind": "percent", "value": "2.00"}).encode()
    raw = post("/api/discounts/", body)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", service), timeout=5) as sock:
        for i in range(0, len(raw), 8):  # about 2 s, well within the 10 s to arrive whole
            sock.sendall(raw[i : i + 8])
            time.sleep(2 / (len(raw) / 8))
        answer = sock.makefile("rb").read()
    print(f"a request dribbled over {time.monotonic() - started:.1f} s")
    assert answer.startswith(b"HTTP/1.1 201 ")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["code"] == "DRIBBLE"


def test_a_client_past_the_read_timeout_is_cut_off(tmp_path):
    with _stack(tmp_path, GUNICORN_READ_TIMEOUT="1") as stack:
        port = stack.ports["discount"]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(post("/api/discounts/", DISCOUNT)[:-5])  # the rest never comes
            answer = sock.makefile("rb").read()  # until the service closes it
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 ")
        assert json.loads(body)["code"] == "request_timeout"
        # nothing was created
        status, _, _ = request(port, get("/api/discounts/SLOW10/"))
        assert status == 404
