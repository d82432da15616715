"""The services' gthread worker reads each request whole before a thread takes it.

Real gunicorn masters with the services' settings (``servicekit.gunicorn_conf``) and an
app that echoes what it read: slow clients hold no thread, whatever they send; a slow
but honest one is served, one past ``GUNICORN_READ_TIMEOUT`` is answered 408 and cut
off; pipelined, chunked and ``Expect: 100-continue`` requests arrive intact.
"""

from __future__ import annotations

import json
import os
import socket
import time

import pytest

from tests.test_gunicorn_hooks import _gunicorn, _wait, _workers

ECHO_APP = """
import hashlib
import os


def application(environ, start_response):
    body = environ["wsgi.input"].read()
    text = f"{os.getpid()} {environ['PATH_INFO']} {len(body)} {hashlib.sha256(body).hexdigest()}"
    out = text.encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(out)))])
    return [out]
"""

ONE_WORKER = {"WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"}


@pytest.fixture
def echo(tmp_path):
    def start(**env: str):
        return _gunicorn(tmp_path, set(os.sched_getaffinity(0)), app=ECHO_APP, **env)

    return start


class Client:
    def __init__(self, port: int, timeout: float = 5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.rest = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the connection")
        self.rest += data

    def answer(self) -> tuple[str, dict[str, str], bytes]:
        """One response: status line, headers, body (by Content-Length)."""
        while b"\r\n\r\n" not in self.rest:
            self._more()
        head, _, self.rest = self.rest.partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        length = int(headers.get("content-length", 0))
        while len(self.rest) < length:
            self._more()
        body, self.rest = self.rest[:length], self.rest[length:]
        return status, headers, body

    def closed(self) -> bool:
        """The server closed the connection (after any answer already read)."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


def get(path: str = "/", extra: bytes = b"") -> bytes:
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: test\r\n" + extra + b"\r\n"


def post_head(path: str, length: int, extra: bytes = b"") -> bytes:
    return b"POST %s HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n%s\r\n" % (
        path.encode(),
        length,
        extra,
    )


def echoed(body: bytes, path: str = "/") -> str:
    import hashlib

    return f"{path} {len(body)} {hashlib.sha256(body).hexdigest()}"


def served(answer, body: bytes = b"", path: str = "/") -> bool:
    status, _, text = answer
    return status == "HTTP/1.1 200 OK" and text.decode().split(" ", 1)[1] == echoed(body, path)


def _ready(port: int) -> None:
    def answered() -> bool:
        try:
            client = Client(port, timeout=2)
            client.send(get(extra=b"Connection: close\r\n"))
            return client.answer()[0] == "HTTP/1.1 200 OK"
        except OSError:
            return False

    _wait(answered, "the first answer")


def test_slow_clients_of_every_kind_hold_no_thread(echo):
    # 2 workers x 2 threads, and 4 times as many of each kind of slow client
    env = {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "2", "GUNICORN_CMD_ARGS": "--keep-alive 30"}
    with echo(**env) as proc:
        _workers(proc, 2)
        _ready(proc.port)
        held = []
        for _ in range(16):
            one_byte = Client(proc.port)
            one_byte.send(b"G")
            stalled_body = Client(proc.port)
            stalled_body.send(post_head("/", 100) + b"{")
            kept_alive_then_slow = Client(proc.port)  # its second request comes slowly
            kept_alive_then_slow.send(get())
            assert served(kept_alive_then_slow.answer())
            kept_alive_then_slow.send(b"GET / HT")
            held += [one_byte, stalled_body, kept_alive_then_slow, Client(proc.port)]  # idle
        try:
            for _ in range(4):
                client = Client(proc.port)
                client.send(post_head("/ordinary", 5) + b"hello")
                assert served(client.answer(), b"hello", "/ordinary")
                client.close()
        finally:
            for client in held:
                client.close()


def test_a_body_dribbled_in_within_the_read_timeout_is_served_whole(echo):
    with echo(GUNICORN_READ_TIMEOUT="5", **ONE_WORKER) as proc:
        _ready(proc.port)
        body = json.dumps({"code": "save10", "pad": "x" * 40}).encode()
        client = Client(proc.port)
        client.send(post_head("/dribbled", len(body)))
        for i in range(0, len(body), 4):
            client.send(body[i : i + 4])
            time.sleep(0.05)  # about 0.7 s in all
        assert served(client.answer(), body, "/dribbled")
        # and the connection is kept alive for the next one, sent as slowly
        for byte in get("/next"):
            client.send(bytes([byte]))
        assert served(client.answer(), path="/next")
        client.close()


def test_a_request_past_the_read_timeout_is_answered_408_and_cut_off(echo):
    with echo(GUNICORN_READ_TIMEOUT="1", **ONE_WORKER) as proc:
        _ready(proc.port)
        slow = Client(proc.port)
        slow.send(post_head("/late", 10) + b"12345")
        idle = Client(proc.port)

        status, headers, body = slow.answer()
        assert status == "HTTP/1.1 408 Request Timeout"
        assert headers["content-type"] == "application/problem+json"
        assert headers["connection"] == "close"
        assert json.loads(body)["code"] == "request_timeout"
        assert slow.closed()
        assert idle.closed()  # it sent nothing: closed without an answer
        assert idle.rest == b""


def test_a_body_over_the_limit_is_answered_413_without_being_read(echo):
    limit = 2621440  # Django's default DATA_UPLOAD_MAX_MEMORY_SIZE (no settings here)
    with echo(**ONE_WORKER) as proc:
        _ready(proc.port)
        client = Client(proc.port)
        client.send(post_head("/big", limit + 1))

        status, headers, body = client.answer()
        assert status == "HTTP/1.1 413 Payload too large"
        assert headers["content-type"] == "application/problem+json"
        problem = json.loads(body)
        assert problem["code"] == "payload_too_large"
        assert problem["detail"] == f"The body is larger than {limit} bytes."
        assert client.closed()

        at_limit = Client(proc.port, timeout=20)
        at_limit.send(post_head("/big", limit) + b"x" * limit)
        assert served(at_limit.answer(), b"x" * limit, "/big")


def test_pipelined_requests_are_each_answered_in_order(echo):
    with echo(**ONE_WORKER) as proc:
        _ready(proc.port)
        client = Client(proc.port)
        chunked = b"POST /c HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunked += b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"
        second_half = get("/4")
        client.send(
            get("/1") + post_head("/2", 5) + b"hello" + chunked + second_half[:7]
        )  # the fourth arrives in two parts
        assert served(client.answer(), path="/1")
        assert served(client.answer(), b"hello", "/2")
        assert served(client.answer(), b"abcde", "/c")
        time.sleep(0.2)
        client.send(second_half[7:])
        assert served(client.answer(), path="/4")
        client.close()


def test_a_client_waiting_for_100_continue_gets_it_then_its_answer(echo):
    with echo(**ONE_WORKER) as proc:
        _ready(proc.port)
        client = Client(proc.port)
        client.send(post_head("/expect", 5, b"Expect: 100-continue\r\n"))
        status, _, _ = client.answer()
        assert status == "HTTP/1.1 100 Continue"
        client.send(b"hello")
        # gunicorn itself sends one more 100 (it saw the Expect header); a client skips 1xx
        while (answer := client.answer())[0] == "HTTP/1.1 100 Continue":
            pass
        assert served(answer, b"hello", "/expect")
        client.close()


def test_clients_that_close_midway_leave_the_worker_serving(echo):
    with echo(WEB_CONCURRENCY="1", GUNICORN_THREADS="1") as proc:
        _ready(proc.port)
        for part in (b"G", get()[:-2], post_head("/", 10) + b"12345"):
            for _ in range(20):
                client = Client(proc.port)
                client.send(part)
                client.close()
        client = Client(proc.port)
        client.send(post_head("/after", 3) + b"abc")
        assert served(client.answer(), b"abc", "/after")


def test_clients_that_never_close_after_connection_close_do_not_stall_the_worker(echo):
    # gunicorn lingers on such a connection for up to 2 s before closing it, blocking
    # its main loop meanwhile; four of them held every other client for 8 s
    with echo(WEB_CONCURRENCY="1", GUNICORN_THREADS="4") as proc:
        _ready(proc.port)
        lingering = []
        for _ in range(4):
            client = Client(proc.port)
            client.send(get(extra=b"Connection: close\r\n"))
            lingering.append(client)
        time.sleep(0.3)
        client = Client(proc.port, timeout=5)
        client.send(get("/other"))
        assert served(client.answer(), path="/other")
        for held in lingering:
            assert served(held.answer())
            assert held.closed()
            held.close()


def test_gunicorn_refuses_a_read_timeout_that_is_not_seconds(echo):
    with echo(GUNICORN_READ_TIMEOUT="soon") as proc:
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode != 0
    assert b"GUNICORN_READ_TIMEOUT must be a number of seconds from 0 to 3600" in out


def test_the_read_timeout_is_seconds_and_zero_turns_the_guard_off():
    from servicekit.perf import gunicorn_hooks

    assert gunicorn_hooks.read_timeout(None) == 10.0
    assert gunicorn_hooks.read_timeout(" 2.5 ") == 2.5
    assert gunicorn_hooks.read_timeout("0") == 0.0
    for bad in ("soon", "-1", "3601", "nan"):
        with pytest.raises(ValueError, match="GUNICORN_READ_TIMEOUT must be a number"):
            gunicorn_hooks.read_timeout(bad)
