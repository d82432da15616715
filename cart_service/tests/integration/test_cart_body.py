"""The cart body is its declared fields (CartOut, rendered by servicekit.perf.drf.FieldsOnceMixin).

It used to be built by hand; ``hand_built`` below is that code, kept as the reference: the
declared fields must give the same body, key for key and in the same order, for carts in
every state a client sees. And the fields built once give what DRF's own rendering of the
same fields gives.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from rest_framework import serializers

from carts.models import PaymentStatus
from carts.serializers import CartOut
from servicekit.money import format_money
from tests.factories import CartFactory, CartItemFactory

_DATETIME = serializers.DateTimeField()


def hand_built(cart) -> dict:
    """The cart body as it was built by hand (before the declared fields rendered it)."""
    totals = cart.totals()
    discount = cart.discount
    return {
        "id": str(cart.id),
        "currency": cart.currency,
        "items": [
            {
                "id": str(item.id),
                "sku": item.sku,
                "name": item.name,
                "unit_price": format_money(item.unit_price),
                "quantity": item.quantity,
                "line_total": format_money(item.line_total),
                "discounted": discount is not None and discount.covers(item),
            }
            for item in cart.lines
        ],
        "items_number": totals.items_number,
        "subtotal": format_money(totals.subtotal),
        "discount": {
            "code": cart.discount_code,
            "kind": discount.kind,
            "value": format_money(discount.value),
            "skus": cart.discount_skus,
        }
        if discount
        else None,
        "amount_discounted": format_money(totals.amount_discounted),
        "total": format_money(totals.total),
        "payment_status": cart.payment_status,
        "payment": {
            "id": cart.last_payment_id,
            "status": cart.last_payment_status,
            "decline_code": cart.last_payment_decline_code or None,
        }
        if cart.last_payment_id
        else None,
        "amount_refunded": format_money(cart.amount_refunded),
        "created_at": _DATETIME.to_representation(cart.created_at),
        "updated_at": _DATETIME.to_representation(cart.updated_at),
    }


def _cart(state: str):
    if state == "empty":
        return CartFactory()
    traits = {
        "two items, percent code": {"percent_discount": True},
        "fixed code, paid": {"fixed_discount": True, "paid": True},
        "declined": {
            "payment_status": PaymentStatus.FAILED,
            "last_payment_id": "2c1d9f0e-1111-4a6b-8c1e-5f2a3b4c5d6e",
            "last_payment_status": "declined",
            "last_payment_decline_code": "insufficient_funds",
        },
        "a code over the subtotal": {
            "discount_code": "BIG",
            "discount_kind": "fixed",
            "discount_value": Decimal("500.00"),
            "discount_currency": "USD",
        },
    }[state]
    cart = CartFactory(**traits)
    CartItemFactory(cart=cart, unit_price=Decimal("7.50"), quantity=2)
    CartItemFactory(cart=cart, unit_price=Decimal("0.99"), quantity=3)
    return cart


STATES = [
    "empty",
    "two items, percent code",
    "fixed code, paid",
    "declined",
    "a code over the subtotal",
]


def _json(body) -> str:
    return json.dumps(body, cls=DjangoJSONEncoder)


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_the_declared_body_is_the_hand_built_one(state, zone):
    cart = _cart(state)
    with timezone.override(zone):  # DRF writes datetimes in the current time zone
        assert _json(CartOut(cart).data) == _json(hand_built(cart))  # same keys, order, values


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
def test_fields_built_once_give_what_drf_gives(state):
    cart = _cart(state)
    by_drf = serializers.ModelSerializer.to_representation(CartOut(cart), cart)

    assert _json(CartOut(cart).data) == _json(by_drf)
