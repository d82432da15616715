"""Whatever a client sends, the answer is a 4xx problem, logged below ERROR."""

import logging

import pytest
from django.test import Client

from servicekit.testing import assert_problem

TOO_BIG = 3 * 1024 * 1024  # over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB)
TOO_DEEP = "[" * 100_000


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def errors_logged(caplog):
    caplog.set_level(logging.INFO)
    return lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
def test_a_wrong_method_on_health_is_405_naming_the_allowed_ones(client, method, path):
    response = getattr(client, method)(path)

    body = assert_problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"
    assert method.upper() in body["detail"]


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_a_wrong_method_on_provider_states_is_405(client, method):
    response = getattr(client, method)("/_pact/provider-states")

    assert_problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_an_unsafe_method_needs_no_csrf_token(errors_logged):
    strict = Client(enforce_csrf_checks=True, raise_request_exception=False)

    assert_problem(strict.delete("/health/live"), 405, "method_not_allowed")
    assert errors_logged() == []


@pytest.mark.parametrize("path", ["/price", "/_pact/provider-states"])
def test_an_oversized_body_is_413(client, errors_logged, path):
    response = client.post(path, data="x" * TOO_BIG, content_type="application/json")

    assert_problem(response, 413, "payload_too_large")
    assert errors_logged() == []


@pytest.mark.parametrize("path", ["/price", "/_pact/provider-states"])
def test_deeply_nested_json_is_400_malformed(client, errors_logged, path):
    response = client.post(path, data=TOO_DEEP, content_type="application/json")

    assert_problem(response, 400, "malformed_request")
    assert errors_logged() == []


def test_a_real_bug_is_still_a_logged_500(client, errors_logged):
    assert_problem(client.get("/broken"), 500, "internal_error")
    assert errors_logged()
