import json
import socket

from gunicorn import util

from servicekit import gunicorn_hooks


def test_a_request_gunicorn_cannot_parse_is_answered_problem_json():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        gunicorn_hooks.write_problem_error(ours, 400, "Bad Request", "Request Line is too large")
        raw = theirs.recv(65536).decode("latin-1")

    head, _, body = raw.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 400 Bad Request\r\n")
    assert "Content-Type: application/problem+json" in head
    assert f"Content-Length: {len(body)}" in head
    assert json.loads(body)["code"] == "malformed_request"
    assert json.loads(body)["detail"] == "Request Line is too large"


def test_installing_replaces_gunicorns_html_error_page():
    original = util.write_error
    try:
        gunicorn_hooks.install()
        assert util.write_error is gunicorn_hooks.write_problem_error
    finally:
        util.write_error = original
