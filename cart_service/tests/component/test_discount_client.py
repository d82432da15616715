"""DiscountClient against discount_service's HTTP answers, faked with `responses`."""

import json
from decimal import Decimal

import pytest
import requests

from carts import errors
from carts.clients.discount import CartLine, CartTerms, Discount, DiscountClient
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
ELIGIBILITY = f"{BASE}/api/discounts/SAVE10/eligibility/"
CART = CartTerms(
    "USD", (CartLine("MUG-1", 2, Decimal("7.50")), CartLine("TEA-1", 1, Decimal("4.00")))
)
CART_JSON = {
    "currency": "USD",
    "items": [
        {"sku": "MUG-1", "quantity": 2, "unit_price": "7.50"},
        {"sku": "TEA-1", "quantity": 1, "unit_price": "4.00"},
    ],
}


@pytest.fixture
def client():
    return DiscountClient(BASE, "discount-token", retries=2, backoff=0.0, time_budget=5.0)


def problem(status, code):
    return {
        "json": {"type": "x", "title": "t", "status": status, "detail": "d", "code": code},
        "status": status,
        "content_type": "application/problem+json",
    }


def test_check_maps_the_discount_and_sends_the_cart_token_and_request_id(client, mocked):
    mocked.post(ELIGIBILITY, json=DISCOUNT)
    token = _current.set("req-123")
    try:
        discount = client.check("SAVE10", CART)
    finally:
        _current.reset(token)

    assert discount == Discount(
        code="SAVE10", kind="percent", value=Decimal("10.00"), currency=None, status="active"
    )
    sent = mocked.calls[0].request
    assert json.loads(sent.body) == {"cart": CART_JSON}
    assert sent.headers["Authorization"] == "Bearer discount-token"
    assert sent.headers["X-Request-ID"] == "req-123"


def test_every_call_has_connect_and_read_timeouts(client):
    seen = []

    def refused(prepared, timeout):
        seen.append(timeout)
        raise requests.ConnectionError("refused")

    client.send = refused
    with pytest.raises(errors.DiscountServiceUnavailable):
        client.check("SAVE10", CART)

    assert seen == [(1.0, 3.0)] * 3


def test_code_is_percent_encoded_into_the_path(client, mocked):
    mocked.post(
        f"{BASE}/api/discounts/A%2F..%2Fx/eligibility/", **problem(404, "discount_not_found")
    )

    with pytest.raises(errors.DiscountNotFound):
        client.check("A/../x", CART)


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
        client.redeem("SAVE10", CART_ID, CART)

    assert raised.value.status == 422
    assert raised.value.code == error.code
    assert len(mocked.calls) == 1  # refusals are answers, not failures: no retry


@pytest.mark.parametrize("status", [200, 201])
def test_redeem_accepts_first_and_repeated_redemptions(client, mocked, status):
    mocked.post(f"{BASE}/api/discounts/SAVE10/redemptions/", json=REDEMPTION, status=status)

    redemption = client.redeem("SAVE10", CART_ID, CART)

    assert (redemption.code, redemption.cart_id) == ("SAVE10", CART_ID)
    assert redemption.created_at.isoformat() == "2026-11-21T10:00:00+00:00"
    assert json.loads(mocked.calls[0].request.body) == {"cart_id": CART_ID, "cart": CART_JSON}


def test_redeem_is_retried_after_a_5xx(client, mocked):
    url = f"{BASE}/api/discounts/SAVE10/redemptions/"
    mocked.post(url, status=502, body="bad gateway")
    mocked.post(url, json=REDEMPTION, status=201)

    assert client.redeem("SAVE10", CART_ID, CART).code == "SAVE10"
    assert len(mocked.calls) == 2


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectTimeout("connect timeout"),
        requests.exceptions.ReadTimeout("read timeout"),
        requests.exceptions.ConnectionError("connection refused"),
    ],
)
def test_check_retries_network_failures_then_reports_unavailable(client, mocked, failure):
    mocked.post(ELIGIBILITY, body=failure)

    with pytest.raises(errors.DiscountServiceUnavailable) as raised:
        client.check("SAVE10", CART)

    assert raised.value.status == 503
    assert raised.value.code == "discount_service_unavailable"
    assert len(mocked.calls) == 3  # one try and two retries


def test_retries_stop_at_the_time_budget(mocked):
    client = DiscountClient(BASE, "t", retries=5, backoff=0.5, time_budget=1.0)
    waits = []
    client._sleep = waits.append
    mocked.post(ELIGIBILITY, status=503)

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.check("SAVE10", CART)

    assert waits == [0.5]  # the next wait (1.0) would not fit in the 1 s budget
    assert len(mocked.calls) == 2


def test_timeouts_are_capped_by_the_remaining_budget(mocked):
    client = DiscountClient(BASE, "t", connect_timeout=5, read_timeout=30, time_budget=2.0)
    mocked.post(ELIGIBILITY, json=DISCOUNT)
    seen = []
    real_send = client.send

    def spy(prepared, timeout):
        seen.append(timeout)
        return real_send(prepared, timeout)

    client.send = spy
    client.check("SAVE10", CART)

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
    mocked.post(ELIGIBILITY, body=body, content_type=content_type)

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.check("SAVE10", CART)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_is_our_misconfiguration_logged_and_unavailable(
    client, mocked, caplog, status
):
    mocked.post(ELIGIBILITY, **problem(status, "not_authenticated"))

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.check("SAVE10", CART)

    assert "refused our token" in caplog.text
    assert len(mocked.calls) == 1


def test_a_404_that_is_not_a_discount_problem_is_not_mistaken_for_an_unknown_code(client, mocked):
    mocked.post(ELIGIBILITY, body="<h1>Not Found</h1>", status=404)

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.check("SAVE10", CART)


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
    mocked.post(
        ELIGIBILITY,
        status=307,
        headers={"Location": "http://elsewhere.test/steal/"},
    )
    mocked.post("http://elsewhere.test/steal/", json=DISCOUNT)

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.check("SAVE10", CART)

    assert [call.request.url for call in mocked.calls] == [ELIGIBILITY]


def test_an_unusable_answer_raises_unavailable_and_logs_why(client, caplog):
    response = requests.Response()
    response.status_code, response._content = 502, b"<html>Bad gateway</html>"
    response.request = requests.Request("POST", ELIGIBILITY).prepare()
    response.url = response.request.url

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.fail(response, "a proxy's error page")

    assert "a proxy's error page" in caplog.text
    assert "<html>Bad gateway" in caplog.text


def test_a_promotions_rules_are_read_from_the_check(client, mocked):
    rules = {"minimum_subtotal": "50.00", "minimum_items": 3, "skus": ["MUG-1", "MUG-2"]}
    mocked.post(ELIGIBILITY, json={**DISCOUNT, **rules})

    discount = client.check("SAVE10", CART)

    assert (discount.minimum_subtotal, discount.minimum_items, discount.skus) == (
        Decimal("50.00"),
        3,
        ("MUG-1", "MUG-2"),
    )


@pytest.mark.parametrize(
    ("code", "extensions", "error"),
    [
        ("discount_code_used", {}, errors.DiscountCodeUsed),
        ("discount_currency_mismatch", {}, errors.DiscountCurrencyMismatch),
        (
            "discount_minimum_not_met",
            {"minimum_subtotal": "50.00", "currency": "USD", "missing": "31.00"},
            errors.DiscountMinimumNotMet,
        ),
        (
            "discount_minimum_items_not_met",
            {"minimum_items": 5, "missing_items": 2},
            errors.DiscountMinimumItemsNotMet,
        ),
        ("discount_not_applicable", {"skus": ["CUP-1"]}, errors.DiscountNotApplicable),
    ],
)
@pytest.mark.parametrize("call", ["check", "redeem"])
def test_a_rules_refusal_keeps_its_code_detail_and_what_the_storefront_shows(
    client, mocked, code, extensions, error, call
):
    body = problem(422, code)
    body["json"] = {**body["json"], "detail": "Add 31.00 more.", **extensions, "internal": "x"}
    mocked.post(ELIGIBILITY, **body)
    mocked.post(f"{BASE}/api/discounts/SAVE10/redemptions/", **body)

    with pytest.raises(error) as raised:
        client.check("SAVE10", CART) if call == "check" else client.redeem("SAVE10", CART_ID, CART)

    problem_ = raised.value.as_problem()
    assert (problem_["status"], problem_["code"], problem_["detail"]) == (
        422,
        code,
        "Add 31.00 more.",
    )
    assert {k: problem_[k] for k in extensions} == extensions
    assert "internal" not in problem_  # only the members the contract names are passed on


def test_a_hidden_refusal_does_not_pass_the_providers_detail_on(client, mocked):
    body = problem(422, "discount_not_started")
    body["json"] = {**body["json"], "detail": "The discount 'SAVE10' starts tomorrow."}
    mocked.post(ELIGIBILITY, **body)

    with pytest.raises(errors.DiscountNotFound) as raised:
        client.check("SAVE10", CART)

    assert "tomorrow" not in raised.value.detail


def test_a_cart_required_refusal_is_our_bug_reported_as_unavailable(client, mocked):
    """cart_service always sends the cart: discount_service asking for it is no shopper's doing."""
    mocked.post(
        f"{BASE}/api/discounts/SAVE10/redemptions/", **problem(422, "discount_cart_required")
    )

    with pytest.raises(errors.DiscountServiceUnavailable):
        client.redeem("SAVE10", CART_ID, CART)
