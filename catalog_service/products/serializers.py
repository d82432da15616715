"""Request and response bodies of the product API."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from rest_framework import serializers

from products.domain import (
    NAME_MAX_LENGTH,
    SKU_RULE,
    batch_size_problem,
    repeated_skus,
)
from products.models import Product
from servicekit.drf import RefusedFieldsMixin
from servicekit.fields import MoneyField, SkuField, StrictBooleanField, StrictCharField
from servicekit.perf.drf import FieldsOnceMixin, InputFieldsOnceMixin

PRICES_HELP = (
    "The price per currency code it is sold in (codes from the CURRENCIES setting), each a "
    "money string with two decimals, at least 0.00. A currency left out: not sold in it."
)


class PricesField(serializers.DictField):
    """An object of money strings keyed by configured currency codes, read into Decimals."""

    child = MoneyField()

    def to_internal_value(self, data) -> dict[str, Decimal]:
        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        errors: dict[str, list[str]] = {
            str(key): [
                f"Unsupported currency {key!r}; use one of {', '.join(settings.CURRENCIES)}."
            ]
            for key in data
            if key not in settings.CURRENCIES
        }
        try:
            prices = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {}
            errors = {**detail, **errors}  # type: ignore[dict-item] # DRF's error details
            prices = {}
        if errors:
            raise serializers.ValidationError(errors)
        return dict(sorted(prices.items()))


class SkuListField(serializers.ListField):
    """The repeated ``sku`` query parameter of a batch read: at most MAX_BATCH_SKUS valid
    skus, each once after normalisation. Every problem is reported under ``sku``."""

    child = SkuField()

    def to_internal_value(self, data) -> list[str]:
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        if (problem := batch_size_problem(len(data))) is not None:
            raise serializers.ValidationError(problem)
        skus, bad = [], []
        for raw in data:
            try:
                skus.append(self.child.run_validation(raw))
            except serializers.ValidationError as exc:
                text = str(raw)
                shown = text if len(text) <= 40 else text[:40] + "..."
                detail = exc.detail[0] if isinstance(exc.detail, list) else exc.detail
                bad.append(f"{shown!r}: {detail}")
        if bad:
            raise serializers.ValidationError(bad)
        if repeated := repeated_skus(skus):
            raise serializers.ValidationError(f"Each sku once; repeated: {', '.join(repeated)}.")
        return skus


class ProductOut(FieldsOnceMixin, serializers.ModelSerializer):
    prices = PricesField(source="price_map", read_only=True, help_text=PRICES_HELP)

    class Meta:
        model = Product
        fields = ["sku", "name", "active", "prices", "created_at", "updated_at"]
        read_only_fields = fields


class ProductCreateIn(serializers.Serializer):
    sku = SkuField(help_text=f"Trimmed and upper-cased, then {SKU_RULE} Unique.")
    name = StrictCharField(max_length=NAME_MAX_LENGTH)
    active = StrictBooleanField(required=False, default=True)
    prices = PricesField(required=False, default=dict, help_text=PRICES_HELP)


class ProductUpdateIn(RefusedFieldsMixin, serializers.Serializer):
    refused_fields = ("sku", "created_at", "updated_at")

    name = StrictCharField(max_length=NAME_MAX_LENGTH, required=False)
    active = StrictBooleanField(required=False, help_text="false deactivates it.")
    prices = PricesField(
        required=False, help_text=PRICES_HELP + " Replaces the whole map: send every price."
    )


class ProductListQueryIn(InputFieldsOnceMixin, serializers.Serializer):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        trim_whitespace=False,
        help_text="A sku prefix or a part of the name, case-insensitive.",
    )
    active = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="Only active (true) or inactive (false) products.",
    )
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(
        required=False, min_value=1, help_text="Default 20; more than 100 is capped at 100."
    )
    sku = SkuListField(
        required=False,
        help_text="A batch read: repeat it (`?sku=MUG-1&sku=TV-65`) for up to 100 skus, "
        "normalised, each once. Every product found is in the one answer (no paging), by "
        "sku; unknown skus are absent. Not combined with the other parameters.",
    )

    def validate_active(self, value: str) -> bool:
        return value == "true"

    def validate(self, attrs: dict) -> dict:
        if "sku" in attrs:
            others = [name for name in ("search", "active", "page", "page_size") if name in attrs]
            if others:
                raise serializers.ValidationError(
                    {
                        name: ["Not combined with sku: a batch read is not filtered or paged."]
                        for name in others
                    }
                )
        return attrs
