"""Every error answer is problem+json, also those Django and its decorators write themselves.

DRF views render their errors through ``servicekit.drf.exception_handler``. Plain Django
views (health, provider states, /metrics) and Django itself answer some errors with an
empty or HTML body: a 405 from ``require_safe``/``require_POST``, a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE``. This middleware gives those the same shape, and answers
a plain view's unavailable database 503 ``database_unavailable`` as DRF's views do.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import JsonResponse

from servicekit import dbfaults
from servicekit.drf import PROBLEM_CONTENT_TYPE
from servicekit.errors import client_fault, problem
from servicekit.views import database_unavailable

# Headers of the original answer a client needs to act on it.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")
_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "internal_error",
}


def _respond(body: dict[str, object]) -> JsonResponse:
    return JsonResponse(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _is_problem(response) -> bool:
    if not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
        return False
    try:
        return isinstance(json.loads(response.content), dict)
    except ValueError:
        return False


class ProblemMiddleware:
    """Rewrites non-problem error answers; client faults raised in plain views become 4xx."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or response.streaming or _is_problem(response):
            return response
        status = response.status_code
        detail = f"{_phrase(status)}."
        if status == 405:
            detail = f"{request.method} is not allowed here; use {response.get('Allow', '')}."
        title = _phrase(status).capitalize()
        rewritten = _respond(problem(status, _CODES.get(status, "error"), title, detail))
        for name in KEPT_HEADERS:
            if name in response:
                rewritten[name] = response[name]
        return rewritten

    def process_exception(self, request, exception):
        if dbfaults.is_unavailable(exception):
            return database_unavailable(exception, request.path)
        body = client_fault(exception)
        return None if body is None else _respond(body)
