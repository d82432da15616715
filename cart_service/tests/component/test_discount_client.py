"""DiscountClient against discount_service's HTTP answers, faked with `responses`."""

import json
from decimal import Decimal

import pytest
import requests

from carts import errors
from carts.clients.discount import Discount, DiscountClient
from servicekit.request_id import _current

BASE = "http://discounts.test"
CART_ID = "5d1c0a3e-8d4b-4b8f-9f5e-1c2d3e4f5a6b"
DISCOUNT = {
    "code": "SAVE10",
    "description": "Ten percent off",
    "kind": "percent",
    "value": "10.00",
    "currency": None,
    "starts_at": "2026-01-01T00:00:00Z",
    "ends_at": "2026-12-31T23:59:59Z",
    "max_redemptions": 100,
    "times_redeemed": 3,
    "is_active": True,
    "status": "active",
    "created_at": "2026-01-01T00:00:00Z",
}
REDEMPTION = {"code": "SAVE10", "cart_id": CART_ID, "created_at": "2026-11-21T10:00:00Z"}


@pytest.fixture
def client():
    return DiscountClient(BASE, "discount-token", retries=2, backoff=0.0, time_budget=5.0)


def problem(status, code):
    return {
        "json": {"type": "x", "title": "t", "status": status, "detail": "d", "code": code},
        "status": status,
        "content_type": "application/problem+json",
    }


def test_get_maps_the_discount_and_sends_token_and_request_id(client, mocked):
    mocked.get(f"{BASE}/api/discounts/SAVE10/", json=DISCOUNT)
    token = _current.set("req-123")
    try:
        discount = client.get("SAVE10")
    finally:
        _current.reset(token)

    assert discount == Discount(
        code="SAVE10", kind="percent", value=Decimal("10.00"), currency=None, status="active"
    )
    sent = mocked.calls[0].request
    assert sent.headers["Authorization"] == "Bearer discount-token"
    assert sent.headers["X-Request-ID"] == "req-123"


def test_every_call_has_connect_and_read_timeouts(client):
    seen = []

    def refused(prepared, timeout):
        seen.append(timeout)
        raise requests.ConnectionError("refused")

    client.send = refused
    with pytest.raises(errors.DiscountServiceUnavailable):
        client.get("SAVE10")

    assert seen == [(1.0, 3.0)] * 3


def test_code_is_percent_encoded_into_the_path(client, mocked):
    mocked.get(f"{BASE}/api/discounts/A%2F..%2Fx/", **problem(404, "discount_not_found"))

    with pytest.raises(errors.DiscountNotFound):
        client.get("A/../x")


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (404, "discount_not_found", errors.DiscountNotFound),
        (422, "discount_expired", errors.DiscountExpired),
        (422, "discount_not_started", errors.DiscountNotFound),  # not revealed: "not found"
        (422, "discount_inactive", errors.DiscountInactive),
        (422, "discount_exhausted", errors.DiscountExhausted),
    ],
)
def test_redeem_maps_provider_refusals_to_cart_refusals(client, mocked, status, code, error):
    mocked.post(f"{BASE}/api/discounts/SAVE10/redemptions/", **problem(status, code))

    with pytest.raises(error) as raised:
        client.redeem("SAVE10", CART_ID)

    assert raised.value.status == 422
    assert raised.value.code == error.code
    assert len(mocked.calls) == 1  # refusals are answers, not failures: no retry


@pytest.mark.parametrize("status", [200, 201])
def test_redeem_accepts_first_and_repeated_redemptions(client, mocked, status):
    mocked.post(f"{BASE}/api/discounts/SAVE10/redemptions/", json=REDEMPTION, status=status)

    redemption = client.redeem("SAVE10", CART_ID)

    assert (redemption.code, redemption.cart_id) == ("SAVE10", CART_ID)
    assert redemption.created_at.isoformat() == "2026-11-21T10:00:00+00:00"
    assert json.loads(mocked.calls[0].request.body) == {"cart_id": CART_ID}


def test_redeem_is_retried_after_a_5xx(client, mocked):
    url = f"{BASE}/api/discounts/SAVE10/redemptions/"
    mocked.post(url, status=502, body="bad gateway")
    mocked.post(url, json=REDEMPTION, status=201)

    assert client.redeem("SAVE10", CART_ID).code == "SAVE10"
    assert len(mocked.calls) == 2


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectTimeout("connect timeout"),
        requests.exceptions.ReadTimeout("read timeout"),
        requests.exceptions.ConnectionError("connection refused"),
    ],
)
def test_get_retries_network_failures_then_reports_unavailable(client, mocked, failure):
    mocked.get(f"{BASE}/api/discounts/SAVE10/", body=failure)

    with pytest.raises(errors.DiscountServiceUnavailable) as raised:
        client.get("SAVE10")

    assert raised.value.status == 503
    assert raised.value.code == "discount_service_unavailable"
    assert len(mocked.calls) == 3  # one try and two retries


def test_retries_stop_at_the_time_budget(mocked):
    client = DiscountClient(BASE, "t", retries=5, backoff=0.5, time_budget=1.0)
    waits = []
    client._sleep = waits.append
    mocked.get(f"{BASE}/api/discounts/SAVE10/", status=503)

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.get("SAVE10")

    assert waits == [0.5]  # the next wait (1.0) would not fit in the 1 s budget
    assert len(mocked.calls) == 2


def test_timeouts_are_capped_by_the_remaining_budget(mocked):
    client = DiscountClient(BASE, "t", connect_timeout=5, read_timeout=30, time_budget=2.0)
    mocked.get(f"{BASE}/api/discounts/SAVE10/", json=DISCOUNT)
    seen = []
    real_send = client.send

    def spy(prepared, timeout):
        seen.append(timeout)
        return real_send(prepared, timeout)

    client.send = spy
    client.get("SAVE10")

    assert seen[0][0] <= 2.0
    assert seen[0][1] <= 2.0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><body>Bad gateway</body></html>", "text/html"),
        ("[]", "application/json"),
        (json.dumps({**DISCOUNT, "value": 10.0}), "application/json"),  # a float, not money
        (json.dumps({**DISCOUNT, "value": "ten"}), "application/json"),
        (json.dumps({k: v for k, v in DISCOUNT.items() if k != "kind"}), "application/json"),
        (json.dumps({**DISCOUNT, "kind": "bogus"}), "application/json"),
        (json.dumps({**DISCOUNT, "status": 1}), "application/json"),
        (json.dumps({**DISCOUNT, "code": None}), "application/json"),
    ],
)
def test_malformed_bodies_are_reported_as_unavailable(client, mocked, body, content_type):
    mocked.get(f"{BASE}/api/discounts/SAVE10/", body=body, content_type=content_type)

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.get("SAVE10")


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_is_our_misconfiguration_logged_and_unavailable(
    client, mocked, caplog, status
):
    mocked.get(f"{BASE}/api/discounts/SAVE10/", **problem(status, "not_authenticated"))

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.get("SAVE10")

    assert "refused our token" in caplog.text
    assert len(mocked.calls) == 1


def test_a_404_that_is_not_a_discount_problem_is_not_mistaken_for_an_unknown_code(client, mocked):
    mocked.get(f"{BASE}/api/discounts/SAVE10/", body="<h1>Not Found</h1>", status=404)

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.get("SAVE10")


@pytest.mark.parametrize("status", [204, 200])
def test_release_succeeds_on_no_content(client, mocked, status):
    mocked.delete(f"{BASE}/api/discounts/SAVE10/redemptions/{CART_ID}/", status=status)

    assert client.release("SAVE10", CART_ID) is None


def test_release_is_retried_then_reports_unavailable(client, mocked):
    mocked.delete(f"{BASE}/api/discounts/SAVE10/redemptions/{CART_ID}/", status=500)

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.release("SAVE10", CART_ID)

    assert len(mocked.calls) == 3


def test_a_redirect_is_not_followed_with_our_token(client, mocked):
    """A provider that answers 3xx is misconfigured: the token must not go elsewhere."""
    mocked.get(
        f"{BASE}/api/discounts/SAVE10/",
        status=302,
        headers={"Location": "http://elsewhere.test/steal/"},
    )
    mocked.get("http://elsewhere.test/steal/", json=DISCOUNT)

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.get("SAVE10")

    assert [call.request.url for call in mocked.calls] == [f"{BASE}/api/discounts/SAVE10/"]


def test_an_unusable_answer_raises_unavailable_and_logs_why(client, caplog):
    response = requests.Response()
    response.status_code, response._content = 502, b"<html>Bad gateway</html>"
    response.request = requests.Request("GET", f"{BASE}/api/discounts/SAVE10/").prepare()
    response.url = response.request.url

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.fail(response, "a proxy's error page")

    assert "a proxy's error page" in caplog.text
    assert "<html>Bad gateway" in caplog.text
