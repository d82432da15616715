"""Plain Django views every service mounts: health checks and the error pages."""

from __future__ import annotations

import logging
import sys

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.http import require_safe

from servicekit import dbfaults
from servicekit.drf import PROBLEM_CONTENT_TYPE
from servicekit.errors import problem
from servicekit.observability import db as observability_db

logger = logging.getLogger(__name__)


def problem_json(status: int, code: str, title: str, detail: str) -> JsonResponse:
    return JsonResponse(
        problem(status, code, title, detail), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


@require_safe
def health_live(request):
    return JsonResponse({"status": "ok"})


@require_safe
def health_ready(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        observability_db.connection_failed()
        logger.warning("readiness check: the database does not answer", exc_info=True)
        return problem_json(
            503, "database_unavailable", "Not ready", "The database does not answer."
        )
    return JsonResponse({"status": "ok", "database": "ok"})


def database_unavailable(exc: BaseException, where: str) -> JsonResponse:
    """503 ``database_unavailable`` with Retry-After (servicekit.dbfaults); counted, logged."""
    observability_db.connection_failed()
    dbfaults.log_unavailable(exc, where)
    response = JsonResponse(
        dbfaults.unavailable_problem(), status=503, content_type=PROBLEM_CONTENT_TYPE
    )
    response["Retry-After"] = dbfaults.RETRY_AFTER
    return response


# Django's handler400/403/404/500: never an HTML page, never a stack trace.
def bad_request(request, exception=None):
    return problem_json(400, "bad_request", "Bad request", "The request could not be understood.")


def permission_denied(request, exception=None):
    return problem_json(403, "permission_denied", "Permission denied", "Not allowed.")


def page_not_found(request, exception=None):
    return problem_json(404, "not_found", "Not found", f"No resource at {request.path}.")


def server_error(request):
    # Django calls it from inside its except block: an unavailable database raised where no
    # view or middleware caught it (a middleware's query, a signal) is still a 503.
    exc = sys.exc_info()[1]
    if exc is not None and dbfaults.is_unavailable(exc):
        return database_unavailable(exc, request.path)
    return problem_json(
        500, "internal_error", "Internal server error", "The server failed; it has been logged."
    )
