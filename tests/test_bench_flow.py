"""bench/flow.py, the checkout-flow load client: its HTTP reading, and its counting
against a stand-in cart_service that answers keep-alive, chunked, refuses and hangs up."""

import json
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.flow import DECLINED_SKU, ConnectionLost, Response

ROOT = Path(__file__).resolve().parent.parent

# -- reading a response --------------------------------------------------------------


def _fed(response: Response, data: bytes, step: int) -> bool:
    """Feeds ``data`` ``step`` bytes at a time; whether the response completed (at the end)."""
    done = False
    for i in range(0, len(data), step):
        assert not done, "completed before its last byte"
        done = response.feed(data[i : i + step])
    return done


@pytest.mark.parametrize("step", [1, 7, 4096])
def test_a_content_length_body_is_read_whole_however_it_arrives(step):
    raw = b'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"id": "x"}'

    response = Response()

    assert _fed(response, raw, step)
    assert (response.status, response.body, response.close) == (201, b'{"id": "x"}', False)


@pytest.mark.parametrize("step", [1, 5, 4096])
def test_a_chunked_body_is_joined_and_its_trailer_awaited(step):
    raw = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;ext=1\r\n{"a"\r\n7\r\n: true}\r\n0\r\n\r\n'
    )

    response = Response()

    assert _fed(response, raw, step)
    assert response.body == b'{"a": true}'
    assert response.buffer == b""  # all of it read: the connection can carry the next one
    assert not Response().feed(raw[:-2])  # the last CRLF not in yet


def test_trailers_after_the_last_chunk_are_read_and_what_follows_is_kept():
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n"

    response = Response()

    assert not response.feed(raw[:-2])
    assert response.feed(raw[-2:] + b"HTTP/1.1")
    assert (response.body, response.buffer) == (b"ok", b"HTTP/1.1")


def test_connection_close_is_noticed_and_a_bodyless_answer_completes():
    response = Response()

    assert response.feed(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
    assert (response.status, response.body, response.close) == (204, b"", True)


def test_what_is_not_http_is_refused():
    with pytest.raises(ConnectionLost):
        Response().feed(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")


# -- the whole client against a stand-in cart_service ------------------------------------


class _Cart(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn
    connections: set[tuple] = set()
    requests = 0
    closed = 0
    lock = threading.Lock()

    def log_message(self, *args):  # quiet
        pass

    def _answer(self, status: int, body: dict, *, chunked: bool = False, close: bool = False):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
            _Cart.closed += 1
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = len(data) // 2
            for part in (data[:half], data[half:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length)) if length else {}

    def _count(self) -> int:
        with _Cart.lock:
            _Cart.connections.add(self.client_address)
            _Cart.requests += 1
            return _Cart.requests

    def do_POST(self):
        n = self._count()
        if self.path == "/api/carts/":
            item = self._body()["items"][0]
            # The declined flows' product (every fifth): refused here, to be counted.
            if item["sku"] == DECLINED_SKU:
                self._answer(503, {"code": "payment_service_unavailable"})
                return
            self._answer(201, {"id": str(uuid.uuid4())}, close=n % 10 == 0)
        else:  # checkout
            self._answer(200, {"payment_status": "paid"}, chunked=True)

    def do_PUT(self):
        self._count()
        code = self._body()["code"]
        self._answer(200 if code == "GOOD" else 422, {"code": code})


@pytest.fixture
def cart_service():
    _Cart.connections, _Cart.requests, _Cart.closed = set(), 0, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Cart)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _shop(url: str, code: str) -> dict:
    done = subprocess.run(
        [
            *(sys.executable, str(ROOT / "bench/flow.py"), "--url", url),
            *("--clients", "3", "--duration", "1", "--code", code),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_flows_are_counted_refusals_are_errors_and_connections_kept_alive(cart_service):
    out = _shop(cart_service, "GOOD")

    paid = out["outcomes"]["paid"]
    assert paid > 10
    assert out["flows"] == paid == len(out["flow_ms"])
    assert len(out["ms"]["checkout"]) == paid
    # Every fifth flow's cart was refused with a 503: an error of the step, no flow.
    refused = out["errors"]["create"]["503"]
    assert refused == pytest.approx(len(out["ms"]["create"]) / 5, abs=3)
    assert set(out["errors"]) == {"create"}
    # Keep-alive: one connection per shopper, plus one after each answer that closed one
    # (Connection: close), opened by the next request without an error.
    assert _Cart.closed > 0
    assert _Cart.closed <= len(_Cart.connections) <= 3 + _Cart.closed
    assert len(_Cart.connections) < _Cart.requests / 5
    assert 0 < out["client_cpu_s"] < out["seconds"]


def test_a_refused_step_ends_its_flow(cart_service):
    out = _shop(cart_service, "EXPIRED")

    assert out["flows"] == 0
    assert not out["ms"]["checkout"]
    assert out["errors"]["apply"]["422"] == len(out["ms"]["apply"]) > 0


def test_a_server_that_is_gone_is_an_error_not_a_hang():
    with ThreadingHTTPServer(("127.0.0.1", 0), _Cart) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}"  # closed when the block ends

    out = _shop(url, "GOOD")

    assert out["flows"] == 0
    assert out["errors"]["create"]["ConnectionRefusedError"] > 0


def test_a_server_that_never_answers_is_a_timeout_not_a_hang(monkeypatch):
    import socket
    import time

    from bench import flow

    monkeypatch.setattr(flow, "TIMEOUT", 0.5)
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts (backlog), never answers
        port = silent.getsockname()[1]
        out = {"flows": 0, "errors": {}, "ms": {s: [] for s in flow.STEPS}, "flow_ms": []}
        started = time.perf_counter()
        flow.run("127.0.0.1", port, 2, "GOOD", 1.0, out)

    assert time.perf_counter() - started < 10
    assert out["flows"] == 0
    assert out["errors"]["create"]["Timeout"] >= 2
