"""Reads of payment_service."""

from __future__ import annotations

from django.db.models import QuerySet

from payments.errors import PaymentNotFound, RefundNotFound
from payments.models import Payment, Refund
from servicekit.ids import parse_uuid


def payment_get(*, payment_id: str) -> Payment:
    """The payment with this id; a malformed id is simply not found."""
    pk = parse_uuid(payment_id)
    if pk is None:
        raise PaymentNotFound()
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


def refund_list(*, payment: Payment) -> QuerySet[Refund]:
    """The payment's refunds, oldest first."""
    return payment.refunds.select_related("payment").order_by("created_at", "id")


def refund_get(*, payment: Payment, refund_id: str) -> Refund:
    pk = parse_uuid(refund_id)
    refund = refund_list(payment=payment).filter(pk=pk).first() if pk else None
    if refund is None:
        raise RefundNotFound()
    return refund
