"""Each service's manage.py starts only with a documented DJANGO_ENV (real processes)."""

from pathlib import Path

import pytest

from servicekit.testing import run_manage

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["discount_service", "payment_service", "cart_service", "catalog_service"]


def manage(service: str, *args: str, **env: str | None):
    # This suite's own DJANGO_SETTINGS_MODULE must not leak into the service's process.
    return run_manage(ROOT / service, *args, DJANGO_SETTINGS_MODULE="config.settings", **env)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("value", [None, "development", "test"])
def test_the_development_values_start(service, value):
    result = manage(service, "check", DJANGO_ENV=value)

    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("value", ["prod", "staging", "Production", "dev"])
def test_any_other_value_refuses_to_start_naming_the_variable(service, value):
    result = manage(service, "check", DJANGO_ENV=value, PACT_PROVIDER_STATES="1")

    assert result.returncode != 0
    assert "DJANGO_ENV must be one of development, production, test" in result.stderr
