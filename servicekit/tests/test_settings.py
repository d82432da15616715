from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from servicekit.settings import base_settings, env_bool, env_list, env_rate, env_token

GOOD_SECRET = "x" * 20 + "y" * 20 + "z" * 20


def settings_with(monkeypatch, **env):
    for name in (
        "DJANGO_ENV",
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "PACT_PROVIDER_STATES",
        "SECURE_SSL_REDIRECT",
        "CURRENCIES",
        "DB_PREPARED_STATEMENTS",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return base_settings(service="svc", base_dir=Path("/srv/svc"), apps=[], title="svc")


def test_development_defaults_need_no_variables(monkeypatch):
    settings = settings_with(monkeypatch)

    assert settings["DEBUG"] is False
    assert settings["DATABASES"]["default"]["NAME"] == "/srv/svc/db.sqlite3"
    assert settings["CURRENCIES"] == ["USD", "EUR", "GBP"]
    assert "127.0.0.1" in settings["ALLOWED_HOSTS"]


def test_empty_variables_mean_the_default(monkeypatch):
    settings = settings_with(monkeypatch, DATABASE_URL="", ALLOWED_HOSTS="", CURRENCIES=" ")

    assert settings["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert "127.0.0.1" in settings["ALLOWED_HOSTS"]
    assert settings["CURRENCIES"] == ["USD", "EUR", "GBP"]


def test_database_url_selects_postgresql(monkeypatch):
    settings = settings_with(monkeypatch, DATABASE_URL="postgres://u:p@db:5432/discount")

    assert settings["DATABASES"]["default"]["ENGINE"] == "servicekit.postgresql"
    assert settings["DATABASES"]["default"]["NAME"] == "discount"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "true"}, "DEBUG"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"PACT_PROVIDER_STATES": "1"}, "PACT_PROVIDER_STATES"),
    ],
)
def test_production_refuses_unsafe_settings(monkeypatch, env, message):
    base = {"DJANGO_ENV": "production", "SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": "api"}

    with pytest.raises(ImproperlyConfigured, match=message):
        settings_with(monkeypatch, **{**base, **env})


def test_production_is_hardened(monkeypatch):
    settings = settings_with(
        monkeypatch, DJANGO_ENV="production", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="api"
    )

    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] > 0
    assert settings["SESSION_COOKIE_SECURE"]
    assert settings["CSRF_COOKIE_SECURE"]


@pytest.mark.parametrize("value", ["", "dev-admin-token", "dev-anything-else", "too-short"])
def test_production_refuses_missing_development_or_weak_tokens(monkeypatch, value):
    monkeypatch.setenv("DJANGO_ENV", "production")
    monkeypatch.setenv("DISCOUNT_ADMIN_TOKEN", value)

    with pytest.raises(ImproperlyConfigured, match="DISCOUNT_ADMIN_TOKEN"):
        env_token("DISCOUNT_ADMIN_TOKEN")


def test_development_tokens_are_the_documented_defaults(monkeypatch):
    monkeypatch.delenv("DJANGO_ENV", raising=False)
    monkeypatch.delenv("CART_ADMIN_TOKEN", raising=False)

    assert env_token("CART_ADMIN_TOKEN") == "dev-cart-admin-token"


def test_booleans_and_lists_are_parsed_strictly(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    monkeypatch.setenv("ITEMS", "a, b,,c")
    assert env_bool("FLAG", default=False) is True
    assert env_list("ITEMS", []) == ["a", "b", "c"]

    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", default=False)


@pytest.mark.parametrize("value", ["development", "test", "", " development "])
def test_only_the_development_values_get_development_defaults(monkeypatch, value):
    settings = settings_with(monkeypatch, DJANGO_ENV=value)

    assert settings["PRODUCTION"] is False
    assert settings["SECRET_KEY"] == "dev-insecure-secret-key-only-for-local-runs"


@pytest.mark.parametrize(
    "value", ["prod", "staging", "Production", "PRODUCTION", "dev", "local", "production2", "1"]
)
def test_an_unknown_environment_refuses_to_start_naming_the_variable(monkeypatch, value):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ENV must be one of"):
        settings_with(monkeypatch, DJANGO_ENV=value, PACT_PROVIDER_STATES="1")


def test_an_unknown_environment_gets_no_development_token(monkeypatch):
    monkeypatch.setenv("DJANGO_ENV", "staging")
    monkeypatch.delenv("CART_ADMIN_TOKEN", raising=False)

    with pytest.raises(ImproperlyConfigured, match="DJANGO_ENV"):
        env_token("CART_ADMIN_TOKEN")


@pytest.mark.parametrize(
    ("raw", "expected"), [("30/hour", (30, 3600)), ("5/minute", (5, 60)), ("", (10, 86400))]
)
def test_rates_are_a_count_per_period(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_RATE", raw)

    assert env_rate("SOME_RATE", "10/day") == expected


@pytest.mark.parametrize("raw", ["30", "0/hour", "-1/hour", "30/fortnight", "thirty/hour", "30/h"])
def test_a_malformed_rate_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("SOME_RATE", raw)

    with pytest.raises(ImproperlyConfigured, match="SOME_RATE"):
        env_rate("SOME_RATE", "10/day")


def test_lock_waits_are_bounded_on_both_databases(monkeypatch):
    from servicekit.settings import base_settings

    monkeypatch.setenv("DB_LOCK_TIMEOUT", "2.5")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/x")
    pg = base_settings(service="s", base_dir=Path("/tmp"), apps=[], title="t")
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    lite = base_settings(service="s", base_dir=Path("/tmp"), apps=[], title="t")

    assert pg["DATABASES"]["default"]["OPTIONS"]["options"] == "-c lock_timeout=2500"
    assert lite["DATABASES"]["default"]["OPTIONS"]["timeout"] == 2.5


def test_postgresql_binds_on_the_server_and_prepares_unless_told_not_to(monkeypatch):
    pg = settings_with(monkeypatch, DATABASE_URL="postgres://u:p@db:5432/x")
    pooled = settings_with(
        monkeypatch, DATABASE_URL="postgres://u:p@db:5432/x", DB_PREPARED_STATEMENTS="false"
    )
    lite = settings_with(monkeypatch, DATABASE_URL="sqlite:////tmp/x.sqlite3")

    options = pg["DATABASES"]["default"]["OPTIONS"]
    assert (options["server_side_binding"], options["prepare_threshold"]) == (True, 5)
    assert "server_side_binding" not in pooled["DATABASES"]["default"]["OPTIONS"]
    assert "prepare_threshold" not in pooled["DATABASES"]["default"]["OPTIONS"]
    assert "server_side_binding" not in lite["DATABASES"]["default"]["OPTIONS"]
