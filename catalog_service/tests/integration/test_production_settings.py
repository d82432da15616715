"""DJANGO_ENV=production: `check --deploy` is clean, and unsafe configuration is refused."""

import subprocess
from pathlib import Path

import pytest

from servicekit.testing import assert_admin_safe_in_production, run_manage

SERVICE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k3y-" + "x7Qp2Lm9Rt4Vb8Nc1Zs6Hd0Jf5Gw3Ay" * 2,
    "ALLOWED_HOSTS": "catalog.example.com",
    "CATALOG_ADMIN_TOKEN": "prod-admin-token-0123456789abcdef",
}


def manage(*args: str, tmp_path: Path, **env: str | None) -> subprocess.CompletedProcess:
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
        ({"CATALOG_ADMIN_TOKEN": None}, "CATALOG_ADMIN_TOKEN must be set in production"),
        (
            {"CATALOG_ADMIN_TOKEN": "dev-catalog-admin-token"},
            "CATALOG_ADMIN_TOKEN is a development",
        ),
        ({"CATALOG_ADMIN_TOKEN": "short"}, "CATALOG_ADMIN_TOKEN must be at least 16"),
        ({"PACT_PROVIDER_STATES": "1"}, "PACT_PROVIDER_STATES must not be set in production"),
    ],
)
def test_production_refuses_unsafe_configuration(tmp_path, env, message):
    result = manage("check", tmp_path=tmp_path, **{**PRODUCTION, **env})

    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize("value", ["-1", "301", "soon"])
def test_the_cache_max_age_is_bounded(tmp_path, value):
    result = manage("check", tmp_path=tmp_path, CATALOG_CACHE_MAX_AGE=value)

    assert result.returncode != 0
    assert "CATALOG_CACHE_MAX_AGE must be" in result.stderr


@pytest.mark.parametrize("value", ["0", "300"])
def test_the_cache_max_age_may_be_from_0_to_300(tmp_path, value):
    assert manage("check", tmp_path=tmp_path, CATALOG_CACHE_MAX_AGE=value).returncode == 0


def test_the_admin_is_off_in_production_unless_enabled_and_safe_when_on(tmp_path):
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}

    assert_admin_safe_in_production(SERVICE_DIR, {**PRODUCTION, **database})
