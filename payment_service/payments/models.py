"""Payments and the idempotency keys that make POST /api/payments/ safe to retry."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Payment(models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded"
        DECLINED = "declined"

    class DeclineCode(models.TextChoices):
        INSUFFICIENT_FUNDS = "insufficient_funds"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=255)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices)
    decline_code = models.CharField(  # noqa: DJ001 - the API says null, not ""
        max_length=32, choices=DeclineCode.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # What succeeded refunds gave back; never more than the amount (a refund takes the
    # payment's row lock, and the constraint below is the last line of defence).
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["-created_at", "-id"]
        # Serves "a cart's payments, newest first" (GET /api/payments/?reference=).
        indexes = [
            models.Index(fields=["reference", "-created_at"], name="payment_reference_newest")
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0, amount_refunded__lte=models.F("amount")),
                name="payment_refunded_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(status="succeeded") | Q(amount_refunded=0),
                name="payment_refunded_only_if_succeeded",
            ),
            models.CheckConstraint(
                condition=Q(status="succeeded", decline_code__isnull=True)
                | Q(status="declined", decline_code__isnull=False),
                name="payment_decline_code_iff_declined",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency} {self.status}"

    @property
    def amount_refundable(self) -> Decimal:
        if self.status != self.Status.SUCCEEDED:
            return Decimal("0")
        return self.amount - self.amount_refunded

    @property
    def refund_status(self) -> str:
        """``none``, ``partial`` or ``full``: how much of the payment refunds gave back."""
        if not self.amount_refunded:
            return "none"
        return "full" if self.amount_refunded == self.amount else "partial"


class Refund(models.Model):
    """Money given back from a succeeded payment: all of what is left, or part of it."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    class FailureCode(models.TextChoices):
        REFUND_DECLINED = "refund_declined"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices)
    failure_code = models.CharField(  # noqa: DJ001 - the API says null, not ""
        max_length=32, choices=FailureCode.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="succeeded", failure_code__isnull=True)
                | Q(status="failed", failure_code__isnull=False),
                name="refund_failure_code_iff_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} of {self.payment_id} ({self.status})"


KEY_SECRET_TAIL = 16  # characters of an Idempotency-Key never shown (cart_service ends its
# keys with a secret of the cart: whoever holds a token and a key could take the next one)


def masked_key(key: str) -> str:
    """A key without its last characters: enough to tell keys apart, not to take one."""
    return key if len(key) <= 2 * KEY_SECRET_TAIL else f"{key[:-KEY_SECRET_TAIL]}…"


class IdempotencyKey(models.Model):
    """One row per Idempotency-Key: the claim while in flight, the stored response after.

    The unique (``caller``, ``key``) decides which of several concurrent requests runs; ``claim_token``
    names the owner of an in-progress claim, so that only the owner can complete it, even
    after an abandoned claim was taken over.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    # Keys are scoped to the caller that sent them (the role of its token), as Stripe scopes
    # them to an account: another caller's key never replays, collides with or blocks ours.
    caller = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices)
    claim_token = models.UUIDField(default=uuid.uuid4)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When the current claim was taken (or the row completed): the age of a claim.
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_key_per_caller"),
            models.CheckConstraint(
                condition=Q(state="in_progress")
                | Q(response_status__isnull=False, response_body__isnull=False),
                name="idempotency_completed_has_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{masked_key(self.key)} ({self.state})"
