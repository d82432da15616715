"""Pact provider states of payment_service (mounted only with PACT_PROVIDER_STATES=1)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.utils import timezone

from payments.domain import KEY_MAX_LENGTH, payment_outcome, request_fingerprint
from payments.models import IdempotencyKey, Payment
from payments.serializers import PaymentOut, render_payment
from servicekit.ids import parse_uuid
from servicekit.money import MoneyError, parse_money
from servicekit.provider_states import Params, ProviderStates, StateError

states = ProviderStates()

_PAYMENT_PARAMS = {"id", "idempotency_key", "reference", "amount", "currency", "status"}
# What a consumer gets when it names the state without params (documented in README):
# a fixed id to address, and the reference cart_service gives its default cart.
DEFAULT_PAYMENT_ID = uuid.UUID("22222222-2222-4222-8222-222222222222")
DEFAULT_REFERENCE = "cart:11111111-1111-4111-8111-111111111111"


@states.setup("payments can be taken")
def payments_can_be_taken(params: Params) -> dict:
    # Any payment can be taken on an empty database: nothing to create.
    return {}


@states.setup("a payment exists")
def a_payment_exists(params: Params) -> dict:
    """A payment (by default succeeded, "10.00" USD) and, given a key, its completed POST."""
    unknown = set(params) - _PAYMENT_PARAMS
    if unknown:
        raise StateError(f"Unknown params {sorted(unknown)}; known: {sorted(_PAYMENT_PARAMS)}.")
    payment_id = _uuid(params.get("id"))
    reference = _text(params, "reference", default=DEFAULT_REFERENCE)
    amount = _amount(params.get("amount", "10.00"))
    currency = params.get("currency", "USD")
    if currency not in settings.CURRENCIES:
        raise StateError(
            f"Param 'currency' must be one of {settings.CURRENCIES}, not {currency!r}."
        )
    # Without a status the payment is what the approval rule makes of the amount.
    status = (
        params.get("status")
        or payment_outcome(amount=amount, limit=settings.PAYMENT_APPROVAL_LIMIT).status
    )
    if status not in Payment.Status.values:
        raise StateError(f"Param 'status' must be one of {Payment.Status.values}, not {status!r}.")
    decline_code = (
        Payment.DeclineCode.INSUFFICIENT_FUNDS if status == Payment.Status.DECLINED else None
    )

    payment, _ = Payment.objects.update_or_create(
        id=payment_id,
        defaults={
            "reference": reference,
            "amount": amount,
            "currency": currency,
            "status": status,
            "decline_code": decline_code,
            "created_at": timezone.now(),
        },
    )
    if "idempotency_key" in params:
        key = _text(params, "idempotency_key", max_length=KEY_MAX_LENGTH)
        now = timezone.now()
        IdempotencyKey.objects.update_or_create(
            key=key,
            defaults={
                "fingerprint": request_fingerprint(
                    reference=reference, amount=amount, currency=currency
                ),
                "state": IdempotencyKey.State.COMPLETED,
                "response_status": 201,
                "response_body": render_payment(payment),
                "payment": payment,
                "created_at": now,
                "updated_at": now,
            },
        )
    return dict(PaymentOut(payment).data)


@states.teardown_all
def teardown_all() -> None:
    IdempotencyKey.objects.all().delete()
    Payment.objects.all().delete()


def _uuid(value: object) -> uuid.UUID:
    if value is None:
        return DEFAULT_PAYMENT_ID
    payment_id = parse_uuid(value)
    if payment_id is None:
        raise StateError(f"Param 'id' must be a UUID, not {value!r}.")
    return payment_id


def _text(params: Params, name: str, *, default: str | None = None, max_length: int = 255) -> str:
    value = params.get(name, default)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > max_length:
        raise StateError(f"Param {name!r} must be a string of 1 to {max_length} characters.")
    return value.strip()


def _amount(value: object):
    try:
        amount = parse_money(value)
    except MoneyError as exc:
        raise StateError(f"Param 'amount': {exc}") from None
    if amount <= 0:
        raise StateError("Param 'amount' must be greater than 0.00.")
    return amount
