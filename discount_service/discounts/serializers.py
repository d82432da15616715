"""Request and response bodies of the discount API."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from discounts.domain import (
    CODE_RULE,
    MAX_BATCH,
    MAX_MINIMUM_ITEMS,
    MAX_SKUS,
    PREFIX_RULE,
    Cart,
    Line,
    Status,
    Terms,
    is_valid_code,
    normalise_code,
    normalise_prefix,
    prefix_error,
    skus_rule,
    terms_errors,
)
from discounts.models import Discount, IssuedCode, Redemption
from servicekit.drf import RefusedFieldsMixin
from servicekit.fields import (
    CurrencyField,
    MoneyField,
    SkuField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictUUIDField,
)
from servicekit.perf.drf import FieldsOnceMixin, InputFieldsOnceMixin

MAX_INT = 2_147_483_647
# A cart sent to be checked: at most this many lines (cart_service holds 100 by default).
MAX_CART_LINES = 1_000
# The most a cart line holds (cart_service's MAX_QUANTITY).
MAX_QUANTITY = 999
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
    "minimum_subtotal",
    "minimum_items",
    "skus",
    "single_use_codes",
    "codes_issued",
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


class SkusField(serializers.ListField):
    """A discount's skus: 1 to MAX_SKUS distinct skus, normalised as the catalog keeps them."""

    child = StrictCharField(trim_whitespace=False)

    def __init__(self, **kwargs):
        super().__init__(min_length=1, max_length=MAX_SKUS, **kwargs)

    def to_internal_value(self, data) -> list[str]:
        if isinstance(data, list) and len(data) > MAX_SKUS:  # before reading each one
            raise serializers.ValidationError(f"At most {MAX_SKUS} skus.")
        skus, errors = skus_rule(super().to_internal_value(data))
        if errors:
            raise serializers.ValidationError(errors)
        return list(skus)


class DiscountOut(FieldsOnceMixin, serializers.ModelSerializer):
    # The code it was asked by: its own, or one of its issued codes.
    code = serializers.CharField(source="shown_code", read_only=True)
    value = MoneyField()
    status = serializers.ChoiceField(
        choices=[s.value for s in Status], source="shown_status", read_only=True
    )
    minimum_subtotal = MoneyField(allow_null=True)
    skus = serializers.ListField(child=serializers.CharField(), allow_null=True)

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
            "minimum_subtotal",
            "minimum_items",
            "skus",
            "single_use_codes",
            "codes_issued",
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
    minimum_subtotal = MoneyField(
        min_value=Decimal("0"),
        exclusive_min=True,
        required=False,
        allow_null=True,
        default=None,
        help_text="The subtotal a cart must reach, in `currency` (a percent discount with a "
        "minimum names the currency it is counted in); null: none.",
    )
    minimum_items = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_MINIMUM_ITEMS,
        help_text="The number of items (the sum of quantities) a cart must reach; null: none.",
    )
    skus = SkusField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only the lines of these catalog skus are discounted (1-100, distinct); "
        "null: the whole cart.",
    )
    single_use_codes = StrictBooleanField(
        required=False,
        default=False,
        help_text="A promotion redeemed only through the codes it issues, each once.",
    )

    def validate(self, attrs):
        attrs.setdefault("starts_at", timezone.now())
        errors = terms_errors(
            Terms(
                kind=attrs["kind"],
                value=attrs["value"],
                currency=attrs["currency"],
                starts_at=attrs["starts_at"],
                ends_at=attrs["ends_at"],
                minimum_subtotal=attrs["minimum_subtotal"],
                minimum_items=attrs["minimum_items"],
            )
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class DiscountUpdateIn(RefusedFieldsMixin, serializers.Serializer):
    refused_fields = FROZEN_FIELDS

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


class CartLineIn(serializers.Serializer):
    sku = SkuField(help_text="Normalised as the catalog keeps it (`mug-1` is `MUG-1`).")
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_price = MoneyField()

    def to_internal_value(self, data) -> Line:
        return Line(**super().to_internal_value(data))


class CartIn(serializers.Serializer):
    currency = CurrencyField()
    items: serializers.ListSerializer[Line] = serializers.ListSerializer(
        child=CartLineIn(), max_length=MAX_CART_LINES
    )

    def to_internal_value(self, data) -> Cart:
        attrs = super().to_internal_value(data)
        return Cart(currency=attrs["currency"], lines=tuple(attrs["items"]))


class EligibilityIn(serializers.Serializer):
    cart = CartIn(
        help_text="The cart's currency and lines; its subtotal and item count are "
        "computed from them."
    )


class RedemptionCreateIn(InputFieldsOnceMixin, serializers.Serializer):
    cart_id = StrictUUIDField()
    cart = CartIn(
        required=False,
        help_text="The cart as it is checked out: required for a discount with rules.",
    )


class RedemptionOut(FieldsOnceMixin, serializers.ModelSerializer):
    # The code the use was taken through: the discount's own or an issued one.
    code = serializers.CharField(read_only=True)

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


class IssuedCodesCreateIn(serializers.Serializer):
    count = StrictIntegerField(min_value=1, max_value=MAX_BATCH)
    prefix = StrictCharField(
        required=False,
        default="",
        allow_blank=True,
        trim_whitespace=False,
        max_length=100,  # longer than any prefix, so a long one is refused by the rule
        help_text=f"Before each code's 12 random characters: {PREFIX_RULE}",
    )

    def validate_prefix(self, value: str) -> str:
        prefix = normalise_prefix(value)
        if (error := prefix_error(prefix)) is not None:
            raise serializers.ValidationError(error)
        return prefix


class IssuedBatchOut(FieldsOnceMixin, serializers.Serializer):
    discount = DiscountOut(read_only=True, help_text="The promotion, with its codes_issued.")
    prefix = serializers.CharField(read_only=True)
    count = serializers.IntegerField(read_only=True)
    codes = serializers.ListField(child=serializers.CharField(), read_only=True)


class IssuedCodeOut(FieldsOnceMixin, serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=["unused", "used"], read_only=True)
    # null while unused (DRF reads a missing redemption as null)
    cart_id = serializers.UUIDField(source="redemption.cart_id", read_only=True, allow_null=True)
    redeemed_at = serializers.DateTimeField(
        source="redemption.created_at", read_only=True, allow_null=True
    )

    class Meta:
        model = IssuedCode
        fields = ["code", "status", "cart_id", "redeemed_at", "created_at"]
        read_only_fields = fields


class IssuedCodeListQueryIn(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["unused", "used"], required=False, help_text="Only unused or used codes."
    )
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(
        required=False, min_value=1, help_text="Default 20; more than 1,000 is capped at 1,000."
    )
