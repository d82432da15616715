"""The providers' POST /_pact/provider-states, as the verifier relies on it.

An unknown state or bad params must answer 400 problem+json (a 5xx makes the
verifier retry for minutes), and teardown must leave nothing behind (rows left
over give false passes).
"""

from __future__ import annotations

import requests

from contracts.common import TOKENS

# A resource each provider's "exists" state creates, and how to read it back.
EXISTS = {
    "discount_service": (
        "a discount exists",
        {"code": "STATES10"},
        "/api/discounts/STATES10/",
        TOKENS["DISCOUNT_SERVICE_TOKEN"],
    ),
    "payment_service": (
        "a payment exists",
        {"id": "6a1f0e2d-3c4b-4a59-8e7f-0a1b2c3d4e5f"},
        "/api/payments/6a1f0e2d-3c4b-4a59-8e7f-0a1b2c3d4e5f/",
        TOKENS["PAYMENT_SERVICE_TOKEN"],
    ),
    "cart_service": (
        "a cart exists",
        {"id": "6a1f0e2d-3c4b-4a59-8e7f-0a1b2c3d4e5f"},
        "/api/carts/6a1f0e2d-3c4b-4a59-8e7f-0a1b2c3d4e5f/",
        None,
    ),
    "catalog_service": ("a product exists", {"sku": "STATES-1"}, "/api/products/STATES-1/", None),
}
# Where each "exists" state named without params puts its resource (README defaults).
DEFAULT_PATHS = {
    "discount_service": "/api/discounts/SAVE10/",
    "payment_service": "/api/payments/22222222-2222-4222-8222-222222222222/",
    "cart_service": "/api/carts/11111111-1111-4111-8111-111111111111/",
    "catalog_service": "/api/products/MUG-1/",
}
BAD_PARAMS = {
    "discount_service": ("a discount exists", {"code": "STATES10", "value": "ten"}),
    "payment_service": ("a payment exists", {"id": "not-a-uuid"}),
    "cart_service": ("a cart exists", {"id": "not-a-uuid"}),
    "catalog_service": ("a product exists", {"sku": "MUG-1", "prices": {"USD": "-1.00"}}),
}


def post_state(provider, state: str, params: dict, action: str = "setup") -> requests.Response:
    return requests.post(
        provider.states_url, json={"state": state, "params": params, "action": action}, timeout=10
    )


def assert_problem_400(response: requests.Response) -> dict:
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 400
    assert isinstance(body["code"], str)
    assert body["code"]
    return body


def test_an_unknown_state_is_a_400_problem_naming_it(provider):
    body = assert_problem_400(post_state(provider, "the moon is made of cheese", {}))
    assert "the moon is made of cheese" in body["detail"]


def test_bad_params_are_a_400_problem(provider):
    state, params = BAD_PARAMS[provider.name]
    assert_problem_400(post_state(provider, state, params))


def test_teardown_leaves_nothing_behind(provider):
    state, params, path, token = EXISTS[provider.name]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    assert post_state(provider, state, params).status_code == 200
    assert requests.get(provider.url + path, headers=headers, timeout=10).status_code == 200

    assert post_state(provider, state, params, action="teardown").status_code == 200

    after = requests.get(provider.url + path, headers=headers, timeout=10)
    assert after.status_code == 404, after.text
    assert after.headers["Content-Type"].startswith("application/problem+json")


def test_an_interaction_without_a_state_sets_up_and_tears_down_nothing(provider):
    # What the verifier sends for an interaction that names no provider state.
    for action in ("setup", "teardown"):
        response = post_state(provider, "", {}, action=action)
        assert response.status_code == 200, response.text
        assert response.json() == {}


def test_the_exists_state_works_without_params(provider):
    state, _, _, token = EXISTS[provider.name]
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    assert post_state(provider, state, {}).status_code == 200

    response = requests.get(
        provider.url + DEFAULT_PATHS[provider.name], headers=headers, timeout=10
    )
    assert response.status_code == 200, response.text
    assert post_state(provider, state, {}, action="teardown").status_code == 200
