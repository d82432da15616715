"""The one middleware of observability: a span and the HTTP metrics of every request."""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.core.signals import request_finished

from servicekit.observability import metrics, tracing

UNMATCHED = "unmatched"  # no URL pattern: 404s of any path count as one route
_PARAM = re.compile(r"<(?:[^>:]+:)?([^>]+)>")
_templates: dict[str, str] = {}


def route_of(request) -> str:
    """The URL pattern that answered, as a template: ``/api/carts/{cart_id}/checkout/``."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    route = match.route
    template = _templates.get(route)
    if template is None:
        template = _templates.setdefault(route, "/" + _PARAM.sub(r"{\1}", route).lstrip("^"))
    return template


class ObservabilityMiddleware:
    """First in MIDDLEWARE: it times everything the others do, and starts the trace."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.metrics = getattr(settings, "METRICS_ENABLED", True)

    def __call__(self, request):
        started = time.perf_counter()
        span = tracing.ServerSpan(request.META, request.method)
        response = self.get_response(request)
        route = route_of(request)
        status = response.status_code
        if self.metrics:
            metrics.observe_request(route, request.method, status, time.perf_counter() - started)
        span.finish(route, status)
        return response


def _forget(**_kwargs) -> None:
    tracing.forget()


request_finished.connect(_forget, dispatch_uid="servicekit.observability.forget")
