import pytest
from rest_framework.test import APIClient

pytest_plugins = ["servicekit.testing"]

ADMIN_TOKEN = "dev-catalog-admin-token"


def _client(token: str | None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def anon() -> APIClient:
    return _client(None)


@pytest.fixture
def admin() -> APIClient:
    return _client(ADMIN_TOKEN)
