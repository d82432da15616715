from decimal import Decimal

import pytest
import responses
from rest_framework.test import APIClient

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


@pytest.fixture
def cart():
    """A pending cart of 2 x 7.50 (subtotal 15.00), no discount."""
    cart = CartFactory()
    CartItemFactory(cart=cart, unit_price=Decimal("7.50"), quantity=2)
    return cart


@pytest.fixture
def mocked():
    """The provider calls of a test, answered by ``responses`` (unregistered URLs fail)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
