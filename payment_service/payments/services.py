"""Writes of payment_service: payments and refunds, each exactly once per Idempotency-Key
(the protocol is payments.idempotency)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings

from payments.domain import (
    payment_outcome,
    refund_fingerprint,
    refund_outcome,
    request_fingerprint,
)
from payments.errors import (
    PaymentNotFound,
    PaymentNotRefundable,
    RefundCurrencyMismatch,
    RefundExceedsRemaining,
)
from payments.idempotency import Performed, StoredResponse, once
from payments.metrics import PAYMENTS, REFUNDED, REFUNDS
from payments.models import Payment, Refund
from servicekit.perf.db import create

logger = logging.getLogger(__name__)

__all__ = ["StoredResponse", "payment_create", "refund_create"]


def payment_create(
    *,
    caller: str,
    idempotency_key: str,
    reference: str,
    amount: Decimal,
    currency: str,
    render: Callable[[Payment], bytes],
) -> StoredResponse:
    """Take a payment once per key; a repeat of the same request gets the stored response.

    Keys are ``caller``'s own: another caller's use of the same key is another key.
    ``render`` turns the new payment into the response body. It runs inside the charge
    transaction because those exact bytes are stored with the payment for replays.
    Raises IdempotencyKeyReused (different body) or IdempotencyKeyInUse (in flight).
    """
    outcome = []

    def charge() -> Performed:
        decision = payment_outcome(amount=amount, limit=settings.PAYMENT_APPROVAL_LIMIT)
        payment = create(
            Payment,
            reference=reference,
            amount=amount,
            currency=currency,
            status=decision.status,
            decline_code=decision.decline_code,
        )
        outcome.append(payment.status)
        return Performed(201, render(payment), payment)

    stored = once(
        caller=caller,
        key=idempotency_key,
        fingerprint=request_fingerprint(reference=reference, amount=amount, currency=currency),
        perform=charge,
    )
    if outcome:
        PAYMENTS.labels(outcome[0]).inc()
    return stored


def refund_create(
    *,
    caller: str,
    idempotency_key: str,
    payment_id: uuid.UUID,
    amount: Decimal | None,
    currency: str | None,
    reason: str,
    render: Callable[[Refund], bytes],
) -> StoredResponse:
    """Refund ``amount`` of the payment (None: all that is left) once per key.

    Under the payment's row lock, so refunds of one payment are decided one at a time and
    never give back more than was paid: two refunds racing for the last 5.00 get one
    refund and one RefundExceedsRemaining. A declined payment is not refundable; a refund
    in another currency is refused. A refund the stand-in processor declines is made, with
    status ``failed`` and nothing given back. Refusals leave the key free.
    """
    outcome = []

    def refund() -> Performed:
        try:
            payment = Payment.objects.select_for_update().get(pk=payment_id)
        except Payment.DoesNotExist:
            raise PaymentNotFound() from None
        if payment.status != Payment.Status.SUCCEEDED:
            raise PaymentNotRefundable()
        if currency is not None and currency != payment.currency:
            raise RefundCurrencyMismatch(
                f"The payment is in {payment.currency}; a refund is in the payment's currency."
            )
        left = payment.amount_refundable
        wanted = left if amount is None else amount
        if not left or wanted > left:
            raise RefundExceedsRemaining(
                f"{left} {payment.currency} of the payment is left to refund; asked for {wanted}."
            )
        decision = refund_outcome(amount=wanted, failing=settings.PAYMENT_REFUND_FAILING_AMOUNT)
        made = create(
            Refund,
            payment=payment,
            amount=wanted,
            reason=reason,
            status=decision.status,
            failure_code=decision.failure_code,
        )
        if made.status == Refund.Status.SUCCEEDED:
            payment.amount_refunded += wanted
            payment.save(update_fields=["amount_refunded"])
        outcome.append((made.status, wanted, payment.currency))
        return Performed(201, render(made), payment)

    stored = once(
        caller=caller,
        key=idempotency_key,
        fingerprint=refund_fingerprint(
            payment_id=payment_id, amount=amount, currency=currency, reason=reason
        ),
        perform=refund,
    )
    if outcome:
        status, given, in_currency = outcome[0]
        REFUNDS.labels(status).inc()
        if status == Refund.Status.SUCCEEDED:
            REFUNDED.labels(in_currency).inc(float(given))
    return stored
