"""Writes: creating products and changing them (name, active flag, the whole price map).

A change locks the product's row (``select_for_update``) for the whole read-diff-write of
its prices, so concurrent changes are applied one after the other: the last one wins and
no reader ever sees a map that mixes two of them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from products.domain import PriceChange, price_changes
from products.errors import ProductSkuTaken
from products.metrics import PRICE_CHANGES, PRODUCT_WRITES
from products.models import Price, Product
from products.selectors import product_locked

UPDATABLE_FIELDS = ("name", "active", "prices")


def product_create(
    *, sku: str, name: str, active: bool = True, prices: dict[str, Decimal]
) -> Product:
    """Create a product whose fields were validated (``sku`` normalised); a taken sku
    raises ProductSkuTaken."""
    if Product.objects.filter(sku=sku).exists():
        raise ProductSkuTaken(f"The sku {sku!r} is taken.")
    try:
        # The unique index decides between two concurrent creates of one sku.
        with transaction.atomic():
            product = product_insert(sku=sku, name=name, active=active, prices=prices)
    except IntegrityError:
        if Product.objects.filter(sku=sku).exists():
            raise ProductSkuTaken(f"The sku {sku!r} is taken.") from None
        raise
    PRODUCT_WRITES.labels("created").inc()
    _count_price_changes(price_changes({}, prices))
    return product


def product_insert(*, sku: str, name: str, active: bool, prices: dict[str, Decimal]) -> Product:
    """INSERT the product and its prices, nothing else (no check, no metrics; call inside
    a transaction): what product_create and the provider states write."""
    now = timezone.now()
    product = Product.objects.create(
        sku=sku, name=name, active=active, created_at=now, updated_at=now
    )
    Price.objects.bulk_create(
        Price(product=product, currency=currency, amount=amount)
        for currency, amount in prices.items()
    )
    product.price_map = dict(sorted(prices.items()))
    return product


def product_update(*, sku: str, changes: dict[str, Any]) -> Product:
    """Apply ``changes`` (only UPDATABLE_FIELDS; ``prices`` replaces the whole map) to the
    locked, current row. Nothing changed: nothing is written, ``updated_at`` stays."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not updatable: {sorted(unknown)}")
    with transaction.atomic():
        product = product_locked(sku=sku)
        before = {p.currency: p.amount for p in Price.objects.filter(product=product)}
        after = changes.get("prices", before)
        repriced = price_changes(before, after)
        fields = [
            f for f in ("name", "active") if f in changes and changes[f] != getattr(product, f)
        ]
        for field in fields:
            setattr(product, field, changes[field])
        if repriced:
            _replace_prices(product, after, repriced)
        if fields or repriced:
            product.updated_at = timezone.now()
            product.save(update_fields=[*fields, "updated_at"])
    product.price_map = dict(sorted(after.items()))
    if "name" in fields:
        PRODUCT_WRITES.labels("renamed").inc()
    if "active" in fields:
        PRODUCT_WRITES.labels("reactivated" if product.active else "deactivated").inc()
    if repriced:
        PRODUCT_WRITES.labels("repriced").inc()
        _count_price_changes(repriced)
    return product


def _replace_prices(
    product: Product, after: dict[str, Decimal], changes: dict[str, PriceChange]
) -> None:
    """Delete the rows of removed and changed currencies, insert the changed and added ones."""
    gone = [c for c, change in changes.items() if change != PriceChange.ADDED]
    if gone:
        Price.objects.filter(product=product, currency__in=gone).delete()
    Price.objects.bulk_create(
        Price(product=product, currency=c, amount=after[c])
        for c, change in changes.items()
        if change != PriceChange.REMOVED
    )


def _count_price_changes(changes: dict[str, PriceChange]) -> None:
    for currency, change in changes.items():
        PRICE_CHANGES.labels(currency, change.value).inc()
