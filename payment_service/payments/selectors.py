"""Reads of payment_service."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from .errors import PaymentNotFound
from .models import Payment


def payment_get(*, payment_id: str) -> Payment:
    """The payment with this id; a malformed id is simply not found."""
    try:
        pk = uuid.UUID(str(payment_id))
    except ValueError:
        raise PaymentNotFound() from None
    try:
        return Payment.objects.get(pk=pk)
    except Payment.DoesNotExist:
        raise PaymentNotFound() from None


def payment_list(*, reference: str | None = None) -> QuerySet[Payment]:
    """Payments, newest first, optionally only those with this reference."""
    payments = Payment.objects.order_by("-created_at", "-id")
    if reference is not None:
        payments = payments.filter(reference=reference)
    return payments
