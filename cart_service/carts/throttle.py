"""Throttling of discount-code attempts (OWASP API4/API6): a code must not be guessable.

Refused attempts (``PUT /discount/`` answered with a discount refusal) are counted per
client address and per cart, in fixed windows, in a table of the service's own database
so that every worker and replica shares the counts. While either count has reached its
limit, every attempt on that address or cart is answered 429 ``throttled`` with
``Retry-After`` until the window ends; a right code too, or the limit would only slow
guessing down. Accepted codes count nothing, so shoppers and load runs are not throttled.
Attempts in flight at once are checked before any of them is counted, so a client can
overshoot a limit by at most its own concurrency.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection
from rest_framework import throttling
from rest_framework.response import Response
from rest_framework.views import APIView

from carts.errors import DiscountRefused

logger = logging.getLogger(__name__)
TABLE = "carts_code_attempts"


@dataclass(frozen=True)
class Scope:
    name: str
    limit: int
    period: int

    def window(self, now: int) -> int:
        return now - now % self.period


def _scopes() -> list[Scope]:
    return [
        Scope("address", *settings.CART_CODE_ATTEMPTS_PER_ADDRESS),
        Scope("cart", *settings.CART_CODE_ATTEMPTS_PER_CART),
    ]


def client_address(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or the one the configured proxies saw.

    ``X-Forwarded-For`` is read only when ``CART_TRUSTED_PROXIES`` says how many proxies
    append to it; otherwise any client could name a fresh address on every attempt.
    """
    proxies = settings.CART_TRUSTED_PROXIES
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _buckets(request, cart_id: str) -> dict[Scope, str]:
    ids = {"address": client_address(request), "cart": cart_id.lower()}
    return {scope: f"{scope.name}:{ids[scope.name]}"[:200] for scope in _scopes()}


def seconds_blocked(request, cart_id: str) -> int:
    """0 when an attempt may go ahead, else the seconds until every full window ends."""
    now = int(time.time())
    buckets = _buckets(request, cart_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT bucket, window_start, hits FROM {TABLE} WHERE bucket IN (%s, %s)",  # noqa: S608
            list(buckets.values()),
        )
        rows = {bucket: (start, hits) for bucket, start, hits in cursor.fetchall()}
    wait = 0
    for scope, bucket in buckets.items():
        start, hits = rows.get(bucket, (None, 0))
        if start == scope.window(now) and hits >= scope.limit:
            wait = max(wait, start + scope.period - now)
    return wait


def record_refusal(request, cart_id: str) -> None:
    """Count one refused attempt in each scope, atomically (one upsert per bucket)."""
    now = int(time.time())
    with connection.cursor() as cursor:
        for scope, bucket in _buckets(request, cart_id).items():
            cursor.execute(
                f"INSERT INTO {TABLE} (bucket, window_start, hits) VALUES (%s, %s, 1) "  # noqa: S608
                f"ON CONFLICT (bucket) DO UPDATE SET hits = CASE "
                f"WHEN {TABLE}.window_start = excluded.window_start THEN {TABLE}.hits + 1 "
                f"ELSE 1 END, window_start = excluded.window_start",
                [bucket, scope.window(now)],
            )
        # Counts of windows that have ended are worth nothing: drop them now and then.
        oldest = now - max(scope.period for scope in _scopes())
        cursor.execute(f"DELETE FROM {TABLE} WHERE window_start < %s", [oldest])  # noqa: S608


class CodeAttemptThrottle(throttling.BaseThrottle):
    """Refuses ``PUT`` while the client address or the cart has used up its refusals."""

    def allow_request(self, request, view) -> bool:
        if request.method != "PUT":
            return True
        self._wait = seconds_blocked(request, view.kwargs["cart_id"])
        if self._wait:
            logger.warning("discount code attempts throttled for %s", client_address(request))
        return not self._wait

    def wait(self) -> float | None:
        return self._wait


if TYPE_CHECKING:  # the mixin is only ever mixed into a DRF view
    _View = APIView
else:
    _View = object


class CodeAttemptsThrottled(_View):
    """Mixin for the discount view: checks the limits first, counts each refusal after."""

    throttle_classes = [CodeAttemptThrottle]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DiscountRefused) and self.request.method == "PUT":
            record_refusal(self.request, self.kwargs["cart_id"])
        return super().handle_exception(exc)
