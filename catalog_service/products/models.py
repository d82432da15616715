"""Products and their prices, one row per currency a product is sold in."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone
from django.utils.functional import cached_property

from products.domain import NAME_MAX_LENGTH, SKU_MAX_LENGTH
from servicekit.money import MAX_DIGITS


class Product(models.Model):
    # Stored normalised (trimmed, upper-case), so uniqueness is case-insensitive.
    sku = models.CharField(max_length=SKU_MAX_LENGTH, unique=True)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    GreaterThanOrEqual(Length("sku"), 1),
                    LessThanOrEqual(Length("sku"), SKU_MAX_LENGTH),
                    sku=Upper("sku"),
                ),
                name="product_sku_normalised",
            ),
            models.CheckConstraint(
                condition=Q(GreaterThanOrEqual(Length("name"), 1)), name="product_name_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(updated_at__gte=F("created_at")), name="product_updated_after_created"
            ),
        ]

    def __str__(self) -> str:
        return self.sku

    @cached_property
    def price_map(self) -> dict[str, Decimal]:
        """The amount per currency it is sold in, by currency code (prefetch ``prices``)."""
        return amounts_by_currency(self.prices.all())


class Price(models.Model):
    """What a product costs in one currency; no row: not sold in that currency."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=2)

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(fields=["product", "currency"], name="price_one_per_currency"),
            models.CheckConstraint(
                condition=Q(Exact(Length("currency"), 3), currency=Upper("currency")),
                name="price_currency_code",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}:{self.currency}"


def amounts_by_currency(prices: Iterable[Price]) -> dict[str, Decimal]:
    """A product's ``price_map`` from its prices (the batch read reads them in bulk)."""
    return {p.currency: p.amount for p in sorted(prices, key=_currency)}


def _currency(price: Price) -> str:
    return price.currency
