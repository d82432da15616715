"""Who may call what: reads are open to anyone; writes need the admin token."""

import pytest
from rest_framework.test import APIClient

from servicekit.testing import assert_problem
from tests.conftest import ADMIN_TOKEN
from tests.factories import ProductFactory, snapshot

pytestmark = pytest.mark.django_db

WRITES = {
    "create": ("post", "/api/products/", {"sku": "NEW1", "name": "New"}),
    "update": ("patch", "/api/products/MUG-1/", {"active": False}),
}
READS = ["/api/products/", "/api/products/MUG-1/", "/api/products/?sku=MUG-1"]
OTHER_TOKENS = ["dev-admin-token", "dev-cart-admin-token", "dev-metrics-token"]


def call(endpoint: str, authorization: str | None):
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    method, url, body = WRITES[endpoint]
    return getattr(client, method)(url, body, format="json")


@pytest.fixture(autouse=True)
def mug():
    return ProductFactory(sku="MUG-1")


@pytest.mark.parametrize("endpoint", WRITES)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong-token",
        "Basic abc",
        "Bearer",
        f"Token {ADMIN_TOKEN}",
        *(f"Bearer {t}" for t in OTHER_TOKENS),  # other services' tokens mean nothing here
    ],
)
def test_a_write_without_the_admin_token_is_401_and_changes_nothing(endpoint, authorization):
    before = snapshot()

    response = call(endpoint, authorization)

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", WRITES)
def test_a_write_with_the_admin_token_succeeds(endpoint):
    response = call(endpoint, f"Bearer {ADMIN_TOKEN}")

    assert 200 <= response.status_code < 300, response.content


@pytest.mark.parametrize("url", READS)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Bearer {ADMIN_TOKEN}"])
def test_anyone_may_read(url, authorization):
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)

    assert client.get(url).status_code == 200
