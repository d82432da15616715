"""Each provider started once per session: gunicorn, empty database, provider states on."""

from __future__ import annotations

import pytest

from contracts.providers import running_provider


@pytest.fixture(scope="session")
def provider(request, tmp_path_factory):
    """Parametrize indirectly with the provider's name."""
    name = request.param
    with running_provider(name, workdir=tmp_path_factory.mktemp(name)) as running:
        yield running


PROVIDERS = ["discount_service", "payment_service", "cart_service", "catalog_service"]


def pytest_generate_tests(metafunc):
    if "provider" in metafunc.fixturenames and not any(
        m.name == "parametrize" for m in metafunc.definition.iter_markers()
    ):
        metafunc.parametrize("provider", PROVIDERS, indirect=True, scope="session")
