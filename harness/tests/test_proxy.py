"""harness.proxy: answers to marked requests wait until the journey lets them through."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from harness.proxy import DelayingProxy


@pytest.fixture
def upstream():
    """An HTTP server that answers every POST with the body it was sent, and logs it."""
    seen: list[bytes] = []

    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the services

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(body)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address, seen
    server.shutdown()


@pytest.fixture
def proxy(upstream):
    address, _ = upstream
    proxy = DelayingProxy(address).start()
    yield proxy
    proxy.stop()


def _post_in_background(
    session: requests.Session, url: str, body: str
) -> tuple[threading.Event, dict]:
    done, outcome = threading.Event(), {}

    def post():
        try:
            outcome["body"] = session.post(url, data=body, timeout=30).text
        except requests.RequestException as exc:
            outcome["error"] = exc
        done.set()

    threading.Thread(target=post, daemon=True).start()
    return done, outcome


def test_a_marked_answer_waits_for_the_journey_and_others_do_not(proxy, upstream):
    _, seen = upstream
    url = f"http://127.0.0.1:{proxy.port}/"

    with proxy.hold("cart:1") as held:
        done, outcome = _post_in_background(requests.Session(), url, '{"reference": "cart:1"}')
        held.wait_for_answer(within=30)

        assert seen == [b'{"reference": "cart:1"}']  # the request reached the upstream ...
        assert not done.is_set()  # ... whose answer is held
        assert requests.post(url, data="cart:2", timeout=30).text == "cart:2"  # not marked
        assert not done.is_set()

    assert done.wait(30)
    assert outcome == {"body": '{"reference": "cart:1"}'}


def test_holds_are_per_answer_on_a_kept_alive_connection(proxy):
    session = requests.Session()  # one connection, reused
    url = f"http://127.0.0.1:{proxy.port}/"
    assert session.post(url, data="first", timeout=30).text == "first"

    with proxy.hold("second") as held:
        done, outcome = _post_in_background(session, url, "second")
        held.wait_for_answer(within=30)
        assert not done.is_set()

    assert done.wait(30)
    assert outcome == {"body": "second"}
    assert session.post(url, data="third", timeout=30).text == "third"


def test_a_caller_that_stops_waiting_gets_its_own_timeout(proxy):
    url = f"http://127.0.0.1:{proxy.port}/"

    with proxy.hold("cart:3") as held, pytest.raises(requests.ReadTimeout):
        requests.post(url, data="cart:3", timeout=(5, 0.5))

    assert held.answered.is_set()


def test_waiting_for_an_answer_that_never_comes_fails_clearly(proxy):
    with proxy.hold("nobody sends this") as held, pytest.raises(AssertionError, match="no answer"):
        held.wait_for_answer(within=0.1)
