"""Domain errors that carry a stable ``code`` clients branch on.

Services raise these; one exception handler (``servicekit.drf``) renders every
error as RFC 9457 problem+json. The status lives with the error's definition so
that the catalogue of a service's errors reads in one place (its ``errors.py``).
"""

from __future__ import annotations


class ProblemError(Exception):
    """Base of every error that reaches a client as problem+json."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"
    default_detail: str = ""

    def __init__(self, detail: str | None = None, **extra: object) -> None:
        self.detail = detail or self.default_detail or self.title
        self.extra = extra
        super().__init__(self.detail)

    def as_problem(self) -> dict[str, object]:
        return problem(self.status, self.code, self.title, self.detail, **self.extra)


class NotFound(ProblemError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(ProblemError):
    status, code, title = 409, "conflict", "Conflict"


class Unprocessable(ProblemError):
    status, code, title = 422, "unprocessable", "Unprocessable request"


class ServiceUnavailable(ProblemError):
    status, code, title = 503, "service_unavailable", "Service unavailable"


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
