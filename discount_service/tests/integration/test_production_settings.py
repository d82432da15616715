"""DJANGO_ENV=production: `check --deploy` is clean, and unsafe configuration is refused."""

import subprocess
from pathlib import Path

import pytest

from servicekit.testing import assert_admin_safe_in_production, run_manage

SERVICE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k3y-" + "x7Qp2Lm9Rt4Vb8Nc1Zs6Hd0Jf5Gw3Ay" * 2,
    "ALLOWED_HOSTS": "discounts.example.com",
    "DISCOUNT_ADMIN_TOKEN": "prod-admin-token-0123456789abcdef",
    "DISCOUNT_SERVICE_TOKEN": "prod-service-token-0123456789abcdef",
}


def manage(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return run_manage(
        SERVICE_DIR, *args, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **env
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "1"}, "DEBUG must be off in production"),
        ({"SECRET_KEY": None}, "SECRET_KEY must be set in production"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be a random value"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must be set in production"),
        ({"DISCOUNT_ADMIN_TOKEN": None}, "DISCOUNT_ADMIN_TOKEN must be set in production"),
        ({"DISCOUNT_ADMIN_TOKEN": "dev-admin-token"}, "DISCOUNT_ADMIN_TOKEN is a development"),
        (
            {"DISCOUNT_SERVICE_TOKEN": "dev-discount-service-token"},
            "DISCOUNT_SERVICE_TOKEN is a development",
        ),
        ({"DISCOUNT_SERVICE_TOKEN": "short"}, "DISCOUNT_SERVICE_TOKEN must be at least 16"),
        ({"PACT_PROVIDER_STATES": "1"}, "PACT_PROVIDER_STATES must not be set in production"),
    ],
)
def test_production_refuses_unsafe_configuration(tmp_path, env, message):
    result = manage("check", tmp_path=tmp_path, **{**PRODUCTION, **env})

    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_one_token_for_both_roles(tmp_path):
    same = {**PRODUCTION, "DISCOUNT_SERVICE_TOKEN": PRODUCTION["DISCOUNT_ADMIN_TOKEN"]}

    result = manage("check", tmp_path=tmp_path, **same)

    assert result.returncode != 0
    assert "DISCOUNT_ADMIN_TOKEN must differ from DISCOUNT_SERVICE_TOKEN" in result.stderr


def test_the_admin_is_off_in_production_unless_enabled_and_safe_when_on(tmp_path):
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}

    assert_admin_safe_in_production(SERVICE_DIR, {**PRODUCTION, **database})
