"""Errors of payment_service; servicekit renders each as problem+json with its code."""

from servicekit.errors import Conflict, NotFound, ProblemError, Unprocessable


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    title = "Payment not found"
    default_detail = "No payment has this id."


class IdempotencyKeyMissing(ProblemError):
    status = 400
    code = "idempotency_key_missing"
    title = "Idempotency-Key missing"
    default_detail = "Send an 'Idempotency-Key' header of 1 to 255 characters."


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused"
    default_detail = "This Idempotency-Key was already used with a different request body."


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    title = "Idempotency-Key in use"
    default_detail = "A request with this Idempotency-Key is still being processed; retry shortly."


class RefundNotFound(NotFound):
    code = "refund_not_found"
    title = "Refund not found"
    default_detail = "The payment has no refund with this id."


class PaymentNotRefundable(Unprocessable):
    code = "payment_not_refundable"
    title = "Payment not refundable"
    default_detail = "Only a succeeded payment can be refunded; this one was declined."


class RefundExceedsRemaining(Unprocessable):
    code = "refund_exceeds_remaining"
    title = "Refund exceeds what is left"
    default_detail = "The refund is more than what is left of the payment to give back."


class RefundCurrencyMismatch(Unprocessable):
    code = "refund_currency_mismatch"
    title = "Refund in another currency"
    default_detail = "A refund is in the payment's currency."
