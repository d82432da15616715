import pytest
from django.conf import settings
from rest_framework.test import APIClient

pytest_plugins = ["servicekit.testing"]


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def service() -> APIClient:
    """A client presenting the service token, as cart_service does."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {settings.PAYMENT_SERVICE_TOKEN}")
    return client


@pytest.fixture
def ledger() -> APIClient:
    """A client presenting the ledger's token: it reads payments and refunds."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {settings.PAYMENT_LEDGER_TOKEN}")
    return client
