"""The cart's money math, in one place and pure (no database, no Django).

Totals are never stored: every read recomputes them from the items and the
discount snapshot, so they cannot go stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from carts.errors import DiscountCurrencyMismatch
from servicekit.money import quantize_cents

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


class Line(Protocol):
    sku: str
    unit_price: Decimal
    quantity: int


@dataclass(frozen=True)
class AppliedDiscount:
    kind: str  # "percent" or "fixed"
    value: Decimal
    currency: str | None = None
    # The skus it takes off from; None: every line.
    skus: frozenset[str] | None = None

    def covers(self, line: Line) -> bool:
        """Whether the discount takes off from this line."""
        return self.skus is None or line.sku in self.skus


@dataclass(frozen=True)
class Totals:
    items_number: int
    subtotal: Decimal
    amount_discounted: Decimal
    total: Decimal


def line_total(unit_price: Decimal, quantity: int) -> Decimal:
    return quantize_cents(unit_price * quantity)


def items_number(lines: Iterable[Line]) -> int:
    return sum(line.quantity for line in lines)


def subtotal(lines: Iterable[Line]) -> Decimal:
    return quantize_cents(sum((line_total(ln.unit_price, ln.quantity) for ln in lines), ZERO))


def covered(lines: Iterable[Line], discount: AppliedDiscount | None) -> Decimal:
    """The subtotal of the lines the discount takes off from (all of them, unrestricted)."""
    if discount is None or discount.skus is None:
        return subtotal(lines)
    return subtotal(line for line in lines if discount.covers(line))


def fits_currency(discount: AppliedDiscount, cart_currency: str) -> bool:
    """A fixed discount is an amount of money, so it must be in the cart's currency."""
    return discount.kind != "fixed" or discount.currency == cart_currency


def check_discount_currency(discount: AppliedDiscount, cart_currency: str) -> None:
    """DiscountCurrencyMismatch unless the discount fits the cart's currency."""
    if not fits_currency(discount, cart_currency):
        raise DiscountCurrencyMismatch(
            f"The discount is {discount.value} {discount.currency}; the cart is in {cart_currency}."
        )


def discount_amount(
    discount: AppliedDiscount | None, *, subtotal: Decimal, cart_currency: str
) -> Decimal:
    """fixed → min(value, subtotal); percent → subtotal * value / 100, half-up to cents.
    ``subtotal`` is what the discount applies to: the lines it covers (``covered``)."""
    if discount is None:
        return ZERO
    check_discount_currency(discount, cart_currency)
    if discount.kind == "fixed":
        return quantize_cents(min(discount.value, subtotal))
    if discount.kind == "percent":
        return min(quantize_cents(subtotal * discount.value / HUNDRED), quantize_cents(subtotal))
    raise ValueError(f"unknown discount kind {discount.kind!r}")


def cart_totals(
    lines: Iterable[Line], *, discount: AppliedDiscount | None, currency: str
) -> Totals:
    lines = list(lines)
    sub = subtotal(lines)
    discounted = discount_amount(
        discount, subtotal=covered(lines, discount), cart_currency=currency
    )
    return Totals(
        items_number=items_number(lines),
        subtotal=sub,
        amount_discounted=discounted,
        total=max(sub - discounted, ZERO),
    )
