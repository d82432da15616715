"""Every line's price is the catalog's, for the cart's currency; never the shopper's.

A line takes its name and unit price from catalog_service when it is added, and keeps them.
The cart records when its prices were last confirmed together (``Cart.prices_checked_at``: no
line's price was confirmed earlier). A checkout of a cart whose prices are older than
``CART_PRICE_MAX_AGE`` asks the catalog again first: if any moved, the lines are re-priced
and nothing is charged (409 ``prices_changed`` with the re-priced cart), so a shopper is never
charged a total other than the one the cart last showed them, and every price charged is one
the catalog had no longer than ``CART_PRICE_MAX_AGE`` before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from carts.clients.catalog import Product
from carts.errors import PriceChanged, ProductInactive, ProductNotFound, ProductNotSoldInCurrency
from servicekit.money import format_money


@dataclass(frozen=True)
class Priced:
    """What the catalog says a line of ``sku`` is, in the cart's currency."""

    sku: str
    name: str
    unit_price: Decimal


def priced(products: dict[str, Product], sku: str, currency: str) -> Priced:
    """The line the catalog prices; ProductRefused subclasses when it cannot be sold."""
    product = products.get(sku)
    if product is None:
        raise ProductNotFound(sku, f"The catalog has no product with the sku {sku!r}.")
    if not product.active:
        raise ProductInactive(sku, f"{sku!r} is no longer sold.")
    price = product.prices.get(currency)
    if price is None:
        raise ProductNotSoldInCurrency(sku, f"{sku!r} is not sold in {currency}.")
    return Priced(sku=product.sku, name=product.name, unit_price=price)


def check_seen(line: Priced, seen: Decimal | None) -> None:
    """A price the shopper sent is only the price they saw: another one now is 409."""
    if seen is not None and seen != line.unit_price:
        raise PriceChanged(line.sku, format_money(line.unit_price))


def is_stale(checked_at, now=None) -> bool:
    """Whether prices confirmed at ``checked_at`` (None: never) must be asked for again."""
    if checked_at is None:
        return True
    now = now or timezone.now()
    return checked_at < now - timedelta(seconds=settings.CART_PRICE_MAX_AGE)
