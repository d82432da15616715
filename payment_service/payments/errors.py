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
