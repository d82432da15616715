"""Reads of discounts."""

from __future__ import annotations

from django.db.models import QuerySet

from discounts.domain import is_valid_code, normalise_code
from discounts.errors import DiscountNotFound
from discounts.models import Discount
from servicekit.perf.db import CompiledLookup


def discount_list(*, is_active: bool | None = None, search: str = "") -> QuerySet[Discount]:
    """Discounts, newest first; ``search`` is a case-insensitive code prefix."""
    discounts = Discount.objects.all()
    if is_active is not None:
        discounts = discounts.filter(is_active=is_active)
    if prefix := normalise_code(search):
        # Codes are stored upper-cased, so a plain prefix match is case-insensitive.
        discounts = discounts.filter(code__startswith=prefix)
    return discounts


def discount_get(*, code: str) -> Discount:
    """The discount with this code, looked up the way codes are stored (trimmed, upper-case)."""
    return _get(_by_code, code)


def discount_locked(*, code: str) -> Discount:
    """The discount row, locked until the surrounding transaction ends (call inside one)."""
    return _get(_locked, code)


def _get(lookup: CompiledLookup[Discount], code: str) -> Discount:
    normalised = normalise_code(code)
    if not is_valid_code(normalised):
        raise DiscountNotFound(f"No discount with code {code!r}.")
    found = lookup(normalised)
    if not found:
        raise DiscountNotFound(f"No discount with code {normalised!r}.")
    return found[0]


# The hot read: cart_service asks for a code on every PUT /discount/.
_by_code = CompiledLookup(lambda: Discount.objects.order_by(), "code")
# Every redemption and release: SELECT ... FOR UPDATE on PostgreSQL; on SQLite the
# IMMEDIATE transaction holds the lock.
_locked = CompiledLookup(lambda: Discount.objects.select_for_update().order_by(), "code")
