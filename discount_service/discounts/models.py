"""Discounts and the redemptions carts hold on them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Upper
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from discounts.domain import Kind, Status, discount_status


class Discount(models.Model):
    KIND_CHOICES = [(k.value, k.value) for k in Kind]

    # Stored normalised (trimmed, upper-case), so uniqueness is case-insensitive.
    code = models.CharField(max_length=32, unique=True)
    description = models.CharField(max_length=500, blank=True, default="")
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    value = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, null=True, blank=True)  # noqa: DJ001 - null for percent
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)  # null: never expires
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)  # null: unlimited
    times_redeemed = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(GreaterThanOrEqual(Length("code"), 3), code=Upper("code")),
                name="discount_code_normalised",
            ),
            models.CheckConstraint(
                condition=Q(kind="percent", value__gt=0, value__lte=100, currency__isnull=True)
                | Q(kind="fixed", value__gt=0, currency__isnull=False),
                name="discount_kind_value_currency",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="discount_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True) | Q(max_redemptions__gte=1),
                name="discount_max_redemptions_positive",
            ),
            # The last line of defence of "never more redemptions than allowed".
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True)
                | Q(times_redeemed__lte=models.F("max_redemptions")),
                name="discount_redeemed_within_max",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def status_at(self, now) -> Status:
        return discount_status(
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            is_active=self.is_active,
            max_redemptions=self.max_redemptions,
            times_redeemed=self.times_redeemed,
            now=now,
        )

    @property
    def status(self) -> Status:
        return self.status_at(timezone.now())


class Redemption(models.Model):
    """One use of a discount, held by one cart."""

    discount = models.ForeignKey(Discount, on_delete=models.CASCADE, related_name="redemptions")
    cart_id = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["discount", "cart_id"], name="redemption_one_per_cart"),
        ]

    def __str__(self) -> str:
        return f"{self.discount_id}:{self.cart_id}"
