"""DJANGO_ENV=production: `check --deploy` is clean, and unsafe configurations refuse to start."""

import subprocess
from pathlib import Path

import pytest

from servicekit.testing import assert_admin_safe_in_production, run_manage

SERVICE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "p7Yq2x9KfL0s8RvZ3mWc5TnB1dHj6GkQ4aEuXoIyPrSlVwNz-_+=",
    "ALLOWED_HOSTS": "payments.internal",
    "PAYMENT_SERVICE_TOKEN": "a-real-payment-service-token-1234",
    "PAYMENT_LEDGER_TOKEN": "a-real-payment-ledger-token-56789",
}


def manage(*args: str, **env: str | None) -> subprocess.CompletedProcess:
    return run_manage(SERVICE_DIR, *args, **env)


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DEBUG": "1"}, "DEBUG must be off in production"),
        ({"SECRET_KEY": None}, "SECRET_KEY must be set in production"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be a random value"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must be set in production"),
        ({"PAYMENT_SERVICE_TOKEN": None}, "PAYMENT_SERVICE_TOKEN must be set in production"),
        ({"PAYMENT_SERVICE_TOKEN": "dev-payment-service-token"}, "is a development token"),
        ({"PAYMENT_SERVICE_TOKEN": "short-token"}, "at least 16 characters"),
        ({"PAYMENT_LEDGER_TOKEN": None}, "PAYMENT_LEDGER_TOKEN must be set in production"),
        ({"PAYMENT_LEDGER_TOKEN": "dev-payment-ledger-token"}, "is a development token"),
        ({"PAYMENT_REFUND_FAILING_AMOUNT": "1.001"}, "PAYMENT_REFUND_FAILING_AMOUNT"),
        ({"PACT_PROVIDER_STATES": "1"}, "PACT_PROVIDER_STATES must not be set in production"),
        ({"PAYMENT_APPROVAL_LIMIT": "20.001"}, "PAYMENT_APPROVAL_LIMIT"),
        ({"PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT": "0"}, "PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT"),
        ({"PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT": "soon"}, "PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT"),
        ({"PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT": "inf"}, "PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT"),
    ],
)
def test_unsafe_production_settings_refuse_to_start(change, message):
    result = manage("check", **{**PRODUCTION, **change})

    assert result.returncode != 0
    assert message in result.stderr


def test_development_defaults_need_no_environment():
    result = manage("check")

    assert result.returncode == 0, result.stderr


def test_the_admin_is_off_in_production_unless_enabled_and_safe_when_on(tmp_path):
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}

    assert_admin_safe_in_production(SERVICE_DIR, {**PRODUCTION, **database})
