import importlib

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import clear_url_caches
from rest_framework.test import APIClient

pytest_plugins = ["servicekit.testing"]


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def api() -> APIClient:
    """A client presenting the service token, as cart_service does."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {settings.PAYMENT_SERVICE_TOKEN}")
    return client


def _reload_urls() -> None:
    import config.urls

    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def provider_states_enabled():
    """Mount /_pact/provider-states as PACT_PROVIDER_STATES=1 would, and unmount it after."""
    with override_settings(PACT_PROVIDER_STATES=True):
        _reload_urls()
        yield
    _reload_urls()
