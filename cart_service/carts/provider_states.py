"""The provider states cart_service offers to its consumers' pacts (see docs/api.md)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from carts.models import MAX_QUANTITY, Cart, CartItem, CartRefund
from carts.states import PaymentStatus
from servicekit.fields import (
    CurrencyField,
    MoneyField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictUUIDField,
)
from servicekit.money import parse_money
from servicekit.provider_states import Params, ProviderStates, validated

states = ProviderStates()

# What a consumer gets when it names a state without params (documented in README).
DEFAULT_CART_ID = uuid.UUID("11111111-1111-4111-8111-111111111111")
DEFAULT_PAID_CART_ID = uuid.UUID("33333333-3333-4333-8333-333333333333")


class CartItemStateIn(serializers.Serializer):
    sku = StrictCharField(trim_whitespace=False)
    name = StrictCharField(required=False, trim_whitespace=False)  # defaults to the sku
    unit_price = MoneyField()
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("name", attrs["sku"])
        return attrs


class CartIdStateIn(serializers.Serializer):
    """``id`` None is the state's default cart (for "no cart exists": every cart)."""

    id = StrictUUIDField(default=None, allow_null=True)


class CartStateIn(CartIdStateIn):
    currency = CurrencyField(default="USD", trim_whitespace=False)
    items = CartItemStateIn(many=True)
    # true (the default): the items' prices were confirmed by the catalog just now; false:
    # longer ago than CART_PRICE_MAX_AGE, so a checkout asks the catalog again.
    priced = StrictBooleanField(default=True)


def _cart_params(params: Params) -> dict:
    # No items (null, "", []) is an empty cart.
    return validated(CartStateIn, {**params, "items": params.get("items") or []})


def _fresh_cart(
    cart_id: uuid.UUID, currency: str, items: list[dict], *, priced: bool = True, **fields
) -> Cart:
    CartRefund.objects.filter(cart_id=cart_id).delete()
    Cart.objects.filter(pk=cart_id).delete()
    cart = Cart.objects.create(
        id=cart_id,
        currency=currency,
        prices_checked_at=timezone.now() if priced else None,
        **fields,
    )
    CartItem.objects.bulk_create(CartItem(cart=cart, **item) for item in items)
    return cart


@states.setup("a cart exists")
def a_cart_exists(params: Params) -> dict:
    data = _cart_params(params)
    cart = _fresh_cart(
        data["id"] or DEFAULT_CART_ID, data["currency"], data["items"], priced=data["priced"]
    )
    # The first item's id (by sku) lets a consumer address an item the state created.
    first = cart.items.order_by("sku").first()
    return {"id": str(cart.id), **({"item_id": str(first.id)} if first else {})}


@states.setup("no cart exists")
def no_cart_exists(params: Params) -> dict:
    """Without ``id``, no cart at all exists afterwards."""
    cart_id = validated(CartIdStateIn, params)["id"]
    if cart_id is None:
        CartRefund.objects.all().delete()
        Cart.objects.all().delete()
        return {}
    CartRefund.objects.filter(cart_id=cart_id).delete()
    Cart.objects.filter(pk=cart_id).delete()
    return {"id": str(cart_id)}


class PaidCartStateIn(CartStateIn):
    # Given: one succeeded partial refund of this much (an operator's, already settled).
    refunded = MoneyField(min_value=Decimal("0"), exclusive_min=True, required=False)


@states.setup("a paid cart exists")
def a_paid_cart_exists(params: Params) -> dict:
    data = validated(PaidCartStateIn, {**params, "items": params.get("items") or []})
    cart_id = data["id"] or DEFAULT_PAID_CART_ID
    items = data["items"] or [
        {"sku": "MUG-1", "name": "Mug", "unit_price": parse_money("7.50"), "quantity": 2}
    ]
    cart = _fresh_cart(
        cart_id,
        data["currency"],
        items,
        payment_status=PaymentStatus.PAID,
        checkout_attempt=1,
        last_payment_id=str(uuid.uuid5(cart_id, "payment")),
        last_payment_status="succeeded",
        amount_refunded=data.get("refunded") or Decimal("0.00"),
    )
    if "refunded" in data:
        CartRefund.objects.create(
            cart=cart,
            number=1,
            kind=CartRefund.Kind.PARTIAL,
            amount=data["refunded"],
            reason="a refund made before",
            status=CartRefund.Status.SUCCEEDED,
            payment_refund_id=str(uuid.uuid5(cart_id, "refund")),
            settled_at=timezone.now(),
        )
    return {"id": str(cart.id), "payment_id": cart.last_payment_id}


@states.teardown_all
def teardown_all() -> None:
    CartRefund.objects.all().delete()  # a refund keeps its cart (PROTECT): gone first
    Cart.objects.all().delete()  # items go with their carts (CASCADE)
