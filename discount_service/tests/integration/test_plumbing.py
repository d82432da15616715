"""What every service offers: problem+json for 404/405, request ids, health, OpenAPI."""

import os
from pathlib import Path

import pytest

from servicekit.testing import assert_docs_page_complete, assert_problem, run_manage
from tests.factories import DiscountFactory

pytestmark = pytest.mark.django_db
SERVICE_DIR = Path(__file__).resolve().parents[2]


def test_an_unknown_path_is_a_404_problem(anon):
    assert_problem(anon.get("/nowhere/"), 404, "not_found")


def test_a_missing_trailing_slash_is_a_404_problem_not_a_redirect(admin):
    assert_problem(admin.get("/api/discounts"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/api/discounts/SAVE10/"),
        ("delete", "/api/discounts/SAVE10/"),
        ("patch", "/api/discounts/"),
    ],
)
def test_an_unsupported_method_is_a_405_problem(admin, method, url):
    DiscountFactory(code="SAVE10")

    assert_problem(getattr(admin, method)(url, {}, format="json"), 405, "method_not_allowed")


def test_get_on_the_redemptions_collection_is_405(service):
    assert_problem(service.get("/api/discounts/SAVE10/redemptions/"), 405, "method_not_allowed")


def test_a_given_request_id_is_echoed(admin):
    response = admin.get("/api/discounts/", HTTP_X_REQUEST_ID="req-123")

    assert response["X-Request-ID"] == "req-123"


def test_a_request_id_is_generated_when_missing_and_also_on_errors(anon):
    response = anon.get("/api/discounts/")

    assert response.status_code == 401
    assert len(response["X-Request-ID"]) == 36


def test_liveness_and_readiness(anon):
    assert anon.get("/health/live").status_code == 200
    ready = anon.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


def test_the_schema_renders_and_describes_the_endpoints(anon):
    response = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) >= {
        "/api/discounts/",
        "/api/discounts/{code}/",
        "/api/discounts/{code}/redemptions/",
        "/api/discounts/{code}/redemptions/{cart_id}/",
    }
    redeem = schema["paths"]["/api/discounts/{code}/redemptions/"]["post"]
    assert {"200", "201", "404", "422"} <= set(redeem["responses"])
    create = schema["paths"]["/api/discounts/"]["post"]
    assert "409" in create["responses"]
    listing = schema["paths"]["/api/discounts/"]["get"]["responses"]["200"]
    assert "Paginated" in str(listing)


def test_the_docs_page_teaches_every_operation(anon):
    # a description naming the development tokens, every security scheme defined, and a
    # summary, described success responses and examples on every operation
    assert_docs_page_complete(anon, "DISCOUNT_ADMIN_TOKEN", "DISCOUNT_SERVICE_TOKEN")


def test_the_docs_page_is_served_without_a_cdn(anon):
    response = anon.get("/api/docs/")

    assert response.status_code == 200
    assert b"cdn" not in response.content.lower()


def test_the_schema_validates_without_warnings():
    result = run_manage(
        SERVICE_DIR, "spectacular", "--validate", "--fail-on-warn", "--file", os.devnull
    )

    assert result.returncode == 0, result.stderr
