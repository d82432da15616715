"""SQL statements per request on every endpoint of the checkout flow, pinned.

A cart is read once per request and written in one short transaction; a change that
adds a query to the hot path fails here (bench/run.py shows what each one costs).
"""

import pytest
import responses

from servicekit.testing import statements
from tests.fakes import succeeded_payment_answer

pytestmark = pytest.mark.django_db

DISCOUNTS = "http://127.0.0.1:8001/api/discounts"
PAYMENTS = "http://127.0.0.1:8003/api/payments/"
ITEM = {"sku": "MUG-1", "name": "Mug", "unit_price": "7.50", "quantity": 2}


@pytest.fixture
def providers(mocked):
    mocked.post(
        f"{DISCOUNTS}/SAVE10/eligibility/",
        json={
            "code": "SAVE10",
            "kind": "percent",
            "value": "10.00",
            "currency": None,
            "status": "active",
        },
    )
    mocked.post(
        f"{DISCOUNTS}/SAVE10/redemptions/",
        status=201,
        json={"code": "SAVE10", "cart_id": "x", "created_at": "2026-01-01T00:00:00Z"},
    )
    mocked.add_callback(responses.POST, PAYMENTS, callback=succeeded_payment_answer)
    return mocked


def test_creating_a_cart_with_items(anon, django_assert_num_queries):
    # count the creation per address (one upsert, in autocommit, before the transaction);
    # INSERT the cart, INSERT its items (one statement for all), in one transaction
    with django_assert_num_queries(statements(3, transactions=1)):
        response = anon.post(
            "/api/carts/", {"currency": "USD", "items": [ITEM, ITEM]}, format="json"
        )
    assert response.status_code == 201


def test_reading_a_cart(anon, cart, django_assert_num_queries):
    with django_assert_num_queries(statements(2)):  # the cart, its items
        assert anon.get(f"/api/carts/{cart.id}/").status_code == 200


def test_adding_an_item(anon, cart, django_assert_num_queries):
    # the cart (refuse early, before asking the catalog); lock the cart, read its items,
    # INSERT the item, touch the cart
    with django_assert_num_queries(statements(5, transactions=1)):
        response = anon.post(
            f"/api/carts/{cart.id}/items/", {**ITEM, "sku": "MUG-1"}, format="json"
        )
    assert response.status_code == 201


def test_changing_a_quantity(anon, cart, django_assert_num_queries):
    item = cart.items.get()
    with django_assert_num_queries(statements(4, transactions=1)):
        response = anon.patch(
            f"/api/carts/{cart.id}/items/{item.id}/", {"quantity": 3}, format="json"
        )
    assert response.status_code == 200


def test_applying_a_code(anon, cart, providers, django_assert_num_queries):
    # the throttle's counters, the cart (refuse early), one conditional UPDATE (no lock, no
    # transaction: nothing is held), and the items
    with django_assert_num_queries(statements(4)):
        response = anon.put(f"/api/carts/{cart.id}/discount/", {"code": "SAVE10"}, format="json")
    assert response.status_code == 200


def test_replacing_a_held_code_locks_the_cart(anon, cart, providers, django_assert_num_queries):
    cart.discount_code, cart.redemption_held = "OLD10", True  # a checkout may hold OLD10
    cart.save()

    # the throttle, the cart and its items (the lines the code is checked against); under
    # the lock: the row, the owed release, the UPDATE; the release given back (its row read,
    # claimed, deleted; under the lock, the flag cleared); then the items as they are now
    mocked = providers
    mocked.delete(f"{DISCOUNTS}/OLD10/redemptions/{cart.id}/", status=204)
    with django_assert_num_queries(statements(12, transactions=2)):
        response = anon.put(f"/api/carts/{cart.id}/discount/", {"code": "SAVE10"}, format="json")
    assert response.status_code == 200


def test_checking_out(anon, cart, providers, django_assert_num_queries):
    anon.put(f"/api/carts/{cart.id}/discount/", {"code": "SAVE10"}, format="json")

    # the throttle's counters (checkouts that charged nothing); the cart with "has items";
    # its items (the lines the redemption is checked against); "a use may be held" written
    # ahead of the redemption (so a crash during that call leaves a trace for the
    # reconciler); begin: lock, items (the same lines?), UPDATE; settle: one conditional
    # UPDATE
    with django_assert_num_queries(statements(8, transactions=1)):
        response = anon.post(f"/api/carts/{cart.id}/checkout/")
    assert response.json()["payment_status"] == "paid"


def test_checking_out_a_paid_cart_again(anon, cart, providers, django_assert_num_queries):
    anon.post(f"/api/carts/{cart.id}/checkout/")

    # the throttle's counters, the cart, its items: nothing else
    with django_assert_num_queries(statements(3)):
        response = anon.post(f"/api/carts/{cart.id}/checkout/")
    assert response.json()["payment_status"] == "paid"
