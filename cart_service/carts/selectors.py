"""Reads of carts."""

from __future__ import annotations

import uuid

from django.db.models import Exists, OuterRef, QuerySet

from carts.errors import CartNotFound
from carts.models import Cart, CartItem


def parse_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def cart_list() -> QuerySet[Cart]:
    return Cart.objects.prefetch_related("items").order_by("-created_at", "id")


def cart_get(*, cart_id: object) -> Cart:
    """The cart; its items are read when first used. CartNotFound also for non-UUID ids."""
    return _get(Cart.objects, cart_id)


def cart_for_checkout(*, cart_id: object) -> Cart:
    """The cart, with ``has_items`` read in the same statement (checkout needs no more)."""
    carts = Cart.objects.annotate(has_items=Exists(CartItem.objects.filter(cart=OuterRef("pk"))))
    return _get(carts, cart_id)


def _get(carts: QuerySet[Cart], cart_id: object) -> Cart:
    pk = parse_uuid(cart_id)
    try:
        if pk is None:
            raise Cart.DoesNotExist
        return carts.get(pk=pk)
    except Cart.DoesNotExist:
        raise CartNotFound(f"No cart has the id {str(cart_id)[:64]!r}.") from None


def cart_exists(*, cart_id: object) -> bool:
    pk = parse_uuid(cart_id)
    return pk is not None and Cart.objects.filter(pk=pk).exists()
