"""Journeys 6-8: auth, request ids across services, and faults with real processes."""

from __future__ import annotations

import uuid

import pytest
import requests

from e2e.waiting import InBackground, until
from harness.api_client import ApiError
from harness.tokens import TOKENS


@pytest.mark.parametrize(
    ("service", "method", "path"),
    [
        ("discount", "GET", "/api/discounts/"),
        ("discount", "POST", "/api/discounts/"),
        ("discount", "POST", "/api/discounts/ANY/redemptions/"),
        ("payment", "GET", "/api/payments/?reference=x"),
        ("payment", "POST", "/api/payments/"),
        ("cart", "GET", "/api/carts/"),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic abc"])
def test_admin_and_service_endpoints_refuse_missing_and_wrong_tokens(
    urls, service, method, path, authorization
):
    headers = {"Authorization": authorization} if authorization else {}

    response = requests.request(method, urls[service] + path, headers=headers, json={}, timeout=5)

    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("method", "path", "token"),
    [
        ("GET", "/api/discounts/", "DISCOUNT_SERVICE_TOKEN"),
        ("POST", "/api/discounts/", "DISCOUNT_SERVICE_TOKEN"),
        ("POST", "/api/discounts/ANY/redemptions/", "DISCOUNT_ADMIN_TOKEN"),
    ],
)
def test_a_valid_token_without_the_right_is_403(urls, method, path, token):
    response = requests.request(
        method,
        urls["discount"] + path,
        json={},
        timeout=5,
        headers={"Authorization": f"Bearer {TOKENS[token]}"},
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("service", ["discount", "cart", "payment"])
def test_provider_states_are_absent_without_the_switch(urls, service):
    response = requests.post(
        urls[service] + "/_pact/provider-states",
        json={"state": "a cart exists", "params": {}},
        timeout=5,
    )

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")


@pytest.mark.processes
def test_one_request_id_appears_in_the_logs_of_all_three_services(
    stack, storefront, discounts, new_code, product
):
    code = new_code()
    discounts.create(code=code, kind="percent", value="10.00")
    cart = storefront.create_cart("USD", items=[product("5.00")])
    storefront.apply_discount(cart["id"], code)
    request_id = f"e2e-{uuid.uuid4()}"

    storefront.checkout(cart["id"], request_id=request_id)

    # A service may write its access line just after it has answered.
    for name in ("cart", "discount", "payment"):
        until(lambda n=name: f"request_id={request_id}" in stack.log(n), f"{name}'s log line")


@pytest.mark.processes
def test_checkout_with_payment_service_down_answers_503_then_completes(
    stack, storefront, payments, product
):
    cart = storefront.create_cart("USD", items=[product("5.00")])
    stack.stack.stop("payment")

    with pytest.raises(ApiError) as unavailable:
        storefront.checkout(cart["id"])

    assert (unavailable.value.status, unavailable.value.code) == (
        503,
        "payment_service_unavailable",
    )
    assert storefront.get_cart(cart["id"])["payment_status"] == "pending"

    stack.stack.start("payment", migrate=False)
    paid = storefront.checkout(cart["id"])

    assert paid["payment_status"] == "paid"
    assert len(payments.payments_for(f"cart:{cart['id']}")) == 1


@pytest.mark.processes
def test_checkout_with_a_slow_payment_service_answers_503_then_charges_once(
    stack, storefront, payments, product
):
    cart = storefront.create_cart("USD", items=[product("6.00")])

    # payment_service's answers to this cart's charge are held back for as long as it takes
    # cart_service to answer: slower than any read timeout. The shopper is answered by
    # cart_service's own time budget, while payment_service's answer is still held.
    with stack.proxy.hold(f"cart:{cart['id']}") as charge:
        checkout = InBackground(lambda: storefront.checkout(cart["id"]), "the checkout")
        unavailable = checkout.error()
        charge.wait_for_answer()  # payment_service did take the charge

    assert isinstance(unavailable, ApiError), unavailable
    assert (unavailable.status, unavailable.code) == (503, "payment_service_unavailable")
    assert storefront.get_cart(cart["id"])["payment_status"] == "pending"

    paid = storefront.checkout(cart["id"])

    assert paid["payment_status"] == "paid"
    assert len(payments.payments_for(f"cart:{cart['id']}")) == 1


@pytest.mark.processes
def test_applying_a_code_with_discount_service_down_answers_503_and_changes_nothing(
    stack, storefront, discounts, new_code, product
):
    code = new_code()
    discounts.create(code=code, kind="percent", value="10.00")
    cart = storefront.create_cart("USD", items=[product("5.00")])
    before = storefront.get_cart(cart["id"])
    stack.stack.stop("discount")

    with pytest.raises(ApiError) as unavailable:
        storefront.apply_discount(cart["id"], code)

    assert (unavailable.value.status, unavailable.value.code) == (
        503,
        "discount_service_unavailable",
    )
    assert storefront.get_cart(cart["id"]) == before
