import pytest
from rest_framework.test import APIClient

pytest_plugins = ["servicekit.testing"]

ADMIN_TOKEN = "dev-cart-admin-token"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def admin_api() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ADMIN_TOKEN}")
    return client


@pytest.fixture(autouse=True)
def _fast_downstream(settings):
    """Real clients built from settings retry without waiting in tests."""
    settings.DOWNSTREAM_BACKOFF = 0.0
    settings.DOWNSTREAM_RETRIES = 2
