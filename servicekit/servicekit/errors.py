"""Domain errors that carry a stable ``code`` clients branch on.

Services raise these; one exception handler (``servicekit.drf``) renders every
error as RFC 9457 problem+json. The status lives with the error's definition so
that the catalogue of a service's errors reads in one place (its ``errors.py``).
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


class ProblemError(Exception):
    """Base of every error that reaches a client as problem+json."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"
    default_detail: str = ""
    retry_after: int | None = None  # seconds: sent as Retry-After when set

    def __init__(self, detail: str | None = None, **extra: object) -> None:
        self.detail = detail or self.default_detail or self.title
        self.extra = extra
        super().__init__(self.detail)

    def as_problem(self) -> dict[str, object]:
        return problem(self.status, self.code, self.title, self.detail, **self.extra)

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class NotFound(ProblemError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(ProblemError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Unprocessable(ProblemError):
    status = 422
    code = "unprocessable"
    title = "Unprocessable request"


class ServiceUnavailable(ProblemError):
    status = 503
    code = "service_unavailable"
    title = "Service unavailable"


PROBLEM_TYPE_BASE = "https://errors.checkout.example/"


def problem(status: int, code: str, title: str, detail: str, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    return body


def client_fault(exc: BaseException) -> dict[str, object] | None:
    """The problem for an exception the client's request caused; None for a server fault.

    A ``RecursionError`` while a request is handled comes from parsing what the client
    sent (deeply nested JSON); it is logged at WARNING, so a real recursion bug still shows.
    """
    from django.conf import settings
    from django.core.exceptions import RequestDataTooBig

    if isinstance(exc, RequestDataTooBig):
        logger.info("refused a request body over %s bytes", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        detail = f"The body is larger than {limit} bytes."
        return problem(413, "payload_too_large", "Payload too large", detail)
    if isinstance(exc, RecursionError):
        logger.warning("refused a request whose handling recursed too deeply: %s", exc)
        return problem(
            400, "malformed_request", "Malformed request body", "The body is nested too deeply."
        )
    return None
