"""X-Request-ID: accepted (or generated), echoed, propagated, and logged."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

from django.core.signals import request_finished

from servicekit.observability.middleware import route_of

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
# Anything a client sends is echoed and logged, so only a safe, bounded alphabet, matched
# against the whole value ("$" alone would let a trailing newline through into the logs).
_VALID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,200}", re.ASCII)
# A cart id is the only credential of an anonymous cart: logged paths keep its first
# 8 hex digits, enough to correlate lines, not enough to use the cart.
_UUID = re.compile(
    r"\b([0-9a-f]{8})-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b", re.I | re.ASCII
)

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("servicekit.access")


def current_request_id() -> str:
    return _current.get()


def outgoing_headers() -> dict[str, str]:
    """Headers to pass the current request id on to a downstream call."""
    rid = _current.get()
    return {HEADER: rid} if rid != "-" else {}


def mask_ids(text: str) -> str:
    """``text`` with every UUID cut to its first 8 hex digits: ``5d1c0a2b-****``."""
    return _UUID.sub(r"\1-****", text)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


class MaskIdsFilter(logging.Filter):
    """Masks ids in the arguments of Django's request lines ("Internal Server Error: <path>")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(mask_ids(a) if isinstance(a, str) else a for a in record.args)
        return True


class RequestIdMiddleware:
    """Binds the request id for the request's duration and writes the access log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(_META_KEY, "")
        rid = incoming if _VALID.fullmatch(incoming) else str(uuid.uuid4())
        # Not reset when the middleware returns: Django logs 4xx/5xx responses after the
        # middleware chain, and that line must carry the id too. request_finished resets it.
        _current.set(rid)
        request.request_id = rid
        started = time.monotonic()
        response = self.get_response(request)
        response[HEADER] = rid
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        access_log.info(
            "%s %s %s %.1fms",
            request.method,
            mask_ids(request.get_full_path()),
            response.status_code,
            duration_ms,
            # The fields of the JSON line (LOG_FORMAT=json).
            extra={
                "route": route_of(request),
                "method": request.method,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        return response


def _clear(**_kwargs) -> None:
    _current.set("-")


request_finished.connect(_clear, dispatch_uid="servicekit.request_id.clear")
