"""The provider states cart_service offers (mounted only with PACT_PROVIDER_STATES=1)."""

import uuid
from decimal import Decimal

import pytest

from carts.models import Cart, CartItem
from servicekit.testing import assert_problem
from tests.factories import CartFactory, CartItemFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider_states_on")]
URL = "/_pact/provider-states"
CART_ID = "5d1c0a3e-8d4b-4b8f-9f5e-1c2d3e4f5a6b"


def state(anon, name, params=None, action=None):
    body = {"state": name, "params": params or {}}
    if action:
        body["action"] = action
    return anon.post(URL, body, format="json")


def test_a_cart_exists_defaults_to_an_empty_pending_usd_cart(anon):
    response = state(anon, "a cart exists", {"id": CART_ID})

    assert response.status_code == 200
    cart = Cart.objects.get(pk=CART_ID)
    assert (cart.currency, cart.payment_status, cart.items.count()) == ("USD", "pending", 0)
    assert anon.get(f"/api/carts/{CART_ID}/").json()["total"] == "0.00"


def test_a_cart_exists_with_items_and_currency(anon):
    items = [{"sku": "MUG-1", "name": "Mug", "unit_price": "7.50", "quantity": 2}]

    state(anon, "a cart exists", {"id": CART_ID, "currency": "EUR", "items": items})

    body = anon.get(f"/api/carts/{CART_ID}/").json()
    assert (body["currency"], body["subtotal"], body["items_number"]) == ("EUR", "15.00", 2)


def test_a_cart_exists_overwrites_an_existing_cart(anon):
    cart = CartFactory(id=uuid.UUID(CART_ID), paid=True)
    CartItemFactory(cart=cart)

    state(anon, "a cart exists", {"id": CART_ID})

    cart = Cart.objects.get(pk=CART_ID)
    assert (cart.payment_status, cart.items.count()) == ("pending", 0)


def test_no_cart_exists_removes_it(anon):
    CartFactory(id=uuid.UUID(CART_ID))

    assert state(anon, "no cart exists", {"id": CART_ID}).status_code == 200
    assert_problem(anon.get(f"/api/carts/{CART_ID}/"), 404, "cart_not_found")


def test_a_paid_cart_exists_has_an_item_and_a_succeeded_payment(anon):
    state(anon, "a paid cart exists", {"id": CART_ID})

    body = anon.get(f"/api/carts/{CART_ID}/").json()
    assert body["payment_status"] == "paid"
    assert body["payment"]["status"] == "succeeded"
    assert body["items_number"] >= 1
    assert Decimal(body["total"]) > 0


def test_states_without_params_use_the_documented_default_ids(anon):
    assert state(anon, "a cart exists").json() == {"id": "11111111-1111-4111-8111-111111111111"}
    paid = state(anon, "a paid cart exists").json()

    assert paid["id"] == "33333333-3333-4333-8333-333333333333"
    assert anon.get(f"/api/carts/{paid['id']}/").json()["payment_status"] == "paid"
    pending = anon.get("/api/carts/11111111-1111-4111-8111-111111111111/").json()
    assert pending["payment_status"] == "pending"


def test_no_cart_exists_without_an_id_removes_every_cart(anon):
    CartFactory.create_batch(2)

    assert state(anon, "no cart exists").status_code == 200
    assert Cart.objects.count() == 0


def test_two_carts_for_one_interaction_are_both_set_up(anon):
    other = "7e57ca27-0000-4000-8000-000000000002"

    state(anon, "a cart exists", {"id": CART_ID})
    state(anon, "a cart exists", {"id": other, "currency": "EUR"})

    assert set(Cart.objects.values_list("id", flat=True)) == {uuid.UUID(CART_ID), uuid.UUID(other)}


def test_teardown_deletes_every_cart(anon):
    CartItemFactory.create_batch(3)
    state(anon, "a paid cart exists", {"id": CART_ID})

    assert state(anon, "a cart exists", action="teardown").status_code == 200
    assert (Cart.objects.count(), CartItem.objects.count()) == (0, 0)


def test_unknown_state_is_400_naming_it(anon):
    response = state(anon, "a unicorn exists")

    assert "a unicorn exists" in assert_problem(response, 400, "invalid_provider_state")["detail"]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("a cart exists", {"id": "not-a-uuid"}),
        ("a cart exists", {"id": CART_ID, "currency": "XYZ"}),
        ("a cart exists", {"id": CART_ID, "items": "mug"}),
        ("a cart exists", {"id": CART_ID, "items": [{"sku": "A", "unit_price": "1.999"}]}),
        (
            "a cart exists",
            {"id": CART_ID, "items": [{"sku": "A", "unit_price": "1.00", "quantity": 0}]},
        ),
        ("no cart exists", {"id": "nope"}),
        ("a paid cart exists", {"id": 5}),
    ],
)
def test_bad_params_are_400_and_create_nothing(anon, name, params):
    assert_problem(state(anon, name, params), 400, "invalid_provider_state")
    assert Cart.objects.count() == 0


def test_a_bad_item_is_named_in_the_detail(anon):
    items = [{"sku": "A", "unit_price": "1.00"}, {"sku": "B", "unit_price": "1.00", "quantity": 0}]

    body = assert_problem(
        state(anon, "a cart exists", {"items": items}), 400, "invalid_provider_state"
    )

    assert "Param 'items[1].quantity'" in body["detail"]


@pytest.mark.usefixtures("provider_states_on")
def test_a_cart_exists_priced_or_not(anon):
    item = {"sku": "MUG-1", "name": "Mug", "unit_price": "7.00", "quantity": 2}

    anon.post(URL, {"state": "a cart exists", "params": {"items": [item]}}, format="json")
    priced = Cart.objects.get().prices_checked_at
    anon.post(
        URL,
        {"state": "a cart exists", "params": {"items": [item], "priced": False}},
        format="json",
    )

    assert priced is not None
    assert Cart.objects.get().prices_checked_at is None  # a checkout asks the catalog again
