"""Reads of carts."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from carts.errors import CartNotFound
from carts.models import Cart, CartItem
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
