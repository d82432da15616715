"""Discounts, the codes a promotion issues, and the redemptions carts hold on them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Upper
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from discounts.domain import MAX_MINIMUM_ITEMS, Kind, Rules, Status, code_status, discount_status


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
    # The promotion's rules (docs/api.md, "Promotions"), fixed at creation; null: no such rule.
    minimum_subtotal = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    minimum_items = models.PositiveIntegerField(null=True, blank=True)
    skus = models.JSONField(null=True, blank=True)  # distinct normalised skus; null: whole cart
    single_use_codes = models.BooleanField(default=False)  # redeemed only through issued codes
    codes_issued = models.PositiveIntegerField(default=0)  # kept with the rows, for the hot read

    # Set by the selectors when the discount is found through one of its issued codes (as
    # an annotation would be): the body then shows that code, and its use in the status.
    issued: IssuedCode | None = None

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(GreaterThanOrEqual(Length("code"), 3), code=Upper("code")),
                name="discount_code_normalised",
            ),
            # A percent discount has a currency only as the one its minimum is counted in.
            models.CheckConstraint(
                condition=Q(kind="percent", value__gt=0, value__lte=100)
                & (Q(currency__isnull=True) | Q(minimum_subtotal__isnull=False))
                | Q(kind="fixed", value__gt=0, currency__isnull=False),
                name="discount_kind_value_currency",
            ),
            models.CheckConstraint(
                condition=Q(minimum_subtotal__isnull=True)
                | Q(minimum_subtotal__gt=0, currency__isnull=False),
                name="discount_minimum_subtotal_positive_in_a_currency",
            ),
            models.CheckConstraint(
                condition=Q(minimum_items__isnull=True)
                | Q(minimum_items__gte=1, minimum_items__lte=MAX_MINIMUM_ITEMS),
                name="discount_minimum_items_in_range",
            ),
            models.CheckConstraint(
                condition=Q(single_use_codes=True) | Q(codes_issued=0),
                name="discount_codes_issued_only_single_use",
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

    @property
    def rules(self) -> Rules:
        return Rules(
            currency=self.currency,
            minimum_subtotal=self.minimum_subtotal,
            minimum_items=self.minimum_items,
            skus=None if self.skus is None else tuple(self.skus),
        )

    @property
    def shown_code(self) -> str:
        """The code the discount was found by: its own, or the issued one."""
        return self.code if self.issued is None else self.issued.code

    @property
    def shown_status(self) -> Status:
        """Its status, or the issued code's it was found by (exhausted once used)."""
        status = self.status
        return status if self.issued is None else code_status(status, used=self.issued.used)


class IssuedCode(models.Model):
    """One of a single-use promotion's codes; a cart's Redemption through it makes it used."""

    discount = models.ForeignKey(Discount, on_delete=models.CASCADE, related_name="issued_codes")
    code = models.CharField(max_length=32, unique=True)  # never also a discount's own code
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]  # the order they were made in
        constraints = [
            models.CheckConstraint(
                condition=Q(GreaterThanOrEqual(Length("code"), 3), code=Upper("code")),
                name="issued_code_normalised",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def redemption_or_none(self) -> Redemption | None:
        try:
            return self.redemption
        except Redemption.DoesNotExist:
            return None

    @property
    def used(self) -> bool:
        return self.redemption_or_none is not None

    @property
    def status(self) -> str:
        return "used" if self.used else "unused"


class Redemption(models.Model):
    """One use of a discount, held by one cart (through an issued code of a promotion)."""

    discount = models.ForeignKey(Discount, on_delete=models.CASCADE, related_name="redemptions")
    cart_id = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The database itself holds an issued code to one cart at most (a unique column).
    issued_code = models.OneToOneField(
        IssuedCode,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="redemption",
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["discount", "cart_id"], name="redemption_one_per_cart"),
        ]

    def __str__(self) -> str:
        return f"{self.discount_id}:{self.cart_id}"

    @property
    def code(self) -> str:
        """The code the use was taken through: the issued one, else the discount's own."""
        if self.issued_code_id is not None and self.issued_code is not None:
            return self.issued_code.code
        return self.discount.code
