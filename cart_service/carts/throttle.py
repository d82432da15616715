"""Rate limits on the business flows a client could abuse (OWASP API4 and API6).

Three limits, each per client address and, where a cart is named, per cart, in fixed
windows, counted in a table of the service's own database so that every worker and replica
shares the counts:

- **refused discount codes** (``PUT …/discount/`` answered with a discount refusal): a code
  must not be guessable. ``CART_CODE_ATTEMPTS_PER_ADDRESS``, ``CART_CODE_ATTEMPTS_PER_CART``.
  A right code refused for what the cart holds (under its minimum, no line it is for:
  ``DiscountRefused.about_the_cart``) is no guess and counts nothing.
- **checkouts that charged nothing** (declined, or refused by payment_service): card testing
  costs the shop a fee per attempt. ``CART_CHECKOUT_ATTEMPTS_PER_ADDRESS``,
  ``CART_CHECKOUT_ATTEMPTS_PER_CART``. A checkout that pays counts nothing, so a shopper who
  fixes a declined cart can still pay.
- **carts created** (``POST /api/carts/``), every one: ``CART_CREATES_PER_ADDRESS``.

While a count has reached its limit, the flow is answered 429 ``throttled`` with
``Retry-After`` until the window ends (for codes, a right code too, or the limit would only
slow guessing down). Requests in flight at once are checked before any of them is counted,
so a client can overshoot a limit by at most its own concurrency. A cart is counted by its
id, however the path spells it.
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
from servicekit.ids import parse_uuid

logger = logging.getLogger(__name__)
TABLE = "carts_throttle_counts"
# Windows that ended are deleted by the process that counts, at most this often.
CLEANUP_EVERY = 60


@dataclass(frozen=True)
class Scope:
    """One limit: at most ``limit`` per ``period`` seconds for each key (address or cart)."""

    name: str
    setting: str

    @property
    def rate(self) -> tuple[int, int]:
        return getattr(settings, self.setting)

    def window(self, now: int) -> int:
        period = self.rate[1]
        return now - now % period


# The code scopes keep the bucket names they had before the other limits came.
CODE_BY_ADDRESS = Scope("address", "CART_CODE_ATTEMPTS_PER_ADDRESS")
CODE_BY_CART = Scope("cart", "CART_CODE_ATTEMPTS_PER_CART")
CHECKOUT_BY_ADDRESS = Scope("checkout-address", "CART_CHECKOUT_ATTEMPTS_PER_ADDRESS")
CHECKOUT_BY_CART = Scope("checkout-cart", "CART_CHECKOUT_ATTEMPTS_PER_CART")
CREATE_BY_ADDRESS = Scope("create-address", "CART_CREATES_PER_ADDRESS")
ALL_SCOPES = (CODE_BY_ADDRESS, CODE_BY_CART, CHECKOUT_BY_ADDRESS, CHECKOUT_BY_CART)


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


def cart_key(cart_id: str) -> str:
    """The cart, not a spelling of its id: braces, ``urn:uuid:``, no hyphens, any case."""
    pk = parse_uuid(cart_id)
    return str(pk) if pk is not None else cart_id.lower()


def buckets(request, scopes: tuple[Scope, ...], cart_id: str | None = None) -> dict[Scope, str]:
    keys = {"address": client_address(request), "cart": cart_key(cart_id or "")}
    return {
        scope: f"{scope.name}:{keys['cart' if scope.name.endswith('cart') else 'address']}"[:200]
        for scope in scopes
    }


def seconds_blocked(counted: dict[Scope, str]) -> int:
    """0 when the flow may go ahead, else the seconds until every full window ends."""
    now = int(time.time())
    names = list(counted.values())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT bucket, window_start, hits FROM {TABLE} "  # noqa: S608
            f"WHERE bucket IN ({', '.join(['%s'] * len(names))})",
            names,
        )
        rows = {bucket: (start, hits) for bucket, start, hits in cursor.fetchall()}
    wait = 0
    for scope, bucket in counted.items():
        start, hits = rows.get(bucket, (None, 0))
        limit, period = scope.rate
        if start == scope.window(now) and hits >= limit:
            wait = max(wait, start + period - now)
    return wait


def count(counted: dict[Scope, str]) -> int:
    """Count one in each bucket, atomically (one upsert each); the seconds blocked after it
    (0 while every count is within its limit, this one included)."""
    now = int(time.time())
    wait = 0
    with connection.cursor() as cursor:
        for scope, bucket in counted.items():
            cursor.execute(
                f"INSERT INTO {TABLE} (bucket, window_start, hits) VALUES (%s, %s, 1) "  # noqa: S608
                f"ON CONFLICT (bucket) DO UPDATE SET hits = CASE "
                f"WHEN {TABLE}.window_start = excluded.window_start THEN {TABLE}.hits + 1 "
                f"ELSE 1 END, window_start = excluded.window_start "
                f"RETURNING window_start, hits",
                [bucket, scope.window(now)],
            )
            start, hits = cursor.fetchone()
            limit, period = scope.rate
            if hits > limit:
                wait = max(wait, start + period - now)
        _cleanup(cursor, now)
    return wait


_last_cleanup = 0.0


def _cleanup(cursor, now: int) -> None:
    """Counts of windows that have ended are worth nothing: drop them now and then."""
    global _last_cleanup
    if now - _last_cleanup < CLEANUP_EVERY:
        return
    _last_cleanup = now
    oldest = now - max(scope.rate[1] for scope in (*ALL_SCOPES, CREATE_BY_ADDRESS))
    cursor.execute(f"DELETE FROM {TABLE} WHERE window_start < %s", [oldest])  # noqa: S608


class _FlowThrottle(throttling.BaseThrottle):
    """Refuses ``method`` while a count of ``scopes`` has reached its limit."""

    method = ""
    scopes: tuple[Scope, ...] = ()

    def allow_request(self, request, view) -> bool:
        if request.method != self.method:
            return True
        self._wait = seconds_blocked(buckets(request, self.scopes, view.kwargs.get("cart_id")))
        if self._wait:
            logger.warning("%s throttled for %s", type(self).__name__, client_address(request))
        return not self._wait

    def wait(self) -> float | None:
        return self._wait


class CodeAttemptThrottle(_FlowThrottle):
    method = "PUT"
    scopes = (CODE_BY_ADDRESS, CODE_BY_CART)


class CheckoutAttemptThrottle(_FlowThrottle):
    method = "POST"
    scopes = (CHECKOUT_BY_ADDRESS, CHECKOUT_BY_CART)


class CartCreateThrottle(throttling.BaseThrottle):
    """Counts every cart created from an address; past the limit, 429 and no cart."""

    def allow_request(self, request, view) -> bool:
        if request.method != "POST":
            return True
        self._wait = count(buckets(request, (CREATE_BY_ADDRESS,)))
        if self._wait:
            logger.warning("cart creation throttled for %s", client_address(request))
        return not self._wait

    def wait(self) -> float | None:
        return self._wait


if TYPE_CHECKING:  # the mixins are only ever mixed into a DRF view
    _View = APIView
else:
    _View = object


class CodeAttemptsThrottled(_View):
    """Mixin for the discount view: checks the limits first, counts each refusal after."""

    throttle_classes = [CodeAttemptThrottle]

    def handle_exception(self, exc: Exception) -> Response:
        if (
            isinstance(exc, DiscountRefused)
            and not exc.about_the_cart
            and self.request.method == "PUT"
        ):
            count(buckets(self.request, CodeAttemptThrottle.scopes, self.kwargs["cart_id"]))
        return super().handle_exception(exc)


def checkout_charged_nothing(request, cart_id: str) -> None:
    """Count a checkout that was declined or refused (the checkout view calls it)."""
    count(buckets(request, CheckoutAttemptThrottle.scopes, cart_id))
