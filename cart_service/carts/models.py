"""Carts and their items. Totals are not stored: see carts/domain.py."""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from carts import domain, states
from carts.states import PaymentStatus
from servicekit.perf.db import CompiledLookup

MAX_QUANTITY = 999


def new_key_secret() -> str:
    return secrets.token_hex(16)  # 128 bits


class DiscountKind(models.TextChoices):
    PERCENT = "percent"
    FIXED = "fixed"


class Cart(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    currency = models.CharField(max_length=3)
    payment_status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )

    # A snapshot of the applied discount, taken when it was applied.
    discount_code = models.CharField(max_length=64, blank=True, default="")
    discount_kind = models.CharField(
        max_length=8, choices=DiscountKind.choices, blank=True, default=""
    )
    discount_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    discount_currency = models.CharField(max_length=3, blank=True, default="")
    # A promotion for some products: the skus it takes off from (null: the whole cart).
    discount_skus = models.JSONField(null=True, blank=True)

    # Checkout bookkeeping (see checkout.cart_checkout).
    checkout_attempt = models.PositiveIntegerField(default=0)
    attempt_unresolved = models.BooleanField(
        default=False, help_text="The current attempt was sent to payment_service; outcome unknown."
    )
    redemption_held = models.BooleanField(
        default=False, help_text="discount_service may hold a redemption of the code for this cart."
    )
    redemption_held_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the redeem that set redemption_held was sent (the reconciler's clock "
        "for a checkout stopped at the redeem step; edits to the cart do not move it).",
    )
    attempt_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current attempt began (the reconciler's clock)."
    )
    releases_owed = models.BooleanField(
        default=False, help_text="Uses of discounts this cart no longer needs are owed back."
    )
    checkout_problem = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text="Set when an operator must act (payment_mismatch); the cart is frozen.",
    )
    reconcile_claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A reconciler works on this cart until then."
    )
    # Ends every payment Idempotency-Key of the cart: a holder of a payment token who knows a
    # cart's id must not be able to take its next key first (issue 23, finding 6).
    payment_key_secret = models.CharField(max_length=32, blank=True, default=new_key_secret)
    prices_checked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the catalog last confirmed the lines' prices (none earlier; null: "
        "never, as for carts made before it priced them): see carts.pricing.",
    )
    last_payment_id = models.CharField(max_length=64, blank=True, default="")
    last_payment_status = models.CharField(max_length=16, blank=True, default="")
    # What succeeded refunds gave back of the payment (carts.refunds), kept with the cart so
    # that its body needs no other read.
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    last_payment_decline_code = models.CharField(max_length=64, blank=True, default="")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(payment_status__in=PaymentStatus.values),
                name="cart_payment_status_valid",
            ),
        ]
        # What the reconciler looks for on every pass; small, since most carts match neither.
        indexes = [
            models.Index(
                fields=["attempt_started_at"],
                condition=states.UNRESOLVED,
                name="cart_unresolved_attempts",
            ),
            models.Index(
                fields=["redemption_held_at"],
                condition=states.MAY_HOLD_UNNEEDED_USE,
                name="cart_may_hold_unneeded_use",
            ),
            models.Index(
                fields=["updated_at"],
                condition=states.HELD_FOR_OPERATOR,
                name="cart_checkout_problems",
            ),
        ]

    def __str__(self) -> str:
        return f"cart {self.id} ({self.payment_status})"

    @property
    def discount(self) -> domain.AppliedDiscount | None:
        if not self.discount_code or self.discount_value is None:
            return None
        return domain.AppliedDiscount(
            kind=self.discount_kind,
            value=self.discount_value,
            currency=self.discount_currency or None,
            skus=None if self.discount_skus is None else frozenset(self.discount_skus),
        )

    @property
    def idempotency_key(self) -> str:
        """The payment key of the current attempt: a retry of it can never charge twice."""
        return self.attempt_key(self.checkout_attempt)

    def attempt_key(self, attempt: int) -> str:
        """The payment key of attempt ``attempt``: not guessable from the cart's id, since it
        ends with the cart's own random secret (carts made before it existed have none)."""
        key = f"cart-{self.id}-attempt-{attempt}"
        return f"{key}-{self.payment_key_secret}" if self.payment_key_secret else key

    @property
    def payment_reference(self) -> str:
        return f"cart:{self.id}"

    @property
    def lines(self) -> list[CartItem]:
        """The cart's items in their stored order, read once per request.

        A queryset with ``prefetch_related("items")`` fills it without a query; a
        service that changed the items hands the new list over with ``set_lines``.
        """
        lines = self.__dict__.get("_lines")
        if lines is None:
            prefetched = getattr(self, "_prefetched_objects_cache", {}).get("items")
            lines = list(prefetched) if prefetched is not None else _lines_of(self.pk)
            self._own(lines)
            self.__dict__["_lines"] = lines
        return lines

    def set_lines(self, lines: list[CartItem]) -> None:
        self._own(lines)
        self.__dict__["_lines"] = sorted(lines, key=lambda item: (item.created_at, item.id))

    def _own(self, lines: list[CartItem]) -> None:
        """Each line reads its cart (its discount) from this object, not with a query."""
        for line in lines:
            CartItem.cart.field.set_cached_value(line, self)

    def totals(self) -> domain.Totals:
        return domain.cart_totals(self.lines, discount=self.discount, currency=self.currency)


class CartItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, quantity__lte=MAX_QUANTITY),
                name="cart_item_quantity_1_999",
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="cart_item_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"

    @property
    def line_total(self):
        return domain.line_total(self.unit_price, self.quantity)

    @property
    def discounted(self) -> bool:
        """Whether the cart's discount takes off from this line."""
        discount = self.cart.discount
        return discount is not None and discount.covers(self)


class OwedRelease(models.Model):
    """A use of ``code`` that discount_service may hold for the cart and nobody needs.

    Recorded in the same transaction that stops needing it (discount removed or replaced,
    a decline, a checkout that stopped at the redeem step) and deleted only once
    discount_service confirmed the release (204).
    """

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="owed_releases")
    code = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Bumped when the use is owed again while a release of it may be in flight (a redeem
    # that landed after it): that release deletes the row only at the generation it saw.
    generation = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "code"], name="owed_release_once_per_code")
        ]

    def __str__(self) -> str:
        return f"release {self.code} of cart {self.cart_id}"


# A cart's items, read on nearly every request: compiled once (servicekit.perf.db).
_lines_of = CompiledLookup(lambda: CartItem.objects.all(), "cart")


class CartRefund(models.Model):
    """Money given back of a paid cart, asked for by an operator (carts.refunds).

    Recorded ``pending`` (committed) before payment_service is asked, under the key of its
    number; settled once to ``succeeded`` or ``failed`` by whoever learns the outcome first
    (the operator's request, a repeat of it, or the reconciler).
    """

    class Kind(models.TextChoices):
        CANCEL = "cancel"  # all that is left, and the cart cancelled with its use given back
        PARTIAL = "partial"  # an amount; the cart stays paid and keeps its use

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cart = models.ForeignKey(Cart, on_delete=models.PROTECT, related_name="refunds")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # The operator's Idempotency-Key, if one was sent: the same request again is this refund.
    operator_key = models.CharField(max_length=255, blank=True, default="")
    payment_refund_id = models.CharField(max_length=64, blank=True, default="")
    failure_code = models.CharField(max_length=64, blank=True, default="")
    started_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A reconciler works on this refund until then."
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "number"], name="cart_refund_number_once"),
            models.UniqueConstraint(
                fields=["cart", "operator_key"],
                condition=~models.Q(operator_key=""),
                name="cart_refund_operator_key_once",
            ),
            # One refund at a time per cart: its amount is decided against what is left.
            models.UniqueConstraint(
                fields=["cart"],
                condition=models.Q(status="pending"),
                name="cart_refund_one_pending",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="cart_refund_amount"),
        ]
        indexes = [
            models.Index(
                fields=["started_at"],
                condition=models.Q(status="pending"),
                name="cart_refunds_pending",
            )
        ]

    def __str__(self) -> str:
        return f"refund {self.number} of cart {self.cart_id} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        """payment_service's key for this refund: the same on every try, not guessable."""
        cart = self.cart
        key = f"cart-{cart.id}-refund-{self.number}"
        return f"{key}-{cart.payment_key_secret}" if cart.payment_key_secret else key
