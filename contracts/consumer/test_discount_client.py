"""cart_service → discount_service, driven through cart_service's real DiscountClient."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from pact import match

from carts import errors
from carts.clients.discount import DiscountClient
from contracts.common import PROBLEM_JSON, TOKENS, WRONG_TOKEN, bearer, money, problem, timestamp

TOKEN = TOKENS["DISCOUNT_SERVICE_TOKEN"]
CART_ID = "5d1c2f4e-8b9a-4c3d-9e1f-2a3b4c5d6e7f"


def client(srv, token: str = TOKEN) -> DiscountClient:
    return DiscountClient(str(srv.url), token, retries=0, time_budget=10.0)


def discount_body(code: str, *, kind: str, value: str, currency, status: str) -> dict:
    """What the cart reads of a discount; its status is exact: the cart branches on it."""
    return {
        "code": match.str(code),
        "kind": kind,
        "value": money(value),
        "currency": None if currency is None else match.regex(currency, regex=r"^[A-Z]{3}$"),
        "status": status,
    }


def lookup(pact, description: str, code: str, state_params: dict, body: dict):
    (
        pact.upon_receiving(description)
        .given("a discount exists", code=code, **state_params)
        .with_request("GET", f"/api/discounts/{code}/")
        .with_header("Authorization", bearer(TOKEN))
        .will_respond_with(200)
        .with_body(body, content_type="application/json")
    )


def test_fetch_an_active_percent_discount(discount_pact):
    lookup(
        discount_pact,
        "a request for an active percent discount",
        "SAVE10",
        {"kind": "percent", "value": "10.00"},
        discount_body("SAVE10", kind="percent", value="10.00", currency=None, status="active"),
    )
    with discount_pact.serve() as srv:
        discount = client(srv).get("SAVE10")
    assert discount.kind == "percent"
    assert discount.value == Decimal("10.00")
    assert discount.currency is None
    assert discount.status == "active"


def test_fetch_an_active_fixed_discount(discount_pact):
    lookup(
        discount_pact,
        "a request for an active fixed discount",
        "FIVEOFF",
        {"kind": "fixed", "value": "5.00", "currency": "USD"},
        discount_body("FIVEOFF", kind="fixed", value="5.00", currency="USD", status="active"),
    )
    with discount_pact.serve() as srv:
        discount = client(srv).get("FIVEOFF")
    assert (discount.kind, discount.value, discount.currency) == ("fixed", Decimal("5.00"), "USD")
    assert discount.status == "active"


@pytest.mark.parametrize(
    ("status", "code", "state_params"),
    [
        (
            "scheduled",
            "LATER10",
            {"starts_at": "2099-01-01T00:00:00Z", "ends_at": "2099-12-31T23:59:59Z"},
        ),
        (
            "expired",
            "OLD10",
            {"starts_at": "2020-01-01T00:00:00Z", "ends_at": "2020-12-31T23:59:59Z"},
        ),
        ("inactive", "PAUSED10", {"is_active": False}),
        ("exhausted", "GONE10", {"max_redemptions": 1, "times_redeemed": 1}),
    ],
)
def test_fetch_a_discount_the_cart_refuses(discount_pact, status, code, state_params):
    lookup(
        discount_pact,
        f"a request for a discount whose status is {status}",
        code,
        {"kind": "percent", "value": "10.00", **state_params},
        discount_body(code, kind="percent", value="10.00", currency=None, status=status),
    )
    with discount_pact.serve() as srv:
        discount = client(srv).get(code)
    assert discount.status == status
    assert status in errors.DISCOUNT_STATUS_REFUSALS


def test_fetch_an_unknown_discount(discount_pact):
    (
        discount_pact.upon_receiving("a request for an unknown discount")
        .given("no discount exists", code="NOPE10")
        .with_request("GET", "/api/discounts/NOPE10/")
        .with_header("Authorization", bearer(TOKEN))
        .will_respond_with(404)
        .with_body(problem(404, "discount_not_found"), content_type=PROBLEM_JSON)
    )
    with discount_pact.serve() as srv, pytest.raises(errors.DiscountNotFound):
        client(srv).get("NOPE10")


def redemption_body(code: str) -> dict:
    return {"code": match.str(code), "cart_id": match.uuid(CART_ID), "created_at": timestamp()}


def redeem_request(pact, description: str, code: str):
    return (
        pact.upon_receiving(description)
        .with_request("POST", f"/api/discounts/{code}/redemptions/")
        .with_header("Authorization", bearer(TOKEN))
        .with_body({"cart_id": match.uuid(CART_ID)}, content_type="application/json")
    )


def test_redeem_a_discount_for_a_cart(discount_pact):
    (
        redeem_request(discount_pact, "a first redemption of a discount by a cart", "SAVE10")
        .given("a discount exists", code="SAVE10", kind="percent", value="10.00")
        .will_respond_with(201)
        .with_body(redemption_body("SAVE10"), content_type="application/json")
    )
    with discount_pact.serve() as srv:
        redemption = client(srv).redeem("SAVE10", CART_ID)
    assert (redemption.code, redemption.cart_id) == ("SAVE10", CART_ID)
    assert isinstance(redemption.created_at, datetime)


def test_redeem_again_for_the_same_cart_is_idempotent(discount_pact):
    (
        redeem_request(
            discount_pact, "a repeated redemption of a discount by the same cart", "SAVE10"
        )
        .given("a discount is redeemed by a cart", code="SAVE10", cart_id=CART_ID)
        .will_respond_with(200)
        .with_body(redemption_body("SAVE10"), content_type="application/json")
    )
    with discount_pact.serve() as srv:
        redemption = client(srv).redeem("SAVE10", CART_ID)
    assert redemption.cart_id == CART_ID


@pytest.mark.parametrize(
    ("code", "refusal", "state_params", "error"),
    [
        (
            "GONE10",
            "discount_exhausted",
            {"max_redemptions": 1, "times_redeemed": 1},
            errors.DiscountExhausted,
        ),
        (
            "OLD10",
            "discount_expired",
            {"starts_at": "2020-01-01T00:00:00Z", "ends_at": "2020-12-31T23:59:59Z"},
            errors.DiscountExpired,
        ),
    ],
)
def test_redeem_a_discount_that_is_refused(discount_pact, code, refusal, state_params, error):
    (
        redeem_request(discount_pact, f"a redemption refused with {refusal}", code)
        .given("a discount exists", code=code, kind="percent", value="10.00", **state_params)
        .will_respond_with(422)
        .with_body(problem(422, refusal), content_type=PROBLEM_JSON)
    )
    with discount_pact.serve() as srv, pytest.raises(error) as raised:
        client(srv).redeem(code, CART_ID)
    assert raised.value.code == refusal


def test_a_held_use_of_a_discount_switched_off_since_is_refused(discount_pact):
    # The cart staged a use, then the shop switched the code off: the cart must not get
    # the discount (issue 23), and must give the use back itself.
    (
        redeem_request(
            discount_pact,
            "a redemption by a cart holding a use of a discount switched off",
            "OFF10",
        )
        .given("a discount is redeemed by a cart", code="OFF10", cart_id=CART_ID, is_active=False)
        .will_respond_with(422)
        .with_body(problem(422, "discount_inactive"), content_type=PROBLEM_JSON)
    )
    with discount_pact.serve() as srv, pytest.raises(errors.DiscountInactive):
        client(srv).redeem("OFF10", CART_ID)


def test_release_a_redemption(discount_pact):
    (
        discount_pact.upon_receiving("a release of a cart's redemption")
        .given("a discount is redeemed by a cart", code="SAVE10", cart_id=CART_ID)
        .with_request("DELETE", f"/api/discounts/SAVE10/redemptions/{CART_ID}/")
        .with_header("Authorization", bearer(TOKEN))
        .will_respond_with(204)
    )
    with discount_pact.serve() as srv:
        assert client(srv).release("SAVE10", CART_ID) is None


def test_a_rejected_token_makes_the_service_unavailable_to_the_cart(discount_pact):
    (
        discount_pact.upon_receiving("a request with a token the service does not know")
        .given("a discount exists", code="SAVE10", kind="percent", value="10.00")
        .with_request("GET", "/api/discounts/SAVE10/")
        .with_header("Authorization", f"Bearer {WRONG_TOKEN}")
        .will_respond_with(401)
        .with_body(problem(401, "not_authenticated"), content_type=PROBLEM_JSON)
    )
    with discount_pact.serve() as srv, pytest.raises(errors.DiscountServiceUnavailable):
        client(srv, token=WRONG_TOKEN).get("SAVE10")
