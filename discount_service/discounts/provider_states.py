"""Provider states for Pact verification (mounted only when PACT_PROVIDER_STATES=1).

Params arrive as JSON; each is validated and a bad one raises StateError (400),
never a 500, which the verifier would retry for minutes.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from discounts.domain import (
    Kind,
    Terms,
    max_redemptions_error,
    normalise_code,
    terms_errors,
)
from discounts.models import Discount, IssuedCode, Redemption
from discounts.serializers import CodeField, DiscountOut, IssuedCodeOut, SkusField
from servicekit.fields import (
    CurrencyField,
    MoneyField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictUUIDField,
)
from servicekit.provider_states import Params, ProviderStates, StateError, validated

states = ProviderStates()
# What a consumer gets when it names a state without params (documented in README);
# the cart id is cart_service's default cart.
DEFAULT_CODE = "SAVE10"
DEFAULT_CART_ID = "11111111-1111-4111-8111-111111111111"
DEFAULT_PROMOTION = "NEWSLETTER"
DEFAULT_ISSUED = ["NEWS-7K3MQ9ZD2XWA", "NEWS-2B8RJ4NCV6TE"]
# Bounds the redemption rows a state creates.
MAX_STATE_COUNT = 10_000
DISCOUNT_PARAMS = (
    "kind",
    "value",
    "currency",
    "starts_at",
    "ends_at",
    "max_redemptions",
    "times_redeemed",
    "is_active",
    "description",
    "minimum_subtotal",
    "minimum_items",
    "skus",
    "single_use_codes",
)


class _CountField(StrictIntegerField):
    """An integer up to MAX_STATE_COUNT, also written as digits ("3")."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_value=MAX_STATE_COUNT, **kwargs)

    def to_internal_value(self, data) -> int:
        if isinstance(data, str) and data.strip().isdigit():
            data = int(data)
        return super().to_internal_value(data)


class _BooleanField(StrictBooleanField):
    """true or false, also written as a string ("true", "False")."""

    def to_internal_value(self, data) -> bool:
        if isinstance(data, str) and data.lower() in ("true", "false"):
            data = data.lower() == "true"
        return super().to_internal_value(data)


class _ValueField(MoneyField):
    """Also a JSON number with a fraction: the endpoint parses JSON with plain floats."""

    def to_internal_value(self, data) -> Decimal:
        return super().to_internal_value(Decimal(repr(data)) if isinstance(data, float) else data)


class NoDiscountStateIn(serializers.Serializer):
    code = StrictCharField(default=None, allow_null=True, allow_blank=True, trim_whitespace=False)


class DiscountStateIn(serializers.Serializer):
    """Absent params take the defaults; ``validate`` fills those that depend on others."""

    code = CodeField(default=DEFAULT_CODE)
    kind = serializers.ChoiceField(choices=[k.value for k in Kind], default=Kind.PERCENT.value)
    value = _ValueField(min_value=None, default=Decimal("10.00"))
    currency = CurrencyField(required=False, allow_null=True, trim_whitespace=False)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    max_redemptions = _CountField(min_value=1, default=None, allow_null=True)
    times_redeemed = _CountField(min_value=0, default=0)
    is_active = _BooleanField(default=True)
    description = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    minimum_subtotal = _ValueField(default=None, allow_null=True)
    minimum_items = _CountField(min_value=1, default=None, allow_null=True)
    skus = SkusField(default=None, allow_null=True)
    single_use_codes = _BooleanField(default=False)

    def validate(self, attrs: dict) -> dict:
        now = timezone.now()
        # A fixed discount, or a percent one whose minimum is counted in a currency.
        counted = attrs["kind"] == Kind.FIXED or attrs["minimum_subtotal"] is not None
        attrs.setdefault("currency", settings.CURRENCIES[0] if counted else None)
        attrs.setdefault("starts_at", now - timedelta(days=1))
        # 30 days ahead (of now, or of a future start), so the window is valid.
        attrs.setdefault("ends_at", max(now, attrs["starts_at"]) + timedelta(days=30))
        attrs.setdefault("description", f"{attrs['code']} (provider state)")
        return attrs


class DiscountRedeemedStateIn(DiscountStateIn):
    cart_id = StrictUUIDField(default=uuid.UUID(DEFAULT_CART_ID))
    # Counts the cart's own redemption.
    times_redeemed = _CountField(min_value=1, default=1)

    def validate_single_use_codes(self, value: bool) -> bool:
        if value:
            raise serializers.ValidationError(
                "A single-use promotion is redeemed through its issued codes: use the state "
                "'a promotion with issued codes exists' with used_by."
            )
        return value


class PromotionStateIn(DiscountStateIn):
    """A single-use promotion; its redemptions are the codes ``used_by`` names."""

    code = CodeField(default=DEFAULT_PROMOTION)
    times_redeemed = None  # type: ignore[assignment] # counted from used_by
    single_use_codes = None  # type: ignore[assignment] # always
    codes = serializers.ListField(
        child=CodeField(), min_length=1, max_length=MAX_STATE_COUNT, default=DEFAULT_ISSUED
    )
    used_by = serializers.DictField(child=StrictUUIDField(), default=dict)

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        codes, used_by = attrs["codes"], {normalise_code(c): u for c, u in attrs["used_by"].items()}
        errors = []
        if len(set(codes)) != len(codes):
            errors.append("codes: each code once.")
        if attrs["code"] in codes:
            errors.append("codes: the promotion's own code cannot be one of its issued codes.")
        if unknown := sorted(set(used_by) - set(codes)):
            errors.append(f"used_by: not among codes: {', '.join(unknown)}.")
        if len(set(used_by.values())) != len(used_by):
            errors.append("used_by: a cart holds one use of a promotion (one code).")
        if errors:
            raise serializers.ValidationError(errors)
        attrs.update(used_by=used_by, single_use_codes=True, times_redeemed=0)
        return attrs


@states.setup("a discount exists")
def a_discount_exists(params: Params) -> dict:
    """Create (or overwrite) the discount; ``times_redeemed`` creates that many redemptions."""
    discount = _put_discount(validated(DiscountStateIn, params))
    return DiscountOut(discount).data


@states.setup("no discount exists")
def no_discount_exists(params: Params) -> dict:
    """Without ``code``, no discount at all exists afterwards; with one, the code names
    nothing (a discount's own, or an issued code)."""
    code = validated(NoDiscountStateIn, params)["code"]
    if code is not None:
        Discount.objects.filter(code=normalise_code(code)).delete()
        _remove_issued([normalise_code(code)])
    else:
        Discount.objects.all().delete()
    return {}


@states.setup("a discount is redeemed by a cart")
def a_discount_is_redeemed_by_a_cart(params: Params) -> dict:
    """The discount (defaults, or the discount params given) exists and the cart holds a use.

    With discount params, ``times_redeemed`` counts this cart's redemption too.
    """
    data = validated(DiscountRedeemedStateIn, params)
    cart_id = data["cart_id"]
    discount = Discount.objects.filter(code=data["code"]).first()
    if discount is None or any(name in params for name in DISCOUNT_PARAMS):
        discount = _put_discount({**data, "times_redeemed": data["times_redeemed"] - 1})
    if not discount.redemptions.filter(cart_id=cart_id).exists():
        if max_redemptions_error(discount.max_redemptions, discount.times_redeemed + 1):
            raise StateError(f"{discount.code} has no redemption left for cart {cart_id}.")
        Redemption.objects.create(discount=discount, cart_id=cart_id)
        discount.times_redeemed += 1
        discount.save(update_fields=["times_redeemed"])
    return {
        "discount": DiscountOut(discount).data,
        "redemption": {"code": discount.code, "cart_id": str(cart_id)},
    }


@states.setup("a promotion with issued codes exists")
def a_promotion_with_issued_codes_exists(params: Params) -> dict:
    """A single-use promotion (replacing any discount or issued code of the same codes) with
    these issued codes; each cart of ``used_by`` holds the code it names."""
    data = validated(PromotionStateIn, params)
    codes, used_by = data["codes"], data["used_by"]
    if max_redemptions_error(data["max_redemptions"], len(used_by)):
        raise StateError(f"max_redemptions ({data['max_redemptions']}) is below used_by.")
    Discount.objects.filter(code__in=codes).delete()
    _remove_issued(codes)
    promotion = _put_discount(data)
    issued = IssuedCode.objects.bulk_create(IssuedCode(discount=promotion, code=c) for c in codes)
    Redemption.objects.bulk_create(
        Redemption(discount=promotion, cart_id=used_by[code.code], issued_code=code)
        for code in issued
        if code.code in used_by
    )
    promotion.codes_issued, promotion.times_redeemed = len(codes), len(used_by)
    promotion.save(update_fields=["codes_issued", "times_redeemed"])
    listed = IssuedCode.objects.filter(discount=promotion).select_related("redemption")
    return {
        "discount": DiscountOut(promotion).data,
        "codes": IssuedCodeOut(listed.order_by("id"), many=True).data,
    }


@states.teardown_all
def teardown_all() -> None:
    Redemption.objects.all().delete()
    IssuedCode.objects.all().delete()
    Discount.objects.all().delete()


def _put_discount(data: dict) -> Discount:
    terms = ("kind", "value", "currency", "starts_at", "ends_at", "minimum_subtotal")
    errors = terms_errors(
        Terms(**{name: data[name] for name in terms}, minimum_items=data["minimum_items"])
    )
    max_redemptions, times_redeemed = data["max_redemptions"], data["times_redeemed"]
    if max_redemptions_error(max_redemptions, times_redeemed):
        errors["times_redeemed"] = [f"At most max_redemptions ({max_redemptions})."]
    if errors:
        raise StateError(f"Inconsistent discount params: {errors}")

    Discount.objects.filter(code=data["code"]).delete()
    _remove_issued([data["code"]])
    discount = Discount.objects.create(**{name: data[name] for name in ("code", *DISCOUNT_PARAMS)})
    # The invariant times_redeemed == number of redemptions holds for state data too.
    Redemption.objects.bulk_create(
        Redemption(discount=discount, cart_id=uuid.uuid4()) for _ in range(times_redeemed)
    )
    return discount


def _remove_issued(codes: list[str]) -> None:
    """Issued codes gone, with their uses; their promotions' counts stay true."""
    issued = IssuedCode.objects.filter(code__in=codes)
    promotions = list(Discount.objects.filter(issued_codes__in=issued).distinct())
    issued.delete()
    for promotion in promotions:
        promotion.times_redeemed = promotion.redemptions.count()
        promotion.codes_issued = promotion.issued_codes.count()
        promotion.save(update_fields=["times_redeemed", "codes_issued"])
