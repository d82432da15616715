"""What every service offers: health, schema, docs, request ids, problem+json 404/405."""

import os
from pathlib import Path

import pytest

from servicekit.testing import (
    assert_admin_safe_in_production,
    assert_docs_page_complete,
    assert_problem,
    run_manage,
)

SERVICE_DIR = Path(__file__).resolve().parents[2]


def test_live(anon):
    assert anon.get("/health/live").status_code == 200


@pytest.mark.django_db
def test_ready_when_the_database_answers(anon):
    response = anon.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_request_id_is_echoed(anon):
    response = anon.get("/health/live", HTTP_X_REQUEST_ID="abc-123")

    assert response["X-Request-ID"] == "abc-123"


@pytest.mark.django_db
def test_request_id_is_generated_when_missing_or_unsafe(anon):
    response = anon.get("/api/carts/nope/", HTTP_X_REQUEST_ID="bad id\n")

    assert response["X-Request-ID"] != "bad id\n"
    assert len(response["X-Request-ID"]) == 36


@pytest.mark.django_db
def test_unknown_path_is_a_problem_404(anon):
    assert_problem(anon.get("/nowhere/"), 404, "not_found")


@pytest.mark.django_db
def test_missing_trailing_slash_is_404_not_a_redirect(anon):
    assert_problem(anon.get("/api/carts"), 404, "not_found")


@pytest.mark.django_db
def test_wrong_method_is_a_problem_405(anon, admin):
    assert_problem(admin.delete("/api/carts/"), 405, "method_not_allowed")
    assert_problem(
        anon.delete("/api/carts/00000000-0000-4000-8000-000000000000/"), 405, "method_not_allowed"
    )
    assert_problem(
        anon.put("/api/carts/00000000-0000-4000-8000-000000000000/checkout/"),
        405,
        "method_not_allowed",
    )


def test_schema_renders(anon):
    response = anon.get("/api/schema/")

    assert response.status_code == 200
    assert b"/api/carts/{cart_id}/checkout/" in response.content


def test_docs_render_without_a_cdn(anon):
    response = anon.get("/api/docs/")

    assert response.status_code == 200
    assert b"cdn" not in response.content.lower()


def _manage(*args, **env):
    return run_manage(SERVICE_DIR, *args, **env)


def test_the_docs_page_teaches_every_operation(anon):
    # a description naming the development tokens, every security scheme defined, and a
    # summary, described success responses and examples on every operation
    assert_docs_page_complete(anon, "CART_ADMIN_TOKEN")


def test_schema_validates_without_warnings():
    result = _manage("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)

    assert result.returncode == 0, result.stderr


PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7#kq!2v9z$w8m@p4r&t6y*u1i0o3l5j-n_b+c=d~e^f%g(h)a",
    "ALLOWED_HOSTS": "carts.example.com",
    "CART_ADMIN_TOKEN": "prod-cart-admin-0123456789",
    "DISCOUNT_SERVICE_URL": "http://discounts:8001",
    "DISCOUNT_SERVICE_TOKEN": "prod-discount-service-0123456789",
    "PAYMENT_SERVICE_URL": "http://payments:8003",
    "PAYMENT_SERVICE_TOKEN": "prod-payment-service-0123456789",
    "CATALOG_SERVICE_URL": "http://catalog:8004",
}


def test_production_settings_pass_the_deploy_check():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_admin_is_off_in_production_unless_enabled_and_safe_when_on():
    assert_admin_safe_in_production(SERVICE_DIR, PRODUCTION)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DEBUG": "1"}, "DEBUG must be off"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"CART_ADMIN_TOKEN": "dev-cart-admin-token"}, "CART_ADMIN_TOKEN is a development token"),
        ({"PAYMENT_SERVICE_TOKEN": ""}, "PAYMENT_SERVICE_TOKEN must be set"),
        ({"DISCOUNT_SERVICE_TOKEN": "dev-discount-service-token"}, "development token"),
        ({"PACT_PROVIDER_STATES": "1"}, "PACT_PROVIDER_STATES must not be set"),
    ],
)
def test_production_refuses_unsafe_settings(change, message):
    result = _manage("check", **{**PRODUCTION, **change})

    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.django_db
def test_provider_states_endpoint_is_absent_by_default(anon):
    response = anon.post("/_pact/provider-states", {"state": "no cart exists"}, format="json")

    assert_problem(response, 404, "not_found")


def test_production_has_no_development_operators():
    result = _manage("operator_dev_users", **PRODUCTION, ADMIN_ENABLED="1")

    assert result.returncode != 0
    assert "No development users in production" in result.stderr
