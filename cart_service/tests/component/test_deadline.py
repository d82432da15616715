"""The time budget is one wall-clock deadline: real sockets on loopback, no `responses`."""

import socket
import threading
import time
from decimal import Decimal

import pytest

from carts import errors
from carts.clients.payment import PaymentClient

PAYMENT = (
    b'{"id": "p-1", "reference": "cart:abc", "amount": "13.50", "currency": "USD", '
    b'"status": "succeeded", "decline_code": null, "created_at": "2026-11-21T10:00:00Z"}'
)


class DrippingServer:
    """Answers every request with ``head`` at once, then ``body`` one byte per ``every`` s."""

    def __init__(self, *, head: bytes, body: bytes, every: float) -> None:
        self.head, self.body, self.every = head, body, every
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(self.head)
                for byte in self.body:
                    if self.stopped.wait(self.every):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


def charge(client):
    return client.charge(
        reference="cart:abc", amount=Decimal("13.50"), currency="USD", idempotency_key="k-1"
    )


@pytest.fixture
def dripping():
    servers = []

    def start(**kwargs):
        servers.append(DrippingServer(**kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_a_body_dripped_a_byte_at_a_time_fails_within_the_budget(dripping):
    head = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
    head += b"Content-Length: %d\r\n\r\n" % len(PAYMENT)
    server = dripping(head=head, body=PAYMENT, every=0.1)  # ~18 s in all
    client = PaymentClient(
        f"http://127.0.0.1:{server.port}", "t", read_timeout=1.0, retries=0, time_budget=1.5
    )

    started = time.monotonic()
    with pytest.raises(errors.PaymentServiceUnavailable):
        charge(client)

    assert time.monotonic() - started < 1.5 + 1.0  # the budget, plus generous slack


def test_dripped_headers_fail_within_the_budget_across_retries(dripping):
    head = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
    server = dripping(head=b"", body=head + b"X-Pad: " + b"a" * 400, every=0.05)
    client = PaymentClient(
        f"http://127.0.0.1:{server.port}",
        "t",
        read_timeout=1.0,
        retries=2,
        backoff=0.0,
        time_budget=1.5,
    )

    started = time.monotonic()
    with pytest.raises(errors.PaymentServiceUnavailable):
        charge(client)

    assert time.monotonic() - started < 1.5 + 1.0


def test_an_answer_within_the_budget_is_read_whole(dripping):
    head = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
    head += b"Content-Length: %d\r\n\r\n" % len(PAYMENT)
    server = dripping(head=head, body=PAYMENT, every=0.001)
    client = PaymentClient(f"http://127.0.0.1:{server.port}", "t", retries=0, time_budget=5.0)

    assert charge(client).id == "p-1"


def test_a_name_that_resolves_slowly_fails_within_the_budget(monkeypatch):
    real = socket.getaddrinfo

    def slow_resolver(host, *args, **kwargs):
        if host == "payments.slow-dns.test":
            time.sleep(10)  # a resolver that does not answer
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow_resolver)
    client = PaymentClient("http://payments.slow-dns.test", "t", retries=0, time_budget=1.0)

    started = time.monotonic()
    with pytest.raises(errors.PaymentServiceUnavailable):
        charge(client)

    assert time.monotonic() - started < 1.0 + 1.0
