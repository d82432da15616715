"""What every service offers: health, schema and docs, request ids, problem+json 404/405."""

import os
from pathlib import Path

import pytest

from servicekit.testing import assert_docs_page_complete, assert_problem, run_manage

pytestmark = pytest.mark.django_db
SERVICE_DIR = Path(__file__).resolve().parents[2]


def test_health_live_and_ready(anon):
    assert anon.get("/health/live").status_code == 200
    ready = anon.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


def test_request_id_is_echoed(service):
    response = service.get("/api/payments/", HTTP_X_REQUEST_ID="req-123")

    assert response["X-Request-ID"] == "req-123"


def test_request_id_is_generated_when_absent_also_on_errors(anon):
    response = anon.post("/api/payments/", {}, format="json")

    assert response.status_code == 401
    assert len(response["X-Request-ID"]) == 36


def test_request_id_is_echoed_on_a_replay(service):
    body = {"reference": "cart:1", "amount": "1.00", "currency": "USD"}
    service.post("/api/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    again = service.post(
        "/api/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k", HTTP_X_REQUEST_ID="r-2"
    )

    assert again["X-Request-ID"] == "r-2"


def test_unknown_path_is_a_problem_not_an_html_page(service):
    assert_problem(service.get("/api/nothing-here/"), 404, "not_found")
    assert_problem(service.get("/api/payments"), 404, "not_found")  # no APPEND_SLASH redirect


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/payments/"),
        ("put", "/api/payments/"),
        ("post", "/api/payments/00000000-0000-4000-8000-000000000000/"),
        ("patch", "/api/payments/00000000-0000-4000-8000-000000000000/"),
    ],
)
def test_unsupported_method_is_method_not_allowed(service, method, path):
    assert_problem(getattr(service, method)(path), 405, "method_not_allowed")


def test_schema_describes_the_payment_endpoints(anon):
    response = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    post = schema["paths"]["/api/payments/"]["post"]
    assert {"201", "400", "401", "409", "422"} <= post["responses"].keys()
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in post["parameters"])
    assert "404" in schema["paths"]["/api/payments/{payment_id}/"]["get"]["responses"]


def test_the_docs_page_teaches_every_operation(anon):
    # a description naming the development tokens, every security scheme defined, and a
    # summary, described success responses and examples on every operation
    assert_docs_page_complete(anon, "PAYMENT_SERVICE_TOKEN")


def test_docs_are_served_without_a_cdn(anon):
    response = anon.get("/api/docs/")

    assert response.status_code == 200
    assert b"cdn." not in response.content


def test_schema_validates_without_warnings():
    result = run_manage(
        SERVICE_DIR, "spectacular", "--validate", "--fail-on-warn", "--file", os.devnull
    )

    assert result.returncode == 0, result.stderr
