#!/usr/bin/env python3
"""N shoppers, each on one keep-alive connection, checking out in a loop for a fixed time.

    python bench/flow.py --url http://127.0.0.1:8002 --clients 8 --duration 10 --code BENCH10

A flow is: create a cart with one item, apply the code, check out. Every fifth
flow buys an item above the approval limit, so declines (and the release of the
code's use) are part of the mix. Any non-2xx answer, or a connection error, is
an error and ends that flow. Prints one JSON object: flows, errors, per-step
latencies in milliseconds, and the CPU this client used while shopping (so a
reader can see it did not starve the servers).

The shoppers share one thread and one ``selectors`` loop over plain sockets, and
read responses with a minimal HTTP/1.1 parser (status line, Content-Length or
chunked bodies). Written by hand because the load generator runs on the machine it
measures: a Python HTTP client library spends 0.1-0.3 ms of CPU per request
(geventhttpclient, used before, about 0.3 ms), which the services then do not get;
this spends a few tens of microseconds. wrk, which the hot read uses, cannot time
the steps of a scripted flow.
"""

from __future__ import annotations

import argparse
import json
import selectors
import socket
import sys
import time
from collections.abc import Generator
from urllib.parse import urlsplit

STEPS = ("create", "apply", "checkout")
SKU_PREFIX, DECLINED_SKU = "BENCH-", "BENCH-DECLINED"
# What the flow's carts hold, at the catalog's prices (bench.servers.create_products).
PRODUCTS = {**{f"{SKU_PREFIX}{n}": "12.00" for n in range(7)}, DECLINED_SKU: "25.00"}
TIMEOUT = 30.0  # seconds a request may go unanswered (or take to send): then an error
# A request: (step, method, path, body); the shopper gets back (status, body).
Request = tuple[str, str, str, bytes]


class ConnectionLost(Exception):
    """The server closed the connection, or sent something that is not HTTP/1.1."""


def shopper(code: str, deadline: float, offset: int) -> Generator[Request, tuple[int, bytes], None]:
    """One shopper's flows: yields each request, is sent its (status, body)."""
    n = offset
    while time.perf_counter() < deadline:
        n += 1
        # Every fifth cart's one item costs 25.00 (over the approval limit: declined); the
        # others one of seven products at 12.00. The catalog prices them (bench.servers).
        sku = DECLINED_SKU if n % 5 == 0 else f"{SKU_PREFIX}{n % 7}"
        item = {"sku": sku, "quantity": 1}
        body = json.dumps({"currency": "USD", "items": [item]}).encode()
        status, answer = yield ("create", "POST", "/api/carts/", body)
        if not 200 <= status < 300:
            continue
        cart = json.loads(answer)["id"]
        body = json.dumps({"code": code}).encode()
        status, _ = yield ("apply", "PUT", f"/api/carts/{cart}/discount/", body)
        if not 200 <= status < 300:
            continue
        yield ("checkout", "POST", f"/api/carts/{cart}/checkout/", b"")


class Response:
    """Reads one HTTP/1.1 response from bytes as they arrive."""

    def __init__(self) -> None:
        self.buffer = b""
        self.status = 0
        self.length: int | None = None  # body bytes still to come; None: chunked
        self.head_done = False
        self.body = b""
        self.close = False

    def feed(self, data: bytes) -> bool:
        """Whether the response is complete (any bytes beyond it are an error)."""
        self.buffer += data
        if not self.head_done:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return False
            head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4 :]
            lines = head.split("\r\n")
            parts = lines[0].split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
                raise ConnectionLost(f"not an HTTP/1.1 status line: {lines[0]!r}")
            self.status = int(parts[1])
            chunked = False
            self.length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    self.length = int(value)
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
                elif name == "connection" and value.strip().lower() == "close":
                    self.close = True
            if chunked:
                self.length = None
            self.head_done = True
        if self.length is not None:
            if len(self.buffer) < self.length:
                return False
            self.body, self.buffer = self.buffer[: self.length], self.buffer[self.length :]
            return True
        return self._chunks()

    def _chunks(self) -> bool:
        while True:
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                return False
            size = int(self.buffer[:line_end].split(b";")[0], 16)
            if size == 0:  # the last chunk: then trailer lines, up to an empty line
                rest = self.buffer[line_end + 2 :]
                if rest.startswith(b"\r\n"):
                    end = 2
                elif (trailers := rest.find(b"\r\n\r\n")) >= 0:
                    end = trailers + 4
                else:
                    return False
                self.buffer = rest[end:]  # whatever follows is not this response's
                return True
            start = line_end + 2
            if len(self.buffer) < start + size + 2:
                return False
            self.body += self.buffer[start : start + size]
            self.buffer = self.buffer[start + size + 2 :]


class Client:
    """A shopper's connection and where it stands: the request in flight, its response."""

    def __init__(self, host: str, port: int, flows: Generator[Request, tuple[int, bytes], None]):
        self.host, self.port, self.flows = host, port, flows
        self.sock: socket.socket | None = None
        self.request: Request | None = None
        self.response = Response()
        self.started = 0.0
        self.flow_started = 0.0


def run(host: str, port: int, clients: int, code: str, duration: float, out: dict) -> None:
    selector = selectors.DefaultSelector()
    deadline = time.perf_counter() + duration
    host_header = f"{host}:{port}"

    def connect(client: Client) -> None:
        client.sock = socket.create_connection((client.host, client.port), timeout=10)
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.sock.setblocking(False)
        selector.register(client.sock, selectors.EVENT_READ, client)

    def drop(client: Client) -> None:
        if client.sock is not None:
            selector.unregister(client.sock)
            client.sock.close()
            client.sock = None

    def send(client: Client, request: Request) -> None:
        step, method, path, body = request
        if step == "create":
            client.flow_started = time.perf_counter()
        if client.sock is None:
            connect(client)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {host_header}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        client.request, client.response = request, Response()
        client.started = time.perf_counter()
        assert client.sock is not None
        client.sock.settimeout(TIMEOUT)  # small requests: sent at once
        client.sock.sendall(head.encode() + body)
        client.sock.setblocking(False)

    def error(step: str, kind: str) -> None:
        errors = out["errors"].setdefault(step, {})
        errors[kind] = errors.get(kind, 0) + 1

    def advance(client: Client, answer: tuple[int, bytes] | None) -> None:
        """Give the shopper its answer and send its next request, or retire it."""
        while True:
            try:
                request = next(client.flows) if answer is None else client.flows.send(answer)
            except StopIteration:
                drop(client)
                return
            try:
                send(client, request)
                return
            except OSError as exc:  # cannot connect or send: an error, and on to the next
                drop(client)
                error(request[0], type(exc).__name__)
                answer = (0, b"")
                time.sleep(0.01)

    for i in range(clients):
        advance(Client(host, port, shopper(code, deadline, i * 1000)), None)
    while selector.get_map():
        ready = selector.select(timeout=1.0)
        now = time.perf_counter()
        for key in list(selector.get_map().values()):
            late: Client = key.data
            if late.request is not None and now - late.started > TIMEOUT:  # no answer
                drop(late)
                error(late.request[0], "Timeout")
                advance(late, (0, b""))
        for key, _ in ready:
            client: Client = key.data
            if client.sock is not key.fileobj:
                continue  # dropped as late just now
            assert client.request is not None
            assert client.sock is not None
            step = client.request[0]
            try:
                data = client.sock.recv(65536)
                if not data:
                    raise ConnectionLost("closed by the server")
                if not client.response.feed(data):
                    continue
            except (OSError, ValueError, ConnectionLost) as exc:
                drop(client)
                error(step, type(exc).__name__)
                advance(client, (0, b""))
                continue
            response = client.response
            out["ms"][step].append((time.perf_counter() - client.started) * 1000)
            if response.close or response.buffer:
                drop(client)  # the server ends the connection: the next request opens one
            if not 200 <= response.status < 300:
                error(step, str(response.status))
            elif step == "checkout":
                out["flows"] += 1
                out["flow_ms"].append((time.perf_counter() - client.flow_started) * 1000)
                out["outcomes"][json.loads(response.body)["payment_status"]] += 1
            advance(client, (response.status, response.body))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--code", required=True)
    args = parser.parse_args()
    parts = urlsplit(args.url)
    out: dict = {
        "flows": 0,
        "errors": {},
        "ms": {s: [] for s in STEPS},
        "flow_ms": [],
        "outcomes": {"paid": 0, "failed": 0, "pending": 0},
    }
    started, cpu = time.perf_counter(), time.process_time()
    run(
        parts.hostname or "127.0.0.1", parts.port or 80, args.clients, args.code, args.duration, out
    )
    out["seconds"] = time.perf_counter() - started
    out["client_cpu_s"] = time.process_time() - cpu
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
