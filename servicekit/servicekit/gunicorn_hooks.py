"""What the services change in gunicorn itself (wired in ``servicekit.gunicorn_conf``)."""

from __future__ import annotations

import json

from gunicorn import glogging, util

from servicekit.errors import problem

# gunicorn answers a request it cannot parse (a request line or header over its limits,
# a malformed request line) before Django sees it; these are the codes of those answers.
_CODES = {400: "malformed_request", 414: "uri_too_long", 431: "headers_too_large"}


class ServiceLogger(glogging.Logger):
    """gunicorn's logger without its own access line.

    servicekit's middleware writes the access line (with the request id). gunicorn
    would otherwise build one for every request, only to drop it, because a
    ``logconfig_dict`` is set: measurable CPU on every request.
    """

    def _compute_access_log_enabled(self) -> bool:
        return bool(self.cfg.accesslog)


def write_problem_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error`` answering problem+json instead of an HTML page."""
    code = _CODES.get(status_int, "malformed_request" if status_int < 500 else "internal_error")
    body = json.dumps(problem(status_int, code, reason, mesg or reason)).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


def install() -> None:
    util.write_error = write_problem_error
