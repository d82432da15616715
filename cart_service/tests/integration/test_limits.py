"""Resource limits (OWASP API4): lines per cart, and no unbounded wait for a row lock."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from carts.models import Cart
from servicekit.testing import assert_problem
from tests.factories import CartFactory, CartItemFactory

ITEM = {"quantity": 1}


@pytest.fixture(autouse=True)
def _sold(catalog_products):
    """The stand-in catalog sells A, B, C and S0 to S3 at 1.00."""
    for sku in ["A", "B", "C", *(f"S{i}" for i in range(4))]:
        catalog_products[sku] = {"sku": sku, "name": sku, "active": True, "prices": {"USD": "1.00"}}


@pytest.mark.django_db
def test_a_cart_is_created_with_at_most_the_configured_lines(anon, settings):
    settings.CART_MAX_LINES = 3
    items = [{**ITEM, "sku": f"S{i}"} for i in range(4)]

    body = assert_problem(
        anon.post("/api/carts/", {"currency": "USD", "items": items}, format="json"),
        400,
        "validation_error",
    )

    assert body["errors"] == {"items": ["A cart holds at most 3 lines."]}
    assert not Cart.objects.exists()


@pytest.mark.django_db
def test_lines_that_merge_count_once(anon, settings):
    settings.CART_MAX_LINES = 2
    items = [{**ITEM, "sku": "A"}, {**ITEM, "sku": "A"}]

    response = anon.post("/api/carts/", {"currency": "USD", "items": items}, format="json")

    assert response.status_code == 201
    assert response.json()["items"][0]["quantity"] == 2


@pytest.mark.django_db
def test_an_item_beyond_the_limit_is_refused_and_changes_nothing(anon, settings):
    settings.CART_MAX_LINES = 2
    cart = CartFactory()
    CartItemFactory(cart=cart, sku="A", unit_price=Decimal("1.00"))
    CartItemFactory(cart=cart, sku="B", unit_price=Decimal("1.00"))

    body = assert_problem(
        anon.post(f"/api/carts/{cart.id}/items/", {**ITEM, "sku": "C"}, format="json"),
        400,
        "validation_error",
    )

    assert body["errors"] == {"items": ["A cart holds at most 2 lines."]}
    assert cart.items.count() == 2
    # more of a line it already holds is still fine
    assert (
        anon.post(f"/api/carts/{cart.id}/items/", {**ITEM, "sku": "A"}, format="json").status_code
        == 201
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_waiting_on_a_locked_cart_answers_409_resource_busy(anon, settings):
    cart = CartFactory()
    locked, release = threading.Event(), threading.Event()

    def hold_the_row_lock():
        # Another request (or a frozen process) holding the cart's row lock.
        with transaction.atomic():
            Cart.objects.select_for_update().get(pk=cart.pk)
            locked.set()
            release.wait(timeout=30)
        connection.close()

    holder = threading.Thread(target=hold_the_row_lock)
    holder.start()
    try:
        locked.wait(timeout=10)
        with connection.cursor() as cursor:  # DB_LOCK_TIMEOUT, small for the test
            cursor.execute("SET lock_timeout = '300ms'")
        response = anon.post(f"/api/carts/{cart.id}/items/", {**ITEM, "sku": "A"}, format="json")
    finally:
        release.set()
        holder.join()

    assert_problem(response, 409, "resource_busy")
    assert response["Retry-After"] == "1"
    assert not Cart.objects.get(pk=cart.pk).items.exists()
