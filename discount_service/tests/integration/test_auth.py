"""Who may call what: 401 without a valid token, 403 with the wrong role."""

import uuid

import pytest
from rest_framework.test import APIClient

from servicekit.testing import assert_problem
from tests.conftest import ADMIN_TOKEN, SERVICE_TOKEN
from tests.factories import DiscountFactory

pytestmark = pytest.mark.django_db
CART = uuid.uuid4()

ENDPOINTS = {
    "create": ("post", "/api/discounts/", {"code": "NEW1", "kind": "percent", "value": "5"}),
    "list": ("get", "/api/discounts/", None),
    "retrieve": ("get", "/api/discounts/SAVE10/", None),
    "update": ("patch", "/api/discounts/SAVE10/", {"is_active": False}),
    "redeem": ("post", "/api/discounts/SAVE10/redemptions/", {"cart_id": str(CART)}),
    "release": ("delete", f"/api/discounts/SAVE10/redemptions/{CART}/", None),
}
ALLOWED = {
    "create": {"admin"},
    "list": {"admin"},
    "retrieve": {"admin", "service"},
    "update": {"admin"},
    "redeem": {"service"},
    "release": {"service"},
}
TOKENS = {"admin": ADMIN_TOKEN, "service": SERVICE_TOKEN}


def call(endpoint: str, authorization: str | None):
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    method, url, body = ENDPOINTS[endpoint]
    return getattr(client, method)(url, body, format="json")


@pytest.fixture(autouse=True)
def discount():
    return DiscountFactory(code="SAVE10")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", "Basic abc", "Bearer", f"Token {ADMIN_TOKEN}"]
)
def test_without_a_valid_token_it_is_401(endpoint, authorization):
    response = call(endpoint, authorization)

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("endpoint", "role"),
    [(e, r) for e in ENDPOINTS for r in TOKENS if r not in ALLOWED[e]],
)
def test_with_the_wrong_role_it_is_403(endpoint, role, discount):
    response = call(endpoint, f"Bearer {TOKENS[role]}")

    assert_problem(response, 403, "permission_denied")
    discount.refresh_from_db()
    assert (discount.is_active, discount.times_redeemed) == (True, 0)


@pytest.mark.parametrize(
    ("endpoint", "role"), [(e, r) for e in ENDPOINTS for r in sorted(ALLOWED[e])]
)
def test_with_the_right_role_it_succeeds(endpoint, role):
    response = call(endpoint, f"Bearer {TOKENS[role]}")

    assert 200 <= response.status_code < 300, response.content
