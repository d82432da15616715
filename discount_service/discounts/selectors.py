"""Reads of discounts."""

from __future__ import annotations

from django.db.models import QuerySet

from discounts.domain import is_valid_code, normalise_code
from discounts.errors import DiscountNotFound
from discounts.models import Discount
from servicekit.db import CompiledLookup


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
    normalised = normalise_code(code)
    if not is_valid_code(normalised):
        raise DiscountNotFound(f"No discount with code {code!r}.")
    found = _by_code(normalised)
    if not found:
        raise DiscountNotFound(f"No discount with code {normalised!r}.")
    return found[0]


# The hot read: cart_service asks for a code on every PUT /discount/.
_by_code = CompiledLookup(lambda: Discount.objects.order_by(), "code")
