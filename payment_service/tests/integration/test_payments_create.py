"""POST /api/payments/: approval, idempotency, validation; every error code docs/api.md names."""

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments.models import IdempotencyKey, Payment
from servicekit.testing import assert_problem
from tests.factories import InProgressKeyFactory

pytestmark = pytest.mark.django_db
URL = "/api/payments/"
BODY = {"reference": "cart:5d1c", "amount": "13.50", "currency": "USD"}


def post(client, body=BODY, key="key-1", **extra):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(URL, body, format="json", **headers, **extra)


def test_payment_below_the_limit_succeeds(service):
    response = post(service)

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["reference"] == "cart:5d1c"
    assert body["amount"] == "13.50"
    assert body["currency"] == "USD"
    assert body["status"] == "succeeded"
    assert body["decline_code"] is None
    assert body["created_at"].endswith("Z")
    assert uuid.UUID(body["id"]).version == 4
    assert "Idempotent-Replayed" not in response
    payment = Payment.objects.get()
    assert str(payment.id) == body["id"]
    key = IdempotencyKey.objects.get()
    assert (key.key, key.state, key.payment_id) == ("key-1", "completed", payment.id)


@pytest.mark.parametrize(
    ("amount", "status", "decline_code"),
    [
        ("19.99", "succeeded", None),
        ("20.00", "declined", "insufficient_funds"),
        ("20.01", "declined", "insufficient_funds"),
    ],
)
def test_approval_limit_decides_the_outcome(service, amount, status, decline_code):
    response = post(service, {**BODY, "amount": amount})

    assert response.status_code == 201
    assert response.json()["status"] == status
    assert response.json()["decline_code"] == decline_code


def test_approval_limit_comes_from_settings(service, settings):
    settings.PAYMENT_APPROVAL_LIMIT = Decimal("100.00")

    response = post(service, {**BODY, "amount": "99.99"})

    assert response.json()["status"] == "succeeded"


def test_amount_as_a_json_number_is_accepted(service):
    response = service.post(
        URL,
        data=b'{"reference": "cart:1", "amount": 7.5, "currency": "EUR"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert response.status_code == 201
    assert response.json()["amount"] == "7.50"


def test_unknown_fields_are_ignored(service):
    response = post(service, {**BODY, "colour": "blue", "status": "declined"})

    assert response.status_code == 201
    assert response.json()["status"] == "succeeded"
    assert "colour" not in response.json()


# --- idempotency -------------------------------------------------------------


def test_same_key_and_body_replays_the_original_response_byte_for_byte(service):
    first = post(service)

    again = post(service)

    assert again.status_code == first.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == "application/json"
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


def test_replay_of_a_declined_payment_is_the_same_decline(service):
    first = post(service, {**BODY, "amount": "25.00"})

    again = post(service, {**BODY, "amount": "25.00"})

    assert first.json()["status"] == "declined"
    assert (again.status_code, again.content) == (201, first.content)
    assert Payment.objects.count() == 1


def test_replay_does_not_depend_on_how_the_amount_is_written(service):
    first = post(service, {**BODY, "amount": "13.5"})

    again = service.post(
        URL,
        data=b'{"currency": "USD", "amount": 13.50, "reference": "cart:5d1c", "x": 1}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )

    assert (again.status_code, again.content) == (201, first.content)
    assert Payment.objects.count() == 1


def test_replay_does_not_change_when_the_approval_limit_changes(service, settings):
    first = post(service)
    settings.PAYMENT_APPROVAL_LIMIT = Decimal("1.00")

    again = post(service)

    assert again.content == first.content
    assert json.loads(again.content)["status"] == "succeeded"


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "13.51"},
        {"reference": "cart:other"},
        {"currency": "EUR"},
    ],
)
def test_same_key_with_a_different_body_is_refused(service, change):
    first = post(service)

    reused = post(service, {**BODY, **change})

    assert_problem(reused, 422, "idempotency_key_reused")
    assert Payment.objects.count() == 1
    assert post(service).content == first.content


def test_distinct_keys_take_distinct_payments(service):
    first = post(service, key="a")
    second = post(service, key="b")

    assert first.json()["id"] != second.json()["id"]
    assert Payment.objects.count() == 2


def test_same_key_while_the_first_request_is_in_flight_is_in_use(service):
    InProgressKeyFactory(key="key-1", body={**BODY, "amount": Decimal("13.50")})

    response = post(service)

    assert_problem(response, 409, "idempotency_key_in_use")
    assert Payment.objects.count() == 0
    assert IdempotencyKey.objects.get().state == "in_progress"


def test_in_flight_claim_with_a_different_body_is_reused_not_in_use(service):
    InProgressKeyFactory(key="key-1", body={**BODY, "amount": Decimal("1.00")})

    assert_problem(post(service), 422, "idempotency_key_reused")


def test_claim_abandoned_longer_than_the_lock_timeout_is_taken_over(service, settings):
    settings.PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT = 30
    InProgressKeyFactory(
        key="key-1",
        body={**BODY, "amount": Decimal("13.50")},
        created_at=timezone.now() - timedelta(seconds=31),
    )

    response = post(service)

    assert response.status_code == 201
    key = IdempotencyKey.objects.get()
    assert key.state == "completed"
    assert str(key.payment_id) == response.json()["id"]
    assert post(service).content == response.content
    assert Payment.objects.count() == 1


# --- Idempotency-Key header ---------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "   "])
def test_missing_or_blank_key_is_refused(service, key):
    response = post(service, key=key)

    assert_problem(response, 400, "idempotency_key_missing")
    assert Payment.objects.count() == IdempotencyKey.objects.count() == 0


def test_key_of_255_characters_is_accepted(service):
    assert post(service, key="k" * 255).status_code == 201


def test_key_longer_than_255_characters_is_a_validation_error(service):
    response = post(service, key="k" * 256)

    body = assert_problem(response, 400, "validation_error")
    assert "Idempotency-Key" in body["errors"]
    assert Payment.objects.count() == IdempotencyKey.objects.count() == 0


# --- bad input: 400, nothing stored, key not bound ----------------------------


BAD_BODIES = {
    "amount zero": {**BODY, "amount": "0.00"},
    "amount zero int": {**BODY, "amount": 0},
    "amount negative": {**BODY, "amount": "-1.00"},
    "three decimals": {**BODY, "amount": "10.001"},
    "exponent string": {**BODY, "amount": "1e20"},
    "huge": {**BODY, "amount": "99999999999999.00"},
    "NaN string": {**BODY, "amount": "NaN"},
    "Infinity string": {**BODY, "amount": "Infinity"},
    "amount bool": {**BODY, "amount": True},
    "amount list": {**BODY, "amount": ["10.00"]},
    "amount null": {**BODY, "amount": None},
    "amount words": {**BODY, "amount": "ten"},
    "unknown currency": {**BODY, "currency": "XXX"},
    "lower-case currency": {**BODY, "currency": "usd"},
    "currency number": {**BODY, "currency": 840},
    "reference empty": {**BODY, "reference": ""},
    "reference too long": {**BODY, "reference": "r" * 256},
    "reference object": {**BODY, "reference": {"cart": 1}},
    "reference NUL": {**BODY, "reference": "cart:\x00"},
    "missing reference": {"amount": "10.00", "currency": "USD"},
    "missing amount": {"reference": "cart:1", "currency": "USD"},
    "missing currency": {"reference": "cart:1", "amount": "10.00"},
    "empty object": {},
    "a list": [BODY],
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_body_is_refused_stores_nothing_and_leaves_the_key_free(service, body):
    response = post(service, body)

    assert_problem(response, 400, "validation_error")
    assert Payment.objects.count() == IdempotencyKey.objects.count() == 0
    assert post(service).status_code == 201


RAW_BAD_BODIES = {
    "malformed": (b'{"reference": "cart:1", "amount": ', "malformed_request"),
    "NaN number": (
        b'{"reference": "cart:1", "amount": NaN, "currency": "USD"}',
        "malformed_request",
    ),
    "Infinity number": (
        b'{"reference": "cart:1", "amount": Infinity, "currency": "USD"}',
        "malformed_request",
    ),
    "huge number": (
        b'{"reference": "cart:1", "amount": 1e20, "currency": "USD"}',
        "validation_error",
    ),
    "tiny fraction number": (
        b'{"reference": "cart:1", "amount": 10.001, "currency": "USD"}',
        "validation_error",
    ),
    "not utf-8": (
        b'{"reference": "\xff", "amount": "1.00", "currency": "USD"}',
        "malformed_request",
    ),
}


@pytest.mark.parametrize(("raw", "code"), RAW_BAD_BODIES.values(), ids=RAW_BAD_BODIES.keys())
def test_bad_json_is_refused_and_stores_nothing(service, raw, code):
    response = service.post(
        URL, data=raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert_problem(response, 400, code)
    assert Payment.objects.count() == IdempotencyKey.objects.count() == 0


def test_missing_key_is_reported_before_a_bad_body(service):
    assert_problem(post(service, {}, key=None), 400, "idempotency_key_missing")


# --- auth ---------------------------------------------------------------------


def test_missing_token_is_not_authenticated(anon):
    response = post(anon)

    assert_problem(response, 401, "not_authenticated")
    assert Payment.objects.count() == IdempotencyKey.objects.count() == 0


@pytest.mark.parametrize(
    "header", ["Bearer wrong-token", "Token dev-payment-service-token", "Bearer"]
)
def test_wrong_token_is_not_authenticated(anon, header):
    anon.credentials(HTTP_AUTHORIZATION=header)

    response = post(anon)

    assert_problem(response, 401, "not_authenticated")
    assert Payment.objects.count() == 0
