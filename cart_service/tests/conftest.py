import json
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from rest_framework.test import APIClient

from carts import throttle
from tests.factories import CartFactory, CartItemFactory

pytest_plugins = ["servicekit.testing"]

ADMIN_TOKEN = "dev-cart-admin-token"


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def admin() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ADMIN_TOKEN}")
    return client


@pytest.fixture(autouse=True)
def _fast_downstream(settings):
    """Real clients built from settings retry without waiting in tests."""
    settings.DOWNSTREAM_BACKOFF = 0.0
    settings.DOWNSTREAM_RETRIES = 2


@pytest.fixture(autouse=True)
def _throttle_cleanup_not_due(monkeypatch):
    """The throttle deletes ended windows at most once a minute per process: not due in a
    test unless the test says so (statement counts must not depend on test order)."""
    monkeypatch.setattr(throttle, "_last_cleanup", time.time())


@pytest.fixture
def cart():
    """A pending cart of 2 x 7.50 (subtotal 15.00), no discount."""
    cart = CartFactory()
    CartItemFactory(cart=cart, unit_price=Decimal("7.50"), quantity=2)
    return cart


CATALOG = "http://127.0.0.1:8004/api/products/"


@pytest.fixture
def catalog_products() -> dict[str, dict]:
    """What the stand-in catalog sells, by sku (a test adds or changes products here)."""
    return {
        "MUG-1": {
            "sku": "MUG-1",
            "name": "Mug",
            "active": True,
            "prices": {"EUR": "6.90", "USD": "7.50"},
        },
    }


@pytest.fixture
def mocked(catalog_products):
    """The provider calls of a test, answered by ``responses`` (unregistered URLs fail).

    catalog_service's batch read is answered from ``catalog_products``, as the real one
    answers it (docs/api.md): every product found, unknown skus left out.
    """

    def batch_read(request):
        skus = parse_qs(urlsplit(request.url).query).get("sku", [])
        found = [catalog_products[sku] for sku in skus if sku in catalog_products]
        body = {"count": len(found), "next": None, "previous": None, "results": found}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback("GET", CATALOG, callback=batch_read)
        yield rsps
