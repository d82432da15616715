"""The provider states cart_service offers to its consumers' pacts (see docs/api.md)."""

from __future__ import annotations

import uuid

from django.conf import settings

from carts.models import MAX_QUANTITY, Cart, CartItem, PaymentStatus
from servicekit.ids import parse_uuid
from servicekit.money import MoneyError, parse_money
from servicekit.provider_states import Params, ProviderStates, StateError

states = ProviderStates()

# What a consumer gets when it names a state without params (documented in README).
DEFAULT_CART_ID = uuid.UUID("11111111-1111-4111-8111-111111111111")
DEFAULT_PAID_CART_ID = uuid.UUID("33333333-3333-4333-8333-333333333333")


def _cart_id(params: Params, default: uuid.UUID) -> uuid.UUID:
    raw = params.get("id")
    if raw is None:
        return default
    cart_id = parse_uuid(raw)
    if cart_id is None:
        raise StateError(f"Param 'id' must be a UUID, got {raw!r}.")
    return cart_id


def _currency(params: Params) -> str:
    currency = params.get("currency", "USD")
    if currency not in settings.CURRENCIES:
        raise StateError(
            f"Param 'currency' must be one of {settings.CURRENCIES}, got {currency!r}."
        )
    return currency


def _items(params: Params) -> list[dict]:
    raw = params.get("items") or []
    if not isinstance(raw, list):
        raise StateError("Param 'items' must be a list of {sku, name, unit_price, quantity}.")
    items = []
    for n, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise StateError(f"items[{n}] must be an object.")
        sku, name = entry.get("sku"), entry.get("name", entry.get("sku"))
        if not isinstance(sku, str) or not sku or not isinstance(name, str) or not name:
            raise StateError(f"items[{n}] needs a non-empty 'sku' and 'name'.")
        try:
            unit_price = parse_money(entry.get("unit_price"))
        except MoneyError as exc:
            raise StateError(f"items[{n}].unit_price: {exc}") from None
        if unit_price < 0:
            raise StateError(f"items[{n}].unit_price must not be negative.")
        quantity = entry.get("quantity", 1)
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not 1 <= quantity <= MAX_QUANTITY
        ):
            raise StateError(f"items[{n}].quantity must be an integer 1-{MAX_QUANTITY}.")
        items.append({"sku": sku, "name": name, "unit_price": unit_price, "quantity": quantity})
    return items


def _fresh_cart(cart_id: uuid.UUID, currency: str, items: list[dict], **fields) -> Cart:
    Cart.objects.filter(pk=cart_id).delete()
    cart = Cart.objects.create(id=cart_id, currency=currency, **fields)
    CartItem.objects.bulk_create(CartItem(cart=cart, **item) for item in items)
    return cart


@states.setup("a cart exists")
def a_cart_exists(params: Params) -> dict:
    cart = _fresh_cart(_cart_id(params, DEFAULT_CART_ID), _currency(params), _items(params))
    # The first item's id (by sku) lets a consumer address an item the state created.
    first = cart.items.order_by("sku").first()
    return {"id": str(cart.id), **({"item_id": str(first.id)} if first else {})}


@states.setup("no cart exists")
def no_cart_exists(params: Params) -> dict:
    """Without ``id``, no cart at all exists afterwards."""
    if params.get("id") is None:
        Cart.objects.all().delete()
        return {}
    cart_id = _cart_id(params, DEFAULT_CART_ID)
    Cart.objects.filter(pk=cart_id).delete()
    return {"id": str(cart_id)}


@states.setup("a paid cart exists")
def a_paid_cart_exists(params: Params) -> dict:
    cart_id = _cart_id(params, DEFAULT_PAID_CART_ID)
    items = _items(params) or [
        {"sku": "MUG-1", "name": "Mug", "unit_price": parse_money("7.50"), "quantity": 2}
    ]
    cart = _fresh_cart(
        cart_id,
        _currency(params),
        items,
        payment_status=PaymentStatus.PAID,
        checkout_attempt=1,
        last_payment_id=str(uuid.uuid5(cart_id, "payment")),
        last_payment_status="succeeded",
    )
    return {"id": str(cart.id), "payment_id": cart.last_payment_id}


@states.teardown_all
def teardown_all() -> None:
    Cart.objects.all().delete()  # items go with their carts (CASCADE)
