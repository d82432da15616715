"""Pact provider states of payment_service (mounted only with PACT_PROVIDER_STATES=1)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from payments.domain import KEY_MAX_LENGTH, payment_outcome, request_fingerprint
from payments.models import IdempotencyKey, Payment
from payments.serializers import PaymentOut, render_payment
from servicekit.fields import CurrencyField, MoneyField, StrictCharField, StrictUUIDField
from servicekit.provider_states import Params, ProviderStates, StateError, validated

states = ProviderStates()

# What a consumer gets when it names the state without params (documented in README):
# a fixed id to address, and the reference cart_service gives its default cart.
DEFAULT_PAYMENT_ID = uuid.UUID("22222222-2222-4222-8222-222222222222")
DEFAULT_REFERENCE = "cart:11111111-1111-4111-8111-111111111111"


class PaymentStateIn(serializers.Serializer):
    id = StrictUUIDField(default=None, allow_null=True)  # None: DEFAULT_PAYMENT_ID
    reference = StrictCharField(max_length=255, default=DEFAULT_REFERENCE)
    amount = MoneyField(min_value=Decimal("0"), exclusive_min=True, default=Decimal("10.00"))
    currency = CurrencyField(default="USD", trim_whitespace=False)
    # Without a status the payment is what the approval rule makes of the amount.
    status = serializers.ChoiceField(
        choices=Payment.Status.values, default=None, allow_null=True, allow_blank=True
    )
    idempotency_key = StrictCharField(max_length=KEY_MAX_LENGTH, required=False)


@states.setup("payments can be taken")
def payments_can_be_taken(params: Params) -> dict:
    # Any payment can be taken on an empty database: nothing to create.
    return {}


@states.setup("a payment exists")
def a_payment_exists(params: Params) -> dict:
    """A payment (by default succeeded, "10.00" USD) and, given a key, its completed POST."""
    known = PaymentStateIn().fields.keys()
    if unknown := set(params) - known:
        raise StateError(f"Unknown params {sorted(unknown)}; known: {sorted(known)}.")
    data = validated(PaymentStateIn, params)
    reference, amount, currency = data["reference"], data["amount"], data["currency"]
    status = (
        data["status"]
        or payment_outcome(amount=amount, limit=settings.PAYMENT_APPROVAL_LIMIT).status
    )
    decline_code = (
        Payment.DeclineCode.INSUFFICIENT_FUNDS if status == Payment.Status.DECLINED else None
    )

    payment, _ = Payment.objects.update_or_create(
        id=data["id"] or DEFAULT_PAYMENT_ID,
        defaults={
            "reference": reference,
            "amount": amount,
            "currency": currency,
            "status": status,
            "decline_code": decline_code,
            "created_at": timezone.now(),
        },
    )
    if "idempotency_key" in data:
        now = timezone.now()
        IdempotencyKey.objects.update_or_create(
            caller="service",  # the role of PAYMENT_SERVICE_TOKEN, which cart_service holds
            key=data["idempotency_key"],
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
