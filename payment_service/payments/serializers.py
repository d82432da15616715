"""Request and response shapes of the payments API."""

from __future__ import annotations

import re
from decimal import Decimal

from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from payments.domain import KEY_MAX_LENGTH
from payments.errors import IdempotencyKeyMissing
from payments.models import Payment, Refund
from servicekit.fields import CurrencyField, MoneyField, StrictCharField
from servicekit.perf.drf import FieldsOnceMixin, InputFieldsOnceMixin

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Visible ASCII with inner spaces: what HTTP header values carry safely, stored as-is.
_KEY_CHARS = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")


class PaymentCreateIn(InputFieldsOnceMixin, serializers.Serializer):
    reference = serializers.CharField(min_length=1, max_length=255)
    amount = MoneyField(min_value=Decimal("0"), exclusive_min=True)
    currency = CurrencyField()


class PaymentOut(FieldsOnceMixin, serializers.ModelSerializer):
    amount = MoneyField()
    amount_refunded = MoneyField()
    refund_status = serializers.ChoiceField(choices=["none", "partial", "full"])

    class Meta:
        model = Payment
        fields = [
            "id",
            "reference",
            "amount",
            "currency",
            "status",
            "decline_code",
            "amount_refunded",
            "refund_status",
            "created_at",
        ]
        read_only_fields = fields


class RefundCreateIn(serializers.Serializer):
    # Left out: all that is left of the payment.
    amount = MoneyField(required=False, min_value=Decimal("0"), exclusive_min=True)
    # Left out: the payment's; another currency is refused (422), never converted.
    currency = CurrencyField(required=False)
    reason = StrictCharField(required=False, allow_blank=True, max_length=500, default="")


class RefundOut(serializers.ModelSerializer):
    payment_id = serializers.UUIDField()
    amount = MoneyField()
    currency = serializers.CharField(source="payment.currency")

    class Meta:
        model = Refund
        fields = [
            "id",
            "payment_id",
            "amount",
            "currency",
            "reason",
            "status",
            "failure_code",
            "created_at",
        ]
        read_only_fields = fields


class PaymentListQueryIn(serializers.Serializer):
    reference = serializers.CharField(required=False, min_length=1, max_length=255)


def render_payment(payment: Payment) -> bytes:
    """The exact bytes of a payment response: stored once, replayed byte for byte."""
    return JSONRenderer().render(PaymentOut(payment).data)


def render_refund(refund: Refund) -> bytes:
    """The exact bytes of a refund response: stored once, replayed byte for byte."""
    return JSONRenderer().render(RefundOut(refund).data)


def idempotency_key_from(headers) -> str:
    """The request's Idempotency-Key; missing or blank → 400 idempotency_key_missing."""
    key = (headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if not key:
        raise IdempotencyKeyMissing()
    if len(key) > KEY_MAX_LENGTH:
        raise serializers.ValidationError(
            {IDEMPOTENCY_HEADER: [f"Use at most {KEY_MAX_LENGTH} characters."]}
        )
    if not _KEY_CHARS.match(key):
        raise serializers.ValidationError(
            {IDEMPOTENCY_HEADER: ["Use visible ASCII characters only."]}
        )
    return key
