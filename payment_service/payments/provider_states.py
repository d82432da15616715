"""Pact provider states of payment_service (mounted only with PACT_PROVIDER_STATES=1)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from payments.domain import (
    KEY_MAX_LENGTH,
    payment_outcome,
    refund_fingerprint,
    request_fingerprint,
)
from payments.models import IdempotencyKey, Payment, Refund
from payments.serializers import PaymentOut, RefundOut, render_payment, render_refund
from servicekit.fields import CurrencyField, MoneyField, StrictCharField, StrictUUIDField
from servicekit.provider_states import Params, ProviderStates, StateError, validated

states = ProviderStates()

# What a consumer gets when it names the state without params (documented in README):
# a fixed id to address, and the reference cart_service gives its default cart.
DEFAULT_PAYMENT_ID = uuid.UUID("22222222-2222-4222-8222-222222222222")
DEFAULT_REFERENCE = "cart:11111111-1111-4111-8111-111111111111"
DEFAULT_REFUND_ID = uuid.UUID("44444444-4444-4444-8444-444444444444")


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
    # What refunds have given back already (no refund rows: "a payment with a refund exists"
    # makes one).
    amount_refunded = MoneyField(min_value=Decimal("0"), default=Decimal("0.00"))

    def validate(self, attrs: dict) -> dict:
        if attrs["amount_refunded"] > attrs["amount"]:
            raise serializers.ValidationError({"amount_refunded": ["At most the amount."]})
        return attrs


class RefundStateIn(serializers.Serializer):
    payment_id = StrictUUIDField(default=None, allow_null=True)  # None: DEFAULT_PAYMENT_ID
    refund_id = StrictUUIDField(default=None, allow_null=True)  # None: DEFAULT_REFUND_ID
    amount = MoneyField(min_value=Decimal("0"), exclusive_min=True, default=Decimal("15.00"))
    currency = CurrencyField(default="USD", trim_whitespace=False)
    reference = StrictCharField(max_length=255, default=DEFAULT_REFERENCE)
    refund_amount = MoneyField(min_value=Decimal("0"), exclusive_min=True, default=Decimal("5.00"))
    reason = StrictCharField(max_length=500, allow_blank=True, default="")
    # Given: the refund's completed POST under this key (cart_service's), to replay it.
    idempotency_key = StrictCharField(max_length=KEY_MAX_LENGTH, required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs["refund_amount"] > attrs["amount"]:
            raise serializers.ValidationError({"refund_amount": ["At most the amount."]})
        return attrs


def _validated(serializer_class: type[serializers.Serializer], params: Params) -> dict:
    """The params, validated; an unknown one is refused too (a typo must not pass)."""
    known = serializer_class().fields.keys()
    if unknown := set(params) - known:
        raise StateError(f"Unknown params {sorted(unknown)}; known: {sorted(known)}.")
    return validated(serializer_class, params)


@states.setup("payments can be taken")
def payments_can_be_taken(params: Params) -> dict:
    # Any payment can be taken on an empty database: nothing to create.
    return {}


@states.setup("a payment exists")
def a_payment_exists(params: Params) -> dict:
    """A payment (by default succeeded, "10.00" USD) and, given a key, its completed POST."""
    data = _validated(PaymentStateIn, params)
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
            "amount_refunded": data["amount_refunded"] if status == "succeeded" else 0,
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


@states.setup("a payment with a refund exists")
def a_payment_with_a_refund_exists(params: Params) -> dict:
    """A succeeded payment (15.00 USD) with one succeeded refund (5.00) and, given a key,
    the refund's completed POST. Answers the refund, with ``payment_id``."""
    data = _validated(RefundStateIn, params)
    payment, _ = Payment.objects.update_or_create(
        id=data["payment_id"] or DEFAULT_PAYMENT_ID,
        defaults={
            "reference": data["reference"],
            "amount": data["amount"],
            "currency": data["currency"],
            "status": Payment.Status.SUCCEEDED,
            "decline_code": None,
            "amount_refunded": data["refund_amount"],
            "created_at": timezone.now(),
        },
    )
    refund, _ = Refund.objects.update_or_create(
        id=data["refund_id"] or DEFAULT_REFUND_ID,
        defaults={
            "payment": payment,
            "amount": data["refund_amount"],
            "reason": data["reason"],
            "status": Refund.Status.SUCCEEDED,
            "failure_code": None,
            "created_at": timezone.now(),
        },
    )
    if "idempotency_key" in data:
        now = timezone.now()
        IdempotencyKey.objects.update_or_create(
            caller="service",
            key=data["idempotency_key"],
            defaults={
                "fingerprint": refund_fingerprint(
                    payment_id=payment.id,
                    amount=data["refund_amount"],
                    currency=None,
                    reason=data["reason"],
                ),
                "state": IdempotencyKey.State.COMPLETED,
                "response_status": 201,
                "response_body": render_refund(refund),
                "payment": payment,
                "created_at": now,
                "updated_at": now,
            },
        )
    return dict(RefundOut(refund).data)


@states.teardown_all
def teardown_all() -> None:
    IdempotencyKey.objects.all().delete()
    Refund.objects.all().delete()
    Payment.objects.all().delete()
