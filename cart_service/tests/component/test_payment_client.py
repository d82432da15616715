"""PaymentClient against payment_service's HTTP answers, faked with `responses`."""

import json
from decimal import Decimal

import pytest
import requests
import responses

from carts import errors
from carts.clients.payment import PaymentClient
from servicekit.request_id import _current

BASE = "http://payments.test"
PAYMENT = {
    "id": "0b6f5c1e-8a52-4d0e-9b8e-0b8f1f0c1a11",
    "reference": "cart:abc",
    "amount": "13.50",
    "currency": "USD",
    "status": "succeeded",
    "decline_code": None,
    "created_at": "2026-11-21T10:00:00Z",
}


@pytest.fixture
def client():
    return PaymentClient(BASE, "payment-token", retries=2, backoff=0.0)


def charge(client):
    return client.charge(
        reference="cart:abc", amount=Decimal("13.50"), currency="USD", idempotency_key="k-1"
    )


def in_use():
    return {
        "json": {
            "type": "x",
            "title": "t",
            "status": 409,
            "detail": "d",
            "code": "idempotency_key_in_use",
        },
        "status": 409,
    }


def test_charge_sends_money_as_a_string_with_the_key_token_and_request_id(client, mocked):
    mocked.post(f"{BASE}/api/payments/", json=PAYMENT, status=201)
    token = _current.set("req-9")
    try:
        payment = charge(client)
    finally:
        _current.reset(token)

    assert payment.model_dump(exclude={"created_at"}) == {
        "id": PAYMENT["id"],
        "reference": "cart:abc",
        "amount": Decimal("13.50"),
        "currency": "USD",
        "status": "succeeded",
        "decline_code": None,
    }
    sent = mocked.calls[0].request
    assert json.loads(sent.body) == {"reference": "cart:abc", "amount": "13.50", "currency": "USD"}
    assert sent.headers["Idempotency-Key"] == "k-1"
    assert sent.headers["Authorization"] == "Bearer payment-token"
    assert sent.headers["X-Request-ID"] == "req-9"


def test_a_decline_is_a_payment_not_an_error(client, mocked):
    declined = {**PAYMENT, "status": "declined", "decline_code": "insufficient_funds"}
    mocked.post(f"{BASE}/api/payments/", json=declined, status=201)

    payment = charge(client)

    assert (payment.status, payment.decline_code) == ("declined", "insufficient_funds")


def test_charge_is_retried_with_the_same_key_while_in_use(client, mocked):
    mocked.post(f"{BASE}/api/payments/", **in_use())
    mocked.post(f"{BASE}/api/payments/", json=PAYMENT, status=201)

    assert charge(client).status == "succeeded"
    assert [c.request.headers["Idempotency-Key"] for c in mocked.calls] == ["k-1", "k-1"]


def test_charge_still_in_use_after_the_retries_is_unavailable(client, mocked):
    mocked.post(f"{BASE}/api/payments/", **in_use())

    with pytest.raises(errors.PaymentServiceUnavailable):
        charge(client)

    assert len(mocked.calls) == 3


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectTimeout(),
        requests.exceptions.ReadTimeout(),
        requests.exceptions.ConnectionError("refused"),
    ],
)
def test_charge_retries_network_failures_then_reports_unavailable(client, mocked, failure):
    mocked.post(f"{BASE}/api/payments/", body=failure)

    with pytest.raises(errors.PaymentServiceUnavailable) as raised:
        charge(client)

    assert raised.value.code == "payment_service_unavailable"
    assert len(mocked.calls) == 3
    assert {c.request.headers["Idempotency-Key"] for c in mocked.calls} == {"k-1"}


def test_charge_succeeds_after_a_read_timeout_then_a_replay(client, mocked):
    mocked.post(f"{BASE}/api/payments/", body=requests.exceptions.ReadTimeout())
    mocked.post(f"{BASE}/api/payments/", json=PAYMENT, status=201)

    assert charge(client).id == PAYMENT["id"]


@pytest.mark.parametrize(
    "body",
    [
        "<html>oops</html>",
        json.dumps({**PAYMENT, "amount": 13.5}),
        json.dumps({**PAYMENT, "amount": "13.5"}),
        json.dumps({**PAYMENT, "status": "pending"}),
        json.dumps({k: v for k, v in PAYMENT.items() if k != "id"}),
        json.dumps({**PAYMENT, "decline_code": 7}),
    ],
)
def test_malformed_payment_bodies_are_unavailable(client, mocked, body):
    mocked.post(f"{BASE}/api/payments/", body=body, status=201, content_type="application/json")

    with pytest.raises(errors.PaymentServiceUnavailable):
        charge(client)


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (422, "idempotency_key_reused", errors.PaymentKeyReused),
        (400, "validation_error", errors.PaymentRefused),
        (404, "not_found", errors.PaymentRefused),
        (401, "not_authenticated", errors.PaymentServiceUnavailable),
    ],
)
def test_client_errors_from_payment_service_are_logged_not_retried(
    client, mocked, caplog, status, code, error
):
    mocked.post(f"{BASE}/api/payments/", json={"code": code, "status": status}, status=status)

    with pytest.raises(error) as raised:
        charge(client)

    assert len(mocked.calls) == 1
    assert isinstance(raised.value, errors.PaymentRefused) == (error is errors.PaymentRefused)
    assert "ERROR" in caplog.text


def test_an_html_404_is_unavailable_not_a_refusal(client, mocked):
    # a wrong base URL: nothing says payment_service refused anything
    mocked.post(f"{BASE}/api/payments/", body="<html>not here</html>", status=404)

    with pytest.raises(errors.PaymentServiceUnavailable):
        charge(client)


def test_list_by_reference_follows_the_pages(client, mocked):
    second = {**PAYMENT, "id": "p-2"}
    mocked.get(
        f"{BASE}/api/payments/",
        match=[
            responses.matchers.query_param_matcher({"reference": "cart:abc", "page_size": "100"})
        ],
        json={
            "count": 2,
            "next": f"{BASE}/api/payments/?reference=cart%3Aabc&page=2",
            "previous": None,
            "results": [PAYMENT],
        },
    )
    mocked.get(
        f"{BASE}/api/payments/",
        match=[responses.matchers.query_param_matcher({"reference": "cart:abc", "page": "2"})],
        json={"count": 2, "next": None, "previous": None, "results": [second]},
    )

    payments = client.list_by_reference("cart:abc")

    assert [p.id for p in payments] == [PAYMENT["id"], "p-2"]
