"""Request and response bodies of the discount API."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from discounts.domain import CODE_RULE, Status, Terms, is_valid_code, normalise_code, terms_errors
from discounts.models import Discount, Redemption
from servicekit.fields import (
    CurrencyField,
    MoneyField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictUUIDField,
)
from servicekit.perf.drf import FieldsOnceMixin, InputFieldsOnceMixin

MAX_INT = 2_147_483_647
# Fields of a discount that PATCH refuses to change (the rest of the representation).
FROZEN_FIELDS = (
    "code",
    "kind",
    "value",
    "currency",
    "starts_at",
    "times_redeemed",
    "status",
    "created_at",
)


class CodeField(StrictCharField):
    """A discount code, normalised (trimmed, upper-cased) before it is checked."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        # normalise_code trims; DRF's trim would also drop Unicode spaces (U+00A0 ...).
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        code = normalise_code(super().to_internal_value(data))
        if not is_valid_code(code):
            raise serializers.ValidationError(f"A code is {CODE_RULE}")
        return code


class DiscountOut(FieldsOnceMixin, serializers.ModelSerializer):
    value = MoneyField()
    status = serializers.ChoiceField(choices=[s.value for s in Status], read_only=True)

    class Meta:
        model = Discount
        fields = [
            "code",
            "description",
            "kind",
            "value",
            "currency",
            "starts_at",
            "ends_at",
            "max_redemptions",
            "times_redeemed",
            "is_active",
            "status",
            "created_at",
        ]
        read_only_fields = fields


class DiscountCreateIn(serializers.Serializer):
    code = CodeField(help_text=f"Trimmed and upper-cased, then {CODE_RULE}")
    description = StrictCharField(max_length=500, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=["percent", "fixed"])
    value = MoneyField(
        min_value=Decimal("0"),
        exclusive_min=True,
        help_text="percent: 0 < value <= 100; fixed: an amount > 0.",
    )
    currency = CurrencyField(
        required=False,
        allow_null=True,
        default=None,
        help_text="null for percent; required for fixed.",
    )
    starts_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")
    ends_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="After starts_at; null: never expires.",
    )
    max_redemptions = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_INT,
        help_text="null: unlimited.",
    )
    is_active = StrictBooleanField(required=False, default=True)

    def validate(self, attrs):
        attrs.setdefault("starts_at", timezone.now())
        errors = terms_errors(
            Terms(
                kind=attrs["kind"],
                value=attrs["value"],
                currency=attrs["currency"],
                starts_at=attrs["starts_at"],
                ends_at=attrs["ends_at"],
            )
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class DiscountUpdateIn(serializers.Serializer):
    description = StrictCharField(max_length=500, required=False, allow_blank=True)
    ends_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="After starts_at; null: never expires."
    )
    max_redemptions = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_INT,
        help_text="At least times_redeemed; null: unlimited.",
    )
    is_active = StrictBooleanField(required=False)

    def to_internal_value(self, data):
        # Frozen fields are reported together with any other invalid field.
        frozen = {}
        if isinstance(data, dict):
            frozen = {
                name: ["This field cannot be changed."] for name in FROZEN_FIELDS if name in data
            }
        try:
            attrs = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                raise serializers.ValidationError({**frozen, **exc.detail}) from None
            raise
        if frozen:
            raise serializers.ValidationError(frozen)
        return attrs


class RedemptionCreateIn(InputFieldsOnceMixin, serializers.Serializer):
    cart_id = StrictUUIDField()


class RedemptionOut(FieldsOnceMixin, serializers.ModelSerializer):
    code = serializers.CharField(source="discount.code", read_only=True)

    class Meta:
        model = Redemption
        fields = ["code", "cart_id", "created_at"]
        read_only_fields = fields


class DiscountListQueryIn(serializers.Serializer):
    is_active = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="Only active (true) or inactive (false) ones.",
    )
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        trim_whitespace=False,
        help_text="A code prefix, case-insensitive.",
    )
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(
        required=False, min_value=1, help_text="Default 20; more than 100 is capped at 100."
    )

    def validate_is_active(self, value: str) -> bool:
        return value == "true"
