"""X-Request-ID: accepted (or generated), echoed, propagated, and logged."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

from django.core.signals import request_finished

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
# Anything a client sends is echoed and logged, so only a safe, bounded alphabet.
_VALID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,200}$")

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("servicekit.access")


def current_request_id() -> str:
    return _current.get()


def outgoing_headers() -> dict[str, str]:
    """Headers to pass the current request id on to a downstream call."""
    rid = _current.get()
    return {HEADER: rid} if rid != "-" else {}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


class RequestIdMiddleware:
    """Binds the request id for the request's duration and writes the access log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(_META_KEY, "")
        rid = incoming if _VALID.match(incoming) else str(uuid.uuid4())
        # Not reset when the middleware returns: Django logs 4xx/5xx responses after the
        # middleware chain, and that line must carry the id too. request_finished resets it.
        _current.set(rid)
        request.request_id = rid
        started = time.monotonic()
        response = self.get_response(request)
        response[HEADER] = rid
        access_log.info(
            "%s %s %s %.1fms",
            request.method,
            request.get_full_path(),
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response


def _clear(**_kwargs) -> None:
    _current.set("-")


request_finished.connect(_clear, dispatch_uid="servicekit.request_id.clear")
