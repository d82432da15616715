"""Provider states for Pact verification (mounted only when PACT_PROVIDER_STATES=1).

Params arrive as JSON; each is validated and a bad one raises StateError (400),
never a 500, which the verifier would retry for minutes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from discounts.domain import (
    CODE_RULE,
    Kind,
    Terms,
    is_valid_code,
    max_redemptions_error,
    normalise_code,
    terms_errors,
)
from discounts.models import Discount, Redemption
from discounts.serializers import DiscountOut
from servicekit.ids import parse_uuid
from servicekit.money import MoneyError, parse_money
from servicekit.provider_states import Params, ProviderStates, StateError

states = ProviderStates()
# What a consumer gets when it names a state without params (documented in README);
# the cart id is cart_service's default cart.
DEFAULT_CODE = "SAVE10"
DEFAULT_CART_ID = "11111111-1111-4111-8111-111111111111"
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
)


@states.setup("a discount exists")
def a_discount_exists(params: Params) -> dict:
    """Create (or overwrite) the discount; ``times_redeemed`` creates that many redemptions."""
    discount = _put_discount(params)
    return DiscountOut(discount).data


@states.setup("no discount exists")
def no_discount_exists(params: Params) -> dict:
    """Without ``code``, no discount at all exists afterwards."""
    if "code" in params and params["code"] is not None:
        Discount.objects.filter(code=_code(params["code"], check=False)).delete()
    else:
        Discount.objects.all().delete()
    return {}


@states.setup("a discount is redeemed by a cart")
def a_discount_is_redeemed_by_a_cart(params: Params) -> dict:
    """The discount (defaults, or the discount params given) exists and the cart holds a use.

    With discount params, ``times_redeemed`` counts this cart's redemption too.
    """
    cart_id = _uuid(params.get("cart_id", DEFAULT_CART_ID), "cart_id")
    code = _code(params.get("code", DEFAULT_CODE))
    discount = Discount.objects.filter(code=code).first()
    if discount is None or any(name in params for name in DISCOUNT_PARAMS):
        others = _int(params.get("times_redeemed", 1), "times_redeemed", minimum=1) - 1
        discount = _put_discount({**params, "times_redeemed": others})
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


@states.teardown_all
def teardown_all() -> None:
    Redemption.objects.all().delete()
    Discount.objects.all().delete()


def _put_discount(params: Params) -> Discount:
    code = _code(params.get("code", DEFAULT_CODE))
    now = timezone.now()
    kind = params.get("kind", Kind.PERCENT.value)
    if kind not in {k.value for k in Kind}:
        raise StateError(f"Param 'kind' must be 'percent' or 'fixed', not {kind!r}.")
    value = _money(params.get("value", "10.00"))
    default_currency = settings.CURRENCIES[0] if kind == Kind.FIXED else None
    currency = params.get("currency", default_currency)
    if currency is not None and currency not in settings.CURRENCIES:
        raise StateError(
            f"Param 'currency' must be one of {settings.CURRENCIES}, not {currency!r}."
        )
    starts_at = _datetime(params.get("starts_at", now - timedelta(days=1)), "starts_at")
    # Defaults to 30 days ahead (of now, or of a future start), so the window is valid.
    ends_at = params.get("ends_at", max(now, starts_at) + timedelta(days=30))
    ends_at = None if ends_at is None else _datetime(ends_at, "ends_at")
    max_redemptions = params.get("max_redemptions")
    if max_redemptions is not None:
        max_redemptions = _int(max_redemptions, "max_redemptions", minimum=1)
    times_redeemed = _int(params.get("times_redeemed", 0), "times_redeemed", minimum=0)
    is_active = _bool(params.get("is_active", True), "is_active")
    description = params.get("description", f"{code} (provider state)")
    if not isinstance(description, str):
        raise StateError("Param 'description' must be a string.")

    errors = terms_errors(
        Terms(kind=kind, value=value, currency=currency, starts_at=starts_at, ends_at=ends_at)
    )
    if max_redemptions_error(max_redemptions, times_redeemed):
        errors["times_redeemed"] = [f"At most max_redemptions ({max_redemptions})."]
    if errors:
        raise StateError(f"Inconsistent discount params: {errors}")

    Discount.objects.filter(code=code).delete()
    discount = Discount.objects.create(
        code=code,
        kind=kind,
        value=value,
        currency=currency,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        max_redemptions=max_redemptions,
        times_redeemed=times_redeemed,
        is_active=is_active,
    )
    # The invariant times_redeemed == number of redemptions holds for state data too.
    Redemption.objects.bulk_create(
        Redemption(discount=discount, cart_id=uuid.uuid4()) for _ in range(times_redeemed)
    )
    return discount


def _code(raw: Any, *, check: bool = True) -> str:
    if not isinstance(raw, str):
        raise StateError("Param 'code' must be a string.")
    code = normalise_code(raw)
    if check and not is_valid_code(code):
        raise StateError(f"Param 'code' {raw!r} is not a valid code: {CODE_RULE}")
    return code


def _money(raw: Any) -> Decimal:
    if isinstance(raw, float):  # the endpoint parses JSON with plain floats
        raw = Decimal(repr(raw))
    try:
        return parse_money(raw)
    except MoneyError as exc:
        raise StateError(f"Param 'value' {raw!r}: {exc}") from None


def _datetime(raw: Any, name: str) -> datetime:
    if isinstance(raw, datetime):
        return raw
    parsed = None
    if isinstance(raw, str):
        try:
            parsed = parse_datetime(raw)
        except ValueError:
            parsed = None
    if parsed is None:
        raise StateError(f"Param {name!r} must be an ISO 8601 timestamp, not {raw!r}.")
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _int(raw: Any, name: str, *, minimum: int) -> int:
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < minimum or raw > MAX_STATE_COUNT:
        raise StateError(f"Param {name!r} must be an integer from {minimum}, not {raw!r}.")
    return raw


def _bool(raw: Any, name: str) -> bool:
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if not isinstance(raw, bool):
        raise StateError(f"Param {name!r} must be true or false, not {raw!r}.")
    return raw


def _uuid(raw: Any, name: str) -> uuid.UUID:
    value = parse_uuid(raw) if isinstance(raw, str) else None
    if value is None:
        raise StateError(f"Param {name!r} must be a UUID, not {raw!r}.")
    return value
