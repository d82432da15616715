"""Business flows a client could abuse, limited (issue 23): card testing through checkouts
that charge nothing, and cart flooding. Counted per address and per cart, shared by workers.
"""

import json
import uuid
from decimal import Decimal

import pytest

from carts.models import Cart
from servicekit.testing import assert_problem
from tests.factories import CartFactory, CartItemFactory

pytestmark = pytest.mark.django_db

PAYMENTS = "http://127.0.0.1:8003/api/payments/"
LIMIT = Decimal("20.00")  # payment_service approves amounts below it


def _payment(request):
    body = json.loads(request.body)
    approved = Decimal(body["amount"]) < LIMIT
    payment = {
        "id": str(uuid.uuid4()),
        "reference": body["reference"],
        "amount": body["amount"],
        "currency": body["currency"],
        "status": "succeeded" if approved else "declined",
        "decline_code": None if approved else "insufficient_funds",
        "created_at": "2026-11-21T10:00:00Z",
    }
    return 201, {}, json.dumps(payment)


@pytest.fixture
def payment_service(mocked):
    mocked.add_callback("POST", PAYMENTS, callback=_payment)
    return mocked


@pytest.fixture
def limits(settings):
    settings.CART_CHECKOUT_ATTEMPTS_PER_CART = (2, 3600)
    settings.CART_CHECKOUT_ATTEMPTS_PER_ADDRESS = (4, 3600)
    settings.CART_CREATES_PER_ADDRESS = (3, 60)


def a_cart(price="25.00"):
    cart = CartFactory()
    item = CartItemFactory(cart=cart, unit_price=Decimal(price), quantity=1)
    return cart, item


def check_out(anon, cart_id, address="127.0.0.1"):
    return anon.post(f"/api/carts/{cart_id}/checkout/", REMOTE_ADDR=address)


def charges(mocked) -> int:
    return sum(1 for call in mocked.calls if call.request.method == "POST")


def test_declined_checkouts_of_one_cart_are_limited_before_payment_service_is_asked(
    anon, payment_service, limits
):
    # Found from outside: 30 checkouts of one 25.00 cart in 0.24 s made 30 declined payments.
    cart, _ = a_cart("25.00")
    for address in ("127.0.0.1", "127.0.0.2"):
        assert check_out(anon, cart.id, address).json()["payment_status"] == "failed"

    response = check_out(anon, cart.id, "127.0.0.3")  # another address: the cart counts

    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 3600
    assert charges(payment_service) == 2


def test_a_shopper_who_fixes_a_declined_cart_can_still_pay(anon, payment_service, limits):
    cart, item = a_cart("25.00")
    assert check_out(anon, cart.id).json()["payment_status"] == "failed"

    anon.patch(f"/api/carts/{cart.id}/items/{item.id}/", {"quantity": 1}, format="json")
    item.unit_price = Decimal("5.00")
    item.save()  # the shopper swapped the item for a cheaper one
    paid = check_out(anon, cart.id)

    assert paid.json()["payment_status"] == "paid"
    # Paying counts nothing: a paid cart's checkout keeps answering it.
    assert all(check_out(anon, cart.id).status_code == 200 for _ in range(3))


def test_declined_checkouts_from_one_address_are_limited_across_carts(
    anon, payment_service, limits
):
    for _ in range(4):
        cart, _ = a_cart("25.00")
        assert check_out(anon, cart.id).json()["payment_status"] == "failed"

    fresh, _ = a_cart("5.00")
    assert_problem(check_out(anon, fresh.id), 429, "throttled")
    assert check_out(anon, fresh.id, address="127.0.0.9").json()["payment_status"] == "paid"
    assert charges(payment_service) == 5


def test_a_throttled_cart_is_counted_however_its_id_is_spelled(anon, payment_service, limits):
    cart, _ = a_cart("25.00")
    check_out(anon, cart.id)
    check_out(anon, cart.id, "127.0.0.2")

    for spelling in (cart.id.hex, f"{{{cart.id}}}", f"urn:uuid:{cart.id}", str(cart.id).upper()):
        assert_problem(check_out(anon, spelling, "127.0.0.3"), 429, "throttled")
    assert charges(payment_service) == 2


def test_carts_created_from_one_address_are_limited(anon, limits):
    body = {"currency": "USD"}
    for _ in range(3):
        assert anon.post("/api/carts/", body, format="json").status_code == 201

    response = anon.post("/api/carts/", body, format="json")

    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    assert Cart.objects.count() == 3  # nothing created past the limit
    other = anon.post("/api/carts/", body, format="json", REMOTE_ADDR="127.0.0.2")
    assert other.status_code == 201


def test_listing_carts_is_not_counted_as_creating(admin, limits):
    assert all(admin.get("/api/carts/").status_code == 200 for _ in range(5))
    assert admin.post("/api/carts/", {"currency": "USD"}, format="json").status_code == 201


def test_ended_windows_are_deleted_when_the_cleanup_is_due(anon, limits, monkeypatch):
    from django.db import connection

    from carts import throttle

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO carts_throttle_counts (bucket, window_start, hits) VALUES (%s, %s, 1)",
            ["create-address:10.0.0.1", 0],  # a window that ended long ago
        )
    monkeypatch.setattr(throttle, "_last_cleanup", 0.0)

    anon.post("/api/carts/", {"currency": "USD"}, format="json")

    with connection.cursor() as cursor:
        cursor.execute("SELECT bucket FROM carts_throttle_counts")
        assert [row[0] for row in cursor.fetchall()] == ["create-address:127.0.0.1"]
