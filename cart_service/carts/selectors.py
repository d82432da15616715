"""Reads of carts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from carts import states
from carts.errors import CartNotFound
from carts.models import Cart, CartItem, CartRefund, OwedRelease
from servicekit.ids import parse_uuid
from servicekit.perf.db import CompiledLookup


def cart_list() -> QuerySet[Cart]:
    return Cart.objects.prefetch_related("items").order_by("-created_at", "id")


def cart_get(*, cart_id: object) -> Cart:
    """The cart; its items are read when first used. CartNotFound also for non-UUID ids."""
    return _get(_by_id, cart_id)


def cart_locked(*, cart_id: object) -> Cart:
    """The cart row, locked until the surrounding transaction ends (call inside one)."""
    return _get(_locked, cart_id)


def cart_for_checkout(*, cart_id: object) -> Cart:
    """The cart, with ``has_items`` read in the same statement (checkout needs no more)."""
    return _get(_for_checkout, cart_id)


def stale_attempts(cutoff: datetime) -> QuerySet[Cart]:
    """Carts whose attempt is unresolved since before ``cutoff`` (the reconciler settles them)."""
    # Attempts begun before attempt_started_at existed count from the cart's last change.
    return Cart.objects.filter(states.UNRESOLVED).filter(
        Q(attempt_started_at__lt=cutoff) | Q(attempt_started_at__isnull=True, updated_at__lt=cutoff)
    )


def unneeded_uses(cutoff: datetime) -> QuerySet[Cart]:
    """Carts stopped at the redeem step, the redeem sent before ``cutoff``: the use they may
    hold is needed by no checkout (the reconciler owes it back). Edits to the cart do not
    move this clock."""
    return Cart.objects.filter(states.MAY_HOLD_UNNEEDED_USE).filter(
        Q(redemption_held_at__lt=cutoff) | Q(redemption_held_at__isnull=True, updated_at__lt=cutoff)
    )


def stale_refunds(cutoff: datetime) -> QuerySet[CartRefund]:
    """Refunds pending since before ``cutoff``: their outcome was not learnt (the reconciler
    repeats them under the same key)."""
    return CartRefund.objects.filter(
        status=CartRefund.Status.PENDING, started_at__lt=cutoff
    ).select_related("cart")


def cart_refunds(*, cart_id: object) -> QuerySet[CartRefund]:
    """A cart's refunds, in the order they were asked for (CartNotFound for no such cart)."""
    cart = cart_get(cart_id=cart_id)
    return CartRefund.objects.filter(cart=cart).order_by("number")


def reconciler_backlog(now: datetime | None = None) -> dict[str, int]:
    """What a reconciler pass would find to do now, by kind (cart_service's /metrics)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CART_RECONCILE_AFTER)
    too_old = now - timedelta(seconds=settings.CART_REPLAY_LIMIT)
    refunds = stale_refunds(cutoff)
    return {
        "unresolved_attempts": stale_attempts(cutoff).count(),
        "unresolved_refunds": refunds.filter(started_at__gte=too_old).count(),
        "unneeded_uses": unneeded_uses(cutoff).count(),
        "owed_releases": OwedRelease.objects.count(),
        "held_for_operator": Cart.objects.filter(states.HELD_FOR_OPERATOR).count(),
        # Pending past what payment_service keeps keys for: a repeat could refund twice.
        "refunds_held_for_operator": refunds.filter(started_at__lt=too_old).count(),
    }


# Read on nearly every request: compiled once (servicekit.perf.db).
_by_id = CompiledLookup(lambda: Cart.objects.order_by(), "pk")
# SELECT ... FOR UPDATE on PostgreSQL; on SQLite the IMMEDIATE transaction holds the lock.
_locked = CompiledLookup(lambda: Cart.objects.select_for_update().order_by(), "pk")
_for_checkout = CompiledLookup(
    lambda: Cart.objects.order_by().annotate(
        has_items=Exists(CartItem.objects.filter(cart=OuterRef("pk")))
    ),
    "pk",
)


def _get(lookup: CompiledLookup[Any], cart_id: object) -> Cart:
    pk = parse_uuid(cart_id)
    found = lookup(pk) if pk is not None else []
    if not found:
        raise CartNotFound(f"No cart has the id {str(cart_id)[:64]!r}.")
    return found[0]
