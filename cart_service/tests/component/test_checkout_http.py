"""Checkout and discounts through the API with the real clients; providers faked by `responses`."""

import json
from decimal import Decimal

import pytest
import requests
import responses

from carts.models import Cart
from servicekit.testing import assert_problem
from tests.factories import CartFactory, CartItemFactory

pytestmark = pytest.mark.django_db

DISCOUNTS = "http://127.0.0.1:8001/api/discounts"
PAYMENTS = "http://127.0.0.1:8003/api/payments/"


@pytest.fixture
def cart():
    cart = CartFactory(percent_discount=True)
    CartItemFactory(cart=cart, unit_price=Decimal("7.50"), quantity=2)
    return cart


def payment(cart, status="succeeded", amount="13.50"):
    return {
        "id": "0b6f5c1e-8a52-4d0e-9b8e-0b8f1f0c1a11",
        "reference": f"cart:{cart.id}",
        "amount": amount,
        "currency": "USD",
        "status": status,
        "decline_code": None if status == "succeeded" else "insufficient_funds",
        "created_at": "2026-11-21T10:00:00Z",
    }


def redemption(cart):
    return {"code": "SAVE10", "cart_id": str(cart.id), "created_at": "2026-11-21T10:00:00Z"}


def snapshot(cart):
    cart = Cart.objects.get(pk=cart.pk)
    return (
        cart.payment_status,
        cart.checkout_attempt,
        cart.attempt_unresolved,
        cart.discount_code,
        list(cart.items.values_list("sku", "quantity")),
    )


def test_checkout_redeems_charges_and_propagates_the_request_id(anon, cart, mocked):
    mocked.post(f"{DISCOUNTS}/SAVE10/redemptions/", json=redemption(cart), status=201)
    mocked.post(PAYMENTS, json=payment(cart), status=201)

    response = anon.post(f"/api/carts/{cart.id}/checkout/", HTTP_X_REQUEST_ID="checkout-42")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["payment_status"] == "paid"
    assert body["payment"] == {
        "id": payment(cart)["id"],
        "status": "succeeded",
        "decline_code": None,
    }
    redeem_call, charge_call = mocked.calls
    line = cart.items.get()
    assert json.loads(redeem_call.request.body) == {
        "cart_id": str(cart.id),
        "cart": {
            "currency": cart.currency,
            "items": [{"sku": line.sku, "quantity": line.quantity, "unit_price": "7.50"}],
        },
    }
    assert redeem_call.request.headers["Authorization"] == "Bearer dev-discount-service-token"
    assert json.loads(charge_call.request.body) == {
        "reference": f"cart:{cart.id}",
        "amount": "13.50",
        "currency": "USD",
    }
    assert charge_call.request.headers["Idempotency-Key"] == cart.attempt_key(1)
    assert charge_call.request.headers["Authorization"] == "Bearer dev-payment-service-token"
    assert {c.request.headers["X-Request-ID"] for c in mocked.calls} == {"checkout-42"}


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "body": "boom"},
        {"status": 503, "body": "<html>maintenance</html>", "content_type": "text/html"},
        {"body": requests.exceptions.ConnectTimeout()},
        {"body": requests.exceptions.ReadTimeout()},
        {"body": requests.exceptions.ConnectionError("Connection refused")},
    ],
)
def test_payment_failure_answers_503_keeps_the_attempt_and_the_retry_charges_once(
    anon, cart, mocked, failure
):
    mocked.post(f"{DISCOUNTS}/SAVE10/redemptions/", json=redemption(cart), status=201)
    charge = mocked.post(PAYMENTS, **failure)

    response = anon.post(f"/api/carts/{cart.id}/checkout/")

    assert_problem(response, 503, "payment_service_unavailable")
    assert charge.call_count == 3  # retried within the budget
    assert snapshot(cart)[:4] == ("pending", 1, True, "SAVE10")
    edit = anon.post(
        f"/api/carts/{cart.id}/items/",
        {"sku": "X", "name": "x", "unit_price": "1.00", "quantity": 1},
        format="json",
    )
    assert "being settled" in assert_problem(edit, 409, "cart_not_editable")["detail"]

    # when payment_service is back, the same attempt is finished with the same key and amount
    mocked.replace(responses.POST, PAYMENTS, json=payment(cart), status=201)
    response = anon.post(f"/api/carts/{cart.id}/checkout/")

    assert response.status_code == 200
    assert response.json()["payment_status"] == "paid"
    charges = [c for c in mocked.calls if c.request.url == PAYMENTS]
    assert {c.request.headers["Idempotency-Key"] for c in charges} == {cart.attempt_key(1)}
    assert {c.request.body for c in charges} == {charges[0].request.body}


@pytest.mark.parametrize(
    "body",
    ["<html>proxy error</html>", json.dumps({"id": "x"}), json.dumps({"amount": 13.5})],
)
def test_malformed_payment_answer_is_503_and_leaves_the_cart_pending(anon, cart, mocked, body):
    mocked.post(f"{DISCOUNTS}/SAVE10/redemptions/", json=redemption(cart), status=201)
    mocked.post(PAYMENTS, body=body, status=201, content_type="application/json")

    response = anon.post(f"/api/carts/{cart.id}/checkout/")

    assert_problem(response, 503, "payment_service_unavailable")
    assert snapshot(cart)[:3] == ("pending", 1, True)


def test_payment_in_use_is_retried_until_the_first_request_finishes(anon, cart, mocked):
    mocked.post(f"{DISCOUNTS}/SAVE10/redemptions/", json=redemption(cart), status=201)
    mocked.post(PAYMENTS, json={"code": "idempotency_key_in_use", "status": 409}, status=409)
    mocked.post(PAYMENTS, json=payment(cart), status=201)

    response = anon.post(f"/api/carts/{cart.id}/checkout/")

    assert response.json()["payment_status"] == "paid"
    assert len([c for c in mocked.calls if c.request.url == PAYMENTS]) == 2


def test_declined_payment_releases_the_redemption(anon, cart, mocked):
    mocked.post(f"{DISCOUNTS}/SAVE10/redemptions/", json=redemption(cart), status=201)
    mocked.post(PAYMENTS, json=payment(cart, status="declined"), status=201)
    release = mocked.delete(f"{DISCOUNTS}/SAVE10/redemptions/{cart.id}/", status=204)

    response = anon.post(f"/api/carts/{cart.id}/checkout/")

    assert response.status_code == 200
    assert response.json()["payment_status"] == "failed"
    assert response.json()["payment"]["decline_code"] == "insufficient_funds"
    assert release.call_count == 1


def test_declined_payment_with_discount_service_down_is_still_recorded(anon, cart, mocked):
    mocked.post(f"{DISCOUNTS}/SAVE10/redemptions/", json=redemption(cart), status=201)
    mocked.post(PAYMENTS, json=payment(cart, status="declined"), status=201)
    release = mocked.delete(
        f"{DISCOUNTS}/SAVE10/redemptions/{cart.id}/", body=requests.ConnectionError()
    )

    response = anon.post(f"/api/carts/{cart.id}/checkout/")

    assert response.json()["payment_status"] == "failed"
    assert release.call_count == 3


@pytest.mark.parametrize(
    ("code", "status", "answered"),
    [
        ("discount_expired", 422, "discount_expired"),
        ("discount_exhausted", 422, "discount_exhausted"),
        ("discount_inactive", 422, "discount_inactive"),
        ("discount_not_started", 422, "discount_not_found"),
        ("discount_not_found", 404, "discount_not_found"),
    ],
)
def test_refused_redemption_answers_422_and_charges_nothing(
    anon, cart, mocked, code, status, answered
):
    mocked.post(
        f"{DISCOUNTS}/SAVE10/redemptions/", json={"code": code, "status": status}, status=status
    )
    charge = mocked.post(PAYMENTS, json=payment(cart), status=201)

    response = anon.post(f"/api/carts/{cart.id}/checkout/")

    assert_problem(response, 422, answered)
    assert charge.call_count == 0
    assert snapshot(cart)[:3] == ("pending", 0, False)


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 502},
        {"body": requests.exceptions.ReadTimeout()},
        {"body": "<html/>", "status": 201},
    ],
)
def test_discount_service_down_at_checkout_is_503_and_charges_nothing(anon, cart, mocked, failure):
    redeem = mocked.post(f"{DISCOUNTS}/SAVE10/redemptions/", **failure)
    charge = mocked.post(PAYMENTS, json=payment(cart), status=201)

    response = anon.post(f"/api/carts/{cart.id}/checkout/")

    assert_problem(response, 503, "discount_service_unavailable")
    assert charge.call_count == 0
    assert redeem.call_count in (1, 3)
    assert snapshot(cart)[:3] == ("pending", 0, False)


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500},
        {"body": requests.exceptions.ConnectTimeout()},
        {"body": requests.exceptions.ConnectionError("refused")},
        {"body": "<html>hi</html>", "status": 200, "content_type": "text/html"},
        {"json": {"code": "SAVE10"}, "status": 200},
        {"status": 401, "json": {"code": "not_authenticated"}},
    ],
)
def test_applying_a_discount_while_discount_service_fails_changes_nothing(anon, mocked, failure):
    cart = CartFactory()
    CartItemFactory(cart=cart)
    mocked.post(f"{DISCOUNTS}/SAVE10/eligibility/", **failure)
    before = snapshot(cart)

    response = anon.put(f"/api/carts/{cart.id}/discount/", {"code": "SAVE10"}, format="json")

    assert_problem(response, 503, "discount_service_unavailable")
    assert snapshot(cart) == before
