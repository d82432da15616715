"""cart_service → discount_service, driven through cart_service's real DiscountClient.

The cart asks with what a promotion's rules need: its currency and lines, when a code is
applied (``…/eligibility/``) and when it is redeemed at checkout (``…/redemptions/``). The
rules' refusals name what the storefront shows ("add 31.00 more"), and the discount's
``skus`` is pinned (null or the list): a provider that dropped it would have the cart take
a restricted discount off the whole cart.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from pact import match

from carts import errors
from carts.clients.discount import CartLine, CartTerms, DiscountClient
from contracts.common import PROBLEM_JSON, TOKENS, WRONG_TOKEN, bearer, money, problem, timestamp

TOKEN = TOKENS["DISCOUNT_SERVICE_TOKEN"]
CART_ID = "5d1c2f4e-8b9a-4c3d-9e1f-2a3b4c5d6e7f"
OTHER_CART_ID = "7e2d3f5a-9c0b-4d4e-8f2a-3b4c5d6e7f80"
# Two mugs at 7.50 and a tea at 4.00: subtotal 19.00, three items.
CART = CartTerms(
    "USD", (CartLine("MUG-1", 2, Decimal("7.50")), CartLine("TEA-1", 1, Decimal("4.00")))
)
CART_JSON = CART.as_json()
# Any cart, matched by shape: what a check or redemption that no rule decides sends. cart_service's
# provider verification serves these interactions from ``pact stub`` to whatever cart the
# storefront's states hold, so they must match every cart, not only this one.
ANY_CART = {
    "currency": match.regex(CART.currency, regex=r"^[A-Z]{3}$"),
    "items": match.each_like(
        {
            "sku": match.str(CART.items[0].sku),
            "quantity": match.int(CART.items[0].quantity),
            "unit_price": money(str(CART.items[0].unit_price)),
        },
        min=1,
    ),
}
# A single-use code a promotion issued (the state issues it as it is named).
ISSUED = "NEWS-7K3MQ9ZD2XWA"


def client(srv, token: str = TOKEN) -> DiscountClient:
    return DiscountClient(str(srv.url), token, retries=0, time_budget=10.0)


def discount_body(code: str, *, kind: str, value: str, currency=None, skus=None) -> dict:
    """What the cart reads of a discount it may have: active, and its skus exactly."""
    return {
        "code": match.str(code),
        "kind": kind,
        "value": money(value),
        "currency": None if currency is None else match.regex(currency, regex=r"^[A-Z]{3}$"),
        "status": "active",
        "skus": skus,
    }


def eligibility(pact, description: str, code: str, cart: dict = ANY_CART):
    return (
        pact.upon_receiving(description)
        .with_request("POST", f"/api/discounts/{code}/eligibility/")
        .with_header("Authorization", bearer(TOKEN))
        .with_body({"cart": cart}, content_type="application/json")
    )


def test_check_an_active_percent_discount_against_the_cart(discount_pact):
    (
        eligibility(discount_pact, "a check of an active percent discount", "SAVE10")
        .given("a discount exists", code="SAVE10", kind="percent", value="10.00")
        .will_respond_with(200)
        .with_body(
            discount_body("SAVE10", kind="percent", value="10.00"), content_type="application/json"
        )
    )
    with discount_pact.serve() as srv:
        discount = client(srv).check("SAVE10", CART)
    assert (discount.kind, discount.value, discount.currency) == ("percent", Decimal("10.00"), None)
    assert discount.skus is None  # the whole cart


def test_check_an_active_fixed_discount(discount_pact):
    (
        eligibility(discount_pact, "a check of an active fixed discount", "FIVEOFF")
        .given("a discount exists", code="FIVEOFF", kind="fixed", value="5.00", currency="USD")
        .will_respond_with(200)
        .with_body(
            discount_body("FIVEOFF", kind="fixed", value="5.00", currency="USD"),
            content_type="application/json",
        )
    )
    with discount_pact.serve() as srv:
        discount = client(srv).check("FIVEOFF", CART)
    assert (discount.kind, discount.value, discount.currency) == ("fixed", Decimal("5.00"), "USD")


def test_check_a_discount_for_some_products(discount_pact):
    (
        eligibility(discount_pact, "a check of a discount for mugs only", "MUGS20", CART_JSON)
        .given("a discount exists", code="MUGS20", kind="percent", value="20.00", skus=["MUG-1"])
        .will_respond_with(200)
        .with_body(
            discount_body("MUGS20", kind="percent", value="20.00", skus=["MUG-1"]),
            content_type="application/json",
        )
    )
    with discount_pact.serve() as srv:
        discount = client(srv).check("MUGS20", CART)
    assert discount.skus == ("MUG-1",)


def test_check_a_discount_whose_minimum_the_cart_does_not_reach(discount_pact):
    (
        eligibility(
            discount_pact, "a check of a discount over 50.00 by a cart of 19.00", "BIG50", CART_JSON
        )
        .given(
            "a discount exists",
            code="BIG50",
            kind="percent",
            value="10.00",
            currency="USD",
            minimum_subtotal="50.00",
        )
        .will_respond_with(422)
        .with_body(
            {
                **problem(422, "discount_minimum_not_met"),
                "minimum_subtotal": "50.00",
                "currency": "USD",
                "missing": "31.00",
            },
            content_type=PROBLEM_JSON,
        )
    )
    with discount_pact.serve() as srv, pytest.raises(errors.DiscountMinimumNotMet) as raised:
        client(srv).check("BIG50", CART)
    shown = raised.value.as_problem()
    assert (shown["minimum_subtotal"], shown["currency"], shown["missing"]) == (
        "50.00",
        "USD",
        "31.00",
    )


def test_check_a_discount_that_asks_for_more_items(discount_pact):
    (
        eligibility(
            discount_pact,
            "a check of a discount for 5 items by a cart of 3",
            "FIVEITEMS",
            CART_JSON,
        )
        .given(
            "a discount exists", code="FIVEITEMS", kind="percent", value="10.00", minimum_items=5
        )
        .will_respond_with(422)
        .with_body(
            {
                **problem(422, "discount_minimum_items_not_met"),
                "minimum_items": 5,
                "missing_items": 2,
            },
            content_type=PROBLEM_JSON,
        )
    )
    with discount_pact.serve() as srv, pytest.raises(errors.DiscountMinimumItemsNotMet) as raised:
        client(srv).check("FIVEITEMS", CART)
    assert raised.value.as_problem()["missing_items"] == 2


def test_check_a_discount_for_products_the_cart_does_not_hold(discount_pact):
    (
        eligibility(
            discount_pact, "a check of a discount for cups by a cart without", "CUPS20", CART_JSON
        )
        .given("a discount exists", code="CUPS20", kind="percent", value="20.00", skus=["CUP-1"])
        .will_respond_with(422)
        .with_body(
            {**problem(422, "discount_not_applicable"), "skus": ["CUP-1"]},
            content_type=PROBLEM_JSON,
        )
    )
    with discount_pact.serve() as srv, pytest.raises(errors.DiscountNotApplicable) as raised:
        client(srv).check("CUPS20", CART)
    assert raised.value.as_problem()["skus"] == ["CUP-1"]


@pytest.mark.parametrize(
    ("refusal", "code", "state_params", "error"),
    [
        (
            "discount_not_started",
            "LATER10",
            {"starts_at": "2099-01-01T00:00:00Z", "ends_at": "2099-12-31T23:59:59Z"},
            errors.DiscountNotFound,  # not revealed to shoppers
        ),
        (
            "discount_expired",
            "OLD10",
            {"starts_at": "2020-01-01T00:00:00Z", "ends_at": "2020-12-31T23:59:59Z"},
            errors.DiscountExpired,
        ),
        ("discount_inactive", "PAUSED10", {"is_active": False}, errors.DiscountInactive),
        (
            "discount_exhausted",
            "GONE10",
            {"max_redemptions": 1, "times_redeemed": 1},
            errors.DiscountExhausted,
        ),
    ],
)
def test_check_a_discount_the_cart_may_not_have(discount_pact, refusal, code, state_params, error):
    (
        eligibility(discount_pact, f"a check of a discount refused with {refusal}", code)
        .given("a discount exists", code=code, kind="percent", value="10.00", **state_params)
        .will_respond_with(422)
        .with_body(problem(422, refusal), content_type=PROBLEM_JSON)
    )
    with discount_pact.serve() as srv, pytest.raises(error):
        client(srv).check(code, CART)


def test_check_an_unknown_discount(discount_pact):
    (
        eligibility(discount_pact, "a check of an unknown discount", "NOPE10")
        .given("no discount exists", code="NOPE10")
        .will_respond_with(404)
        .with_body(problem(404, "discount_not_found"), content_type=PROBLEM_JSON)
    )
    with discount_pact.serve() as srv, pytest.raises(errors.DiscountNotFound):
        client(srv).check("NOPE10", CART)


def test_check_a_single_use_code_another_cart_used(discount_pact):
    (
        eligibility(discount_pact, "a check of a single-use code another cart redeemed", ISSUED)
        .given(
            "a promotion with issued codes exists",
            code="NEWS24",
            codes=[ISSUED],
            used_by={ISSUED: OTHER_CART_ID},
        )
        .will_respond_with(422)
        .with_body(problem(422, "discount_code_used"), content_type=PROBLEM_JSON)
    )
    with discount_pact.serve() as srv, pytest.raises(errors.DiscountCodeUsed):
        client(srv).check(ISSUED, CART)


def test_check_a_single_use_code_nobody_used(discount_pact):
    (
        eligibility(discount_pact, "a check of an unused single-use code", ISSUED)
        .given("a promotion with issued codes exists", code="NEWS24", codes=[ISSUED])
        .will_respond_with(200)
        .with_body(
            discount_body(ISSUED, kind="percent", value="10.00"), content_type="application/json"
        )
    )
    with discount_pact.serve() as srv:
        discount = client(srv).check(ISSUED, CART)
    assert discount.code == ISSUED


def redemption_body(code: str) -> dict:
    return {"code": match.str(code), "cart_id": match.uuid(CART_ID), "created_at": timestamp()}


def redeem_request(pact, description: str, code: str, cart: dict = ANY_CART):
    return (
        pact.upon_receiving(description)
        .with_request("POST", f"/api/discounts/{code}/redemptions/")
        .with_header("Authorization", bearer(TOKEN))
        .with_body({"cart_id": match.uuid(CART_ID), "cart": cart}, content_type="application/json")
    )


def test_redeem_a_discount_for_a_cart(discount_pact):
    (
        redeem_request(discount_pact, "a first redemption of a discount by a cart", "SAVE10")
        .given("a discount exists", code="SAVE10", kind="percent", value="10.00")
        .will_respond_with(201)
        .with_body(redemption_body("SAVE10"), content_type="application/json")
    )
    with discount_pact.serve() as srv:
        redemption = client(srv).redeem("SAVE10", CART_ID, CART)
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
        redemption = client(srv).redeem("SAVE10", CART_ID, CART)
    assert redemption.cart_id == CART_ID


@pytest.mark.parametrize(
    ("code", "refusal", "state_params", "error"),
    [
        (
            "GONE10",
            "discount_exhausted",
            {"kind": "percent", "value": "10.00", "max_redemptions": 1, "times_redeemed": 1},
            errors.DiscountExhausted,
        ),
        (
            "OLD10",
            "discount_expired",
            {
                "kind": "percent",
                "value": "10.00",
                "starts_at": "2020-01-01T00:00:00Z",
                "ends_at": "2020-12-31T23:59:59Z",
            },
            errors.DiscountExpired,
        ),
        (
            "BIG50",
            "discount_minimum_not_met",
            {"kind": "fixed", "value": "5.00", "currency": "USD", "minimum_subtotal": "50.00"},
            errors.DiscountMinimumNotMet,
        ),
        (
            "CUPS20",
            "discount_not_applicable",
            {"kind": "percent", "value": "20.00", "skus": ["CUP-1"]},
            errors.DiscountNotApplicable,
        ),
    ],
)
def test_redeem_a_discount_that_is_refused(discount_pact, code, refusal, state_params, error):
    (
        redeem_request(discount_pact, f"a redemption refused with {refusal}", code, CART_JSON)
        .given("a discount exists", code=code, **state_params)
        .will_respond_with(422)
        .with_body(problem(422, refusal), content_type=PROBLEM_JSON)
    )
    with discount_pact.serve() as srv, pytest.raises(error) as raised:
        client(srv).redeem(code, CART_ID, CART)
    assert raised.value.code == refusal


def test_redeem_a_single_use_code_another_cart_holds(discount_pact):
    (
        redeem_request(
            discount_pact, "a redemption of a single-use code another cart holds", ISSUED
        )
        .given(
            "a promotion with issued codes exists",
            code="NEWS24",
            codes=[ISSUED],
            used_by={ISSUED: OTHER_CART_ID},
        )
        .will_respond_with(422)
        .with_body(problem(422, "discount_code_used"), content_type=PROBLEM_JSON)
    )
    with discount_pact.serve() as srv, pytest.raises(errors.DiscountCodeUsed):
        client(srv).redeem(ISSUED, CART_ID, CART)


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
        client(srv).redeem("OFF10", CART_ID, CART)


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
        .with_request("POST", "/api/discounts/SAVE10/eligibility/")
        .with_header("Authorization", f"Bearer {WRONG_TOKEN}")
        .with_body({"cart": CART_JSON}, content_type="application/json")
        .will_respond_with(401)
        .with_body(problem(401, "not_authenticated"), content_type=PROBLEM_JSON)
    )
    with discount_pact.serve() as srv, pytest.raises(errors.DiscountServiceUnavailable):
        client(srv, token=WRONG_TOKEN).check("SAVE10", CART)
