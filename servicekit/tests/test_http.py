"""The kit's behaviour as a client of any service sees it."""

import json
import logging

import pytest
from django.test import Client

from servicekit.testing import assert_problem
from tests import urls

ADMIN = {"HTTP_AUTHORIZATION": "Bearer admin-token-for-tests"}
SERVICE = {"HTTP_AUTHORIZATION": "Bearer service-token-for-tests"}


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def post(client, path, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json", **headers)


def test_money_and_currency_round_trip_as_strings(client):
    response = post(client, "/price", {"amount": 12.5, "currency": "EUR"})

    assert response.status_code == 200
    assert response.json() == {"amount": "12.50", "currency": "EUR"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"amount": 10.001, "currency": "USD"}', "amount"),
        ('{"amount": "abc", "currency": "USD"}', "amount"),
        ('{"amount": "0.00", "currency": "USD"}', "amount"),
        ('{"amount": "-1.00", "currency": "USD"}', "amount"),
        ('{"amount": 1e20, "currency": "USD"}', "amount"),
        ('{"amount": true, "currency": "USD"}', "amount"),
        ('{"amount": "1.00", "currency": "usd"}', "currency"),
        ('{"amount": "1.00", "currency": "JPY"}', "currency"),
        ('{"amount": "1.00", "currency": 840}', "currency"),
        ('{"currency": "USD"}', "amount"),
    ],
)
def test_bad_input_is_a_validation_problem_naming_the_field(client, body, field):
    body = assert_problem(post(client, "/price", body), 400, "validation_error")

    assert list(body["errors"]) == [field]
    assert all(isinstance(m, str) for m in body["errors"][field])


@pytest.mark.parametrize("body", ['{"amount": NaN, "currency": "USD"}', '{"amount": ', "[1,"])
def test_malformed_json_is_a_problem_not_a_500(client, body):
    assert_problem(post(client, "/price", body), 400, "malformed_request")


def test_missing_and_wrong_tokens_are_401_and_a_wrong_role_is_403(client):
    assert_problem(client.get("/admin-only"), 401, "not_authenticated")
    assert_problem(
        client.get("/admin-only", HTTP_AUTHORIZATION="Bearer nope"), 401, "not_authenticated"
    )
    assert_problem(
        client.get("/admin-only", HTTP_AUTHORIZATION="Basic abc"), 401, "not_authenticated"
    )
    assert_problem(client.get("/admin-only", **SERVICE), 403, "permission_denied")
    assert client.get("/admin-only", **ADMIN).json() == {"role": "admin"}


def test_a_401_names_the_bearer_scheme(client):
    assert client.get("/admin-only")["WWW-Authenticate"] == "Bearer"


def test_domain_errors_carry_their_code_and_extra_fields(client):
    body = assert_problem(client.post("/conflict"), 409, "conflict")

    assert body["detail"] == "Already there."
    assert body["hint"] == "try another"


def test_unknown_paths_and_methods_are_problems(client):
    assert_problem(client.get("/nowhere"), 404, "not_found")
    assert_problem(client.delete("/price"), 405, "method_not_allowed")


def test_a_bug_is_a_bare_500_problem_and_is_logged(client, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.get("/broken")

    body = assert_problem(response, 500, "internal_error")
    assert "secret" not in json.dumps(body)
    assert "a bug, with a secret inside" in caplog.text


def test_request_id_is_echoed_or_generated(client):
    given = client.get("/health/live", HTTP_X_REQUEST_ID="abc-123")
    generated = client.get("/health/live")
    unsafe = client.get("/health/live", HTTP_X_REQUEST_ID="bad id\nwith newline")

    assert given["X-Request-ID"] == "abc-123"
    assert len(generated["X-Request-ID"]) == 36
    assert unsafe["X-Request-ID"] not in ("", "bad id\nwith newline")


def test_log_lines_carry_the_request_id(client, caplog):
    from servicekit.request_id import RequestIdFilter

    caplog.handler.addFilter(RequestIdFilter())  # as the services' log handler has it
    with caplog.at_level(logging.INFO, logger="servicekit.access"):
        client.get("/health/live", HTTP_X_REQUEST_ID="trace-me")

    [record] = [r for r in caplog.records if r.name == "servicekit.access"]
    assert record.request_id == "trace-me"
    assert "GET /health/live 200" in record.getMessage()


@pytest.mark.django_db
def test_health_answers_live_and_ready(client):
    assert client.get("/health/live").json() == {"status": "ok"}
    assert client.get("/health/ready").status_code == 200


@pytest.mark.django_db
class TestProviderStates:
    @pytest.fixture(autouse=True)
    def _nothing_made(self):
        urls.made.clear()

    def test_setup_runs_the_named_state_with_its_params(self, client):
        response = post(
            client, "/_pact/provider-states", {"state": "a thing exists", "params": {"name": "x"}}
        )

        assert response.json() == {"name": "x"}
        assert urls.made == ["x"]

    def test_teardown_removes_what_setup_made(self, client):
        post(client, "/_pact/provider-states", {"state": "a thing exists", "params": {"name": "x"}})

        post(
            client,
            "/_pact/provider-states",
            {"state": "a thing exists", "params": {"name": "x"}, "action": "teardown"},
        )

        assert urls.made == []

    @pytest.mark.parametrize("body", [{}, {"state": ""}, {"state": None, "params": {}}])
    def test_an_interaction_without_a_state_sets_up_nothing(self, client, body):
        post(client, "/_pact/provider-states", {"state": "a thing exists", "params": {"name": "x"}})

        response = post(client, "/_pact/provider-states", body)

        assert (response.status_code, response.json()) == (200, {})
        assert urls.made == ["x"]

    def test_teardown_without_a_state_removes_what_the_interaction_left(self, client):
        urls.made.append("made by a POST of the interaction")

        response = post(client, "/_pact/provider-states", {"state": "", "action": "teardown"})

        assert response.status_code == 200
        assert urls.made == []

    def test_several_states_set_up_in_order_and_all_torn_down(self, client):
        # The verifier's sequence for one interaction with two states.
        first = {"state": "a thing exists", "params": {"name": "a"}}
        second = {"state": "a thing exists", "params": {"name": "b"}}
        assert post(client, "/_pact/provider-states", first).status_code == 200
        assert post(client, "/_pact/provider-states", second).status_code == 200
        assert urls.made == ["a", "b"]

        for body in (first, second):
            response = post(client, "/_pact/provider-states", {**body, "action": "teardown"})
            assert response.status_code == 200, response.content

        assert urls.made == []

    @pytest.mark.parametrize(
        ("body", "says"),
        [
            ({"state": "no such state"}, "no such state"),
            ({"state": "no such state", "action": "teardown"}, "no such state"),
            ({"state": "a thing exists", "params": {}}, "name"),
            ({"state": "a broken state"}, "oops"),
            ({"state": "a picky state"}, "size must be positive"),
            ({"state": "a thing exists", "action": "explode"}, "action"),
            ({"state": 7}, "state"),
            ({"state": "a thing exists", "params": [1]}, "params"),
            ([1, 2], "object"),
        ],
    )
    def test_bad_requests_are_400_never_5xx(self, client, body, says):
        body = assert_problem(
            post(client, "/_pact/provider-states", body), 400, "invalid_provider_state"
        )

        assert says in body["detail"]


def test_nested_validation_errors_are_flat_dotted_fields():
    from servicekit.drf import validation_problem

    body = validation_problem(
        {
            "items": [{}, {"unit_price": ["Required."]}],
            "tags": {"2": ["Too long."]},
            "currency": ["Unknown."],
        }
    )

    assert body["errors"] == {
        "items.1.unit_price": ["Required."],
        "tags.2": ["Too long."],
        "currency": ["Unknown."],
    }


def test_a_nested_serializers_own_errors_are_named_by_its_field():
    from servicekit.drf import validation_problem

    body = validation_problem(
        {
            "cart": {"non_field_errors": ["Expected a dictionary."]},
            "order": {"items": {"non_field_errors": ["At most 2."]}, "note": ["Too long."]},
        }
    )

    assert body["errors"] == {
        "cart": ["Expected a dictionary."],
        "order.items": ["At most 2."],
        "order.note": ["Too long."],
    }


def test_errors_without_a_field_go_under_non_field_errors():
    from servicekit.drf import validation_problem

    assert validation_problem(["Bad."])["errors"] == {"non_field_errors": ["Bad."]}
