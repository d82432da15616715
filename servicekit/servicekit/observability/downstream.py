"""One try of a call to a provider: its metrics, and its span and ``traceparent`` header.

Used at the one place cart_service sends a request (``carts/clients/http.py``)::

    with observe_call(provider, method, attempt) as call:
        response = session.request(..., headers={**headers, **call.headers})
        call.status = response.status_code
"""

from __future__ import annotations

import time

import requests

from servicekit.observability import metrics, tracing

_count = metrics.LabelCache(metrics.DOWNSTREAM_REQUESTS)
_latency = metrics.LabelCache(metrics.DOWNSTREAM_LATENCY)
_retries = metrics.LabelCache(metrics.DOWNSTREAM_RETRIES)


def outcome_of(status: int | None, exc: BaseException | None) -> str:
    if exc is not None:
        if isinstance(exc, requests.Timeout):  # ConnectTimeout and ReadTimeout included
            return "timeout"
        if isinstance(exc, requests.ConnectionError):
            return "refused"
        return "error"
    if status is None:
        return "error"
    if status >= 500:
        return "5xx"
    return "4xx" if status >= 400 else "ok"


class observe_call:
    __slots__ = ("_method", "_provider", "_span", "_started", "status")

    def __init__(self, provider: str, method: str, attempt: int = 0) -> None:
        self._provider = provider
        self._method = method
        self.status: int | None = None
        if attempt:
            _retries(provider).inc()

    @property
    def headers(self) -> dict[str, str]:
        return self._span.headers

    def __enter__(self) -> observe_call:
        self._span = tracing.ClientSpan(self._provider, self._method)
        self._started = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        seconds = time.perf_counter() - self._started
        outcome = outcome_of(self.status, exc)
        _count(self._provider, self._method, outcome).inc()
        _latency(self._provider, outcome).observe(seconds)
        self._span.finish(outcome, self.status)
