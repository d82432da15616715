"""What every service offers: problem+json for 404/405, request ids, health, OpenAPI."""

import os
from pathlib import Path

import pytest

from servicekit.testing import assert_docs_page_complete, assert_problem, run_manage
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
SERVICE_DIR = Path(__file__).resolve().parents[2]


def test_an_unknown_path_is_a_404_problem(anon):
    assert_problem(anon.get("/nowhere/"), 404, "not_found")


def test_a_missing_trailing_slash_is_a_404_problem_not_a_redirect(anon):
    assert_problem(anon.get("/api/products"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/api/products/MUG-1/"),
        ("delete", "/api/products/MUG-1/"),
        ("patch", "/api/products/"),
        ("delete", "/api/products/"),
        ("post", "/api/products/MUG-1/"),
    ],
)
def test_an_unsupported_method_is_a_405_problem(admin, method, url):
    ProductFactory(sku="MUG-1")

    response = getattr(admin, method)(url, {}, format="json")

    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_given_request_id_is_echoed(anon):
    response = anon.get("/api/products/", HTTP_X_REQUEST_ID="req-123")

    assert response["X-Request-ID"] == "req-123"


def test_a_request_id_is_generated_when_missing_and_also_on_errors(anon):
    response = anon.get("/api/products/NOPE/")

    assert response.status_code == 404
    assert len(response["X-Request-ID"]) == 36


def test_liveness_and_readiness(anon):
    assert anon.get("/health/live").status_code == 200
    ready = anon.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


def test_metrics_need_the_metrics_token(anon):
    assert_problem(anon.get("/metrics"), 401, "not_authenticated")
    anon.credentials(HTTP_AUTHORIZATION="Bearer dev-metrics-token")

    response = anon.get("/metrics")

    assert response.status_code == 200
    assert b"catalog_product_writes_total" in response.content


def test_the_schema_renders_and_describes_the_endpoints(anon):
    response = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) >= {"/api/products/", "/api/products/{sku}/"}
    listing = schema["paths"]["/api/products/"]["get"]
    assert {"200", "304", "400"} <= set(listing["responses"])
    assert "security" not in listing or listing["security"] in ([], [{}])
    sku = next(p for p in listing["parameters"] if p["name"] == "sku")
    assert sku["schema"]["type"] == "array"
    create = schema["paths"]["/api/products/"]["post"]
    assert {"201", "400", "401", "403", "409"} <= set(create["responses"])
    assert "Paginated" in str(listing["responses"]["200"])


def test_the_docs_page_teaches_every_operation(anon):
    # a description naming the development token, every security scheme defined, and a
    # summary, described success responses and examples on every operation
    assert_docs_page_complete(anon, "CATALOG_ADMIN_TOKEN")


def test_the_docs_page_is_served_without_a_cdn(anon):
    response = anon.get("/api/docs/")

    assert response.status_code == 200
    assert b"cdn" not in response.content.lower()


def test_the_schema_validates_without_warnings():
    result = run_manage(
        SERVICE_DIR, "spectacular", "--validate", "--fail-on-warn", "--file", os.devnull
    )

    assert result.returncode == 0, result.stderr
