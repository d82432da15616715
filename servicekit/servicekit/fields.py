"""DRF fields for the API conventions: money as two-decimal strings, configured currencies."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from rest_framework import serializers

from servicekit.money import MoneyError, format_money, parse_money
from servicekit.skus import SKU_RULE, is_valid_sku, normalise_sku


class MoneyField(serializers.Field):
    """Reads a string or a JSON number with at most two decimals; writes "12.50".

    ``min_value``/``max_value`` bound the amount; ``exclusive_min`` makes the
    minimum itself invalid (``amount must be > 0``).
    """

    def __init__(
        self,
        *,
        min_value: Decimal | None = Decimal("0"),
        exclusive_min: bool = False,
        max_value: Decimal | None = None,
        **kwargs,
    ) -> None:
        self.min_value = None if min_value is None else Decimal(min_value)
        self.max_value = None if max_value is None else Decimal(max_value)
        self.exclusive_min = exclusive_min
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal:
        try:
            amount = parse_money(data)
        except MoneyError as exc:
            raise serializers.ValidationError(str(exc)) from None
        if self.min_value is not None:
            if self.exclusive_min and amount <= self.min_value:
                raise serializers.ValidationError(
                    f"Must be greater than {format_money(self.min_value)}."
                )
            if amount < self.min_value:
                raise serializers.ValidationError(
                    f"Must be at least {format_money(self.min_value)}."
                )
        if self.max_value is not None and amount > self.max_value:
            raise serializers.ValidationError(f"Must be at most {format_money(self.max_value)}.")
        return amount

    def to_representation(self, value: Decimal) -> str:
        return format_money(Decimal(value))


class CurrencyField(serializers.CharField):
    """An ISO 4217 upper-case code from ``settings.CURRENCIES``."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError('Enter a currency code such as "USD".')
        value = super().to_internal_value(data)
        if value not in settings.CURRENCIES:
            raise serializers.ValidationError(
                f"Unsupported currency {value!r}; use one of {', '.join(settings.CURRENCIES)}."
            )
        return value


# drf-spectacular: document money as a pattern-constrained string.
try:
    from drf_spectacular.extensions import OpenApiSerializerFieldExtension

    class MoneyFieldSchema(OpenApiSerializerFieldExtension):
        target_class = MoneyField

        def map_serializer_field(self, auto_schema, direction):
            return {"type": "string", "pattern": r"^\d+\.\d{2}$", "example": "12.50"}

    class CurrencyFieldSchema(OpenApiSerializerFieldExtension):
        target_class = CurrencyField

        def map_serializer_field(self, auto_schema, direction):
            return {"type": "string", "enum": list(settings.CURRENCIES), "example": "USD"}
except ImportError:  # pragma: no cover - drf-spectacular is a dependency
    pass


class StrictCharField(serializers.CharField):
    """A string, and only a string (DRF's CharField would turn 123 into "123")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictUUIDField(serializers.UUIDField):
    """A UUID written as a string (DRF's UUIDField would also take an integer)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer; no strings, booleans or fractions."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false; no "yes", 1 or "true"."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class SkuField(StrictCharField):
    """A product sku, normalised as the catalog keeps it (``servicekit.skus``), then checked."""

    def __init__(self, **kwargs):
        # Longer than any sku, so a long one is refused by the rule, which names the limit.
        kwargs.setdefault("max_length", 200)
        # normalise_sku trims; DRF's trim would also drop Unicode spaces (U+00A0 ...).
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        sku = normalise_sku(super().to_internal_value(data))
        if not is_valid_sku(sku):
            raise serializers.ValidationError(f"A sku is {SKU_RULE}")
        return sku
