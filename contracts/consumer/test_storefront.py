"""storefront → cart_service, driven through harness.api_client's StorefrontClient.

The checkout interactions use carts whose totals are 13.50 (paid) and 25.00
(declined): cart_service is verified against `pact stub` stand-ins serving its own
payment pact, whose charge interactions carry exactly these amounts.
"""

from __future__ import annotations

import pytest
from pact import generate, match
from pact.match.matcher import GenericMatcher

from contracts.common import PROBLEM_JSON, money, problem, timestamp
from harness.api_client import ApiError, StorefrontClient

CART_ID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
ITEM_ID = "7c6b5a49-3827-4165-9e4d-3c2b1a0f9e8d"
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# What the storefront sends of an item: a sku and a quantity, never a price to charge. The
# catalog prices MUG-1 at 6.75 (cart_service's own catalog pact, its stand-in here): 13.50.
MUGS = {"sku": "MUG-1", "quantity": 2}
# Carts that provider states make: their lines as the catalog priced them when added.
MUGS_LINE = {"sku": "MUG-1", "name": "Mug", "unit_price": "6.75", "quantity": 2}  # 13.50: paid
LAMPS_LINE = {"sku": "LAMP-1", "name": "Lamp", "unit_price": "12.50", "quantity": 2}  # declined


def client(srv) -> StorefrontClient:
    return StorefrontClient(str(srv.url))


def item_body(item: dict, line_total: str) -> dict:
    return {
        "id": match.uuid(ITEM_ID),
        "sku": match.str(item["sku"]),
        "name": match.str(item["name"]),
        "unit_price": money(item["unit_price"]),
        "quantity": match.int(item["quantity"]),
        "line_total": money(line_total),
    }


def cart_body(
    *,
    items: list[dict],
    subtotal: str = "0.00",
    amount_discounted: str = "0.00",
    total: str | None = None,
    discount=None,
    payment_status: str = "pending",
    payment=None,
) -> dict:
    """The cart as docs/api.md shows it. Statuses are exact (the storefront branches on them)."""
    return {
        "id": match.uuid(CART_ID),
        "currency": match.regex("USD", regex=r"^[A-Z]{3}$"),
        "items": match.each_like(items[0], min=1) if items else [],
        "items_number": match.int(sum(_quantity(i) for i in items)),
        "subtotal": money(subtotal),
        "discount": discount,
        "amount_discounted": money(amount_discounted),
        "total": money(total or subtotal),
        "payment_status": payment_status,
        "payment": payment,
        "created_at": timestamp(),
        "updated_at": timestamp(),
    }


def _quantity(item_matcher) -> int:
    return item_matcher["quantity"].value


def mugs_cart(**kw) -> dict:
    return cart_body(items=[item_body(MUGS_LINE, "13.50")], subtotal="13.50", **kw)


def item_path(suffix: str = ""):
    """The path of the state's first item: its id is only known once the state exists, so
    the verifier builds the path from the id the provider-states endpoint returns."""
    example = f"/api/carts/{CART_ID}/items/{ITEM_ID}/{suffix}"
    return GenericMatcher(
        "regex",
        example,
        generator=generate.provider_state(f"/api/carts/${{id}}/items/${{item_id}}/{suffix}"),
        regex=rf"^/api/carts/{UUID_RE}/items/{UUID_RE}/{suffix}$",
    )


def test_create_a_cart(storefront_pact):
    (
        storefront_pact.upon_receiving("a request to create a cart with an item")
        .given("no cart exists", id=CART_ID)
        .with_request("POST", "/api/carts/")
        .with_body({"currency": "USD", "items": [MUGS]}, content_type="application/json")
        .will_respond_with(201)
        .with_body(mugs_cart(), content_type="application/json")
    )
    with storefront_pact.serve() as srv:
        cart = client(srv).create_cart("USD", items=[MUGS])
    assert cart["payment_status"] == "pending"
    assert cart["items"][0]["sku"] == "MUG-1"


def test_a_validation_error_names_the_fields(storefront_pact):
    (
        storefront_pact.upon_receiving("a request to create a cart in an unknown currency")
        .given("no cart exists", id=CART_ID)
        .with_request("POST", "/api/carts/")
        .with_body({"currency": "XXX"}, content_type="application/json")
        .will_respond_with(400)
        .with_body(
            problem(
                400,
                "validation_error",
                errors={"currency": match.each_like(match.str("Unknown currency."), min=1)},
            ),
            content_type=PROBLEM_JSON,
        )
    )
    with storefront_pact.serve() as srv, pytest.raises(ApiError) as raised:
        client(srv).create_cart("XXX")
    assert (raised.value.status, raised.value.code) == (400, "validation_error")
    assert "currency" in raised.value.body["errors"]


def test_get_a_cart(storefront_pact):
    (
        storefront_pact.upon_receiving("a request for a cart")
        .given("a cart exists", id=CART_ID, currency="USD", items=[MUGS_LINE])
        .with_request("GET", f"/api/carts/{CART_ID}/")
        .will_respond_with(200)
        .with_body(mugs_cart(), content_type="application/json")
    )
    with storefront_pact.serve() as srv:
        cart = client(srv).get_cart(CART_ID)
    assert cart["id"] == CART_ID
    assert cart["total"] == "13.50"


def test_get_an_unknown_cart(storefront_pact):
    (
        storefront_pact.upon_receiving("a request for an unknown cart")
        .given("no cart exists", id=CART_ID)
        .with_request("GET", f"/api/carts/{CART_ID}/")
        .will_respond_with(404)
        .with_body(problem(404, "cart_not_found"), content_type=PROBLEM_JSON)
    )
    with storefront_pact.serve() as srv, pytest.raises(ApiError) as raised:
        client(srv).get_cart(CART_ID)
    assert (raised.value.status, raised.value.code) == (404, "cart_not_found")


def test_add_an_item(storefront_pact):
    (
        storefront_pact.upon_receiving("a request to add an item to a cart")
        .given("a cart exists", id=CART_ID, currency="USD", items=[])
        .with_request("POST", f"/api/carts/{CART_ID}/items/")
        .with_body(MUGS, content_type="application/json")
        .will_respond_with(201)
        .with_body(mugs_cart(), content_type="application/json")
    )
    with storefront_pact.serve() as srv:
        cart = client(srv).add_item(CART_ID, **MUGS)
    assert cart["items_number"] == 2


def test_a_paid_cart_cannot_change(storefront_pact):
    (
        storefront_pact.upon_receiving("a request to add an item to a paid cart")
        .given("a paid cart exists", id=CART_ID)
        .with_request("POST", f"/api/carts/{CART_ID}/items/")
        .with_body(MUGS, content_type="application/json")
        .will_respond_with(409)
        .with_body(problem(409, "cart_not_editable"), content_type=PROBLEM_JSON)
    )
    with storefront_pact.serve() as srv, pytest.raises(ApiError) as raised:
        client(srv).add_item(CART_ID, **MUGS)
    assert raised.value.code == "cart_not_editable"


def test_change_an_items_quantity(storefront_pact):
    (
        storefront_pact.upon_receiving("a request to change an item's quantity")
        .given("a cart exists", id=CART_ID, currency="USD", items=[{**MUGS_LINE, "quantity": 1}])
        .with_request("PATCH", item_path())
        .with_body({"quantity": 2}, content_type="application/json")
        .will_respond_with(200)
        .with_body(mugs_cart(), content_type="application/json")
    )
    with storefront_pact.serve() as srv:
        cart = client(srv).change_quantity(CART_ID, ITEM_ID, 2)
    assert cart["items"][0]["quantity"] == 2


def test_remove_an_item(storefront_pact):
    (
        storefront_pact.upon_receiving("a request to remove an item")
        .given("a cart exists", id=CART_ID, currency="USD", items=[MUGS_LINE])
        .with_request("DELETE", item_path())
        .will_respond_with(200)
        .with_body(cart_body(items=[]), content_type="application/json")
    )
    with storefront_pact.serve() as srv:
        cart = client(srv).remove_item(CART_ID, ITEM_ID)
    assert cart["items"] == []


def test_apply_a_discount_code(storefront_pact):
    # SAVE10 is the active 10% discount of cart_service's own discount pact.
    (
        storefront_pact.upon_receiving("a request to apply a discount code")
        .given("a cart exists", id=CART_ID, currency="USD", items=[MUGS_LINE])
        .with_request("PUT", f"/api/carts/{CART_ID}/discount/")
        .with_body({"code": "SAVE10"}, content_type="application/json")
        .will_respond_with(200)
        .with_body(
            cart_body(
                # The storefront marks the lines a discount took off from: every line, for a
                # discount without skus (null: the whole cart).
                items=[{**item_body(MUGS_LINE, "13.50"), "discounted": True}],
                subtotal="13.50",
                discount={
                    "code": match.str("SAVE10"),
                    "kind": "percent",
                    "value": money("10.00"),
                    "skus": None,
                },
                amount_discounted="1.35",
                total="12.15",
            ),
            content_type="application/json",
        )
    )
    with storefront_pact.serve() as srv:
        cart = client(srv).apply_discount(CART_ID, "SAVE10")
    assert cart["discount"]["code"] == "SAVE10"
    assert [line["discounted"] for line in cart["items"]] == [True]


@pytest.mark.parametrize(
    ("code", "what"),
    [("NOPE10", "an unknown discount code"), ("LATER10", "a discount code not started yet")],
)
def test_an_unknown_or_unreleased_code_is_one_refusal(storefront_pact, code, what):
    # NOPE10 and LATER10 are the unknown and the scheduled discount of cart_service's own
    # discount pact: the storefront cannot tell them apart, so unreleased promotions stay hidden.
    (
        storefront_pact.upon_receiving(f"a request to apply {what}")
        .given("a cart exists", id=CART_ID, currency="USD", items=[MUGS_LINE])
        .with_request("PUT", f"/api/carts/{CART_ID}/discount/")
        .with_body({"code": code}, content_type="application/json")
        .will_respond_with(422)
        .with_body(problem(422, "discount_not_found"), content_type=PROBLEM_JSON)
    )
    with storefront_pact.serve() as srv, pytest.raises(ApiError) as raised:
        client(srv).apply_discount(CART_ID, code)
    assert (raised.value.status, raised.value.code) == (422, "discount_not_found")


def test_remove_the_discount(storefront_pact):
    (
        storefront_pact.upon_receiving("a request to remove the discount")
        .given("a cart exists", id=CART_ID, currency="USD", items=[MUGS_LINE])
        .with_request("DELETE", f"/api/carts/{CART_ID}/discount/")
        .will_respond_with(200)
        .with_body(mugs_cart(), content_type="application/json")
    )
    with storefront_pact.serve() as srv:
        cart = client(srv).remove_discount(CART_ID)
    assert cart["discount"] is None


def test_check_out_and_pay(storefront_pact):
    (
        storefront_pact.upon_receiving("a checkout whose payment succeeds")
        .given("a cart exists", id=CART_ID, currency="USD", items=[MUGS_LINE])
        .with_request("POST", f"/api/carts/{CART_ID}/checkout/")
        .will_respond_with(200)
        .with_body(
            mugs_cart(
                payment_status="paid",
                payment={
                    "id": match.uuid("0b6f3a52-7c1d-4e8f-9a2b-3c4d5e6f7a8b"),
                    "status": "succeeded",
                    "decline_code": None,
                },
            ),
            content_type="application/json",
        )
    )
    with storefront_pact.serve() as srv:
        cart = client(srv).checkout(CART_ID)
    assert cart["payment_status"] == "paid"


def test_check_out_and_be_declined(storefront_pact):
    (
        storefront_pact.upon_receiving("a checkout whose payment is declined")
        .given("a cart exists", id=CART_ID, currency="USD", items=[LAMPS_LINE])
        .with_request("POST", f"/api/carts/{CART_ID}/checkout/")
        .will_respond_with(200)
        .with_body(
            cart_body(
                items=[item_body(LAMPS_LINE, "25.00")],
                subtotal="25.00",
                payment_status="failed",
                payment={
                    "id": match.uuid("0b6f3a52-7c1d-4e8f-9a2b-3c4d5e6f7a8b"),
                    "status": "declined",
                    "decline_code": "insufficient_funds",
                },
            ),
            content_type="application/json",
        )
    )
    with storefront_pact.serve() as srv:
        cart = client(srv).checkout(CART_ID)
    assert (cart["payment_status"], cart["payment"]["decline_code"]) == (
        "failed",
        "insufficient_funds",
    )


# -- prices are the shop's: the catalog prices every line (issue 24) --------------------------


def test_add_an_item_at_the_price_the_shopper_saw(storefront_pact):
    (
        storefront_pact.upon_receiving("a request to add an item at the price shown")
        .given("a cart exists", id=CART_ID, currency="USD", items=[])
        .with_request("POST", f"/api/carts/{CART_ID}/items/")
        .with_body({**MUGS, "unit_price": "6.75"}, content_type="application/json")
        .will_respond_with(201)
        .with_body(mugs_cart(), content_type="application/json")
    )
    with storefront_pact.serve() as srv:
        cart = client(srv).add_item(CART_ID, **MUGS, unit_price="6.75")
    assert cart["total"] == "13.50"


def test_a_price_that_moved_since_it_was_shown_adds_nothing(storefront_pact):
    (
        storefront_pact.upon_receiving("a request to add an item at a price the shop no longer has")
        .given("a cart exists", id=CART_ID, currency="USD", items=[])
        .with_request("POST", f"/api/carts/{CART_ID}/items/")
        .with_body({**MUGS, "unit_price": "5.00"}, content_type="application/json")
        .will_respond_with(409)
        .with_body(
            {**problem(409, "price_changed"), "sku": "MUG-1", "unit_price": money("6.75")},
            content_type=PROBLEM_JSON,
        )
    )
    with storefront_pact.serve() as srv, pytest.raises(ApiError) as raised:
        client(srv).add_item(CART_ID, **MUGS, unit_price="5.00")
    assert (raised.value.code, raised.value.body["unit_price"]) == ("price_changed", "6.75")


@pytest.mark.parametrize(
    ("sku", "code", "what"),
    [
        ("NOPE-1", "product_not_found", "a product the shop does not sell"),
        ("GONE-1", "product_inactive", "a product no longer sold"),
        ("EURO-1", "product_not_sold_in_currency", "a product not sold in the cart's currency"),
    ],
)
def test_a_product_the_shop_cannot_sell_is_refused(storefront_pact, sku, code, what):
    # NOPE-1, GONE-1 and EURO-1 are the unknown, inactive and euro-only products of
    # cart_service's own catalog pact.
    (
        storefront_pact.upon_receiving(f"a request to add {what}")
        .given("a cart exists", id=CART_ID, currency="USD", items=[])
        .with_request("POST", f"/api/carts/{CART_ID}/items/")
        .with_body({"sku": sku, "quantity": 1}, content_type="application/json")
        .will_respond_with(422)
        .with_body({**problem(422, code), "sku": sku}, content_type=PROBLEM_JSON)
    )
    with storefront_pact.serve() as srv, pytest.raises(ApiError) as raised:
        client(srv).add_item(CART_ID, sku=sku, quantity=1)
    assert (raised.value.status, raised.value.code) == (422, code)


def test_a_checkout_after_prices_moved_shows_the_new_total_and_charges_nothing(storefront_pact):
    # The cart was priced at 7.00 longer than CART_PRICE_MAX_AGE ago; the catalog says 6.75.
    (
        storefront_pact.upon_receiving("a checkout of a cart whose prices moved")
        .given(
            "a cart exists",
            id=CART_ID,
            currency="USD",
            items=[{**MUGS_LINE, "unit_price": "7.00"}],
            priced=False,
        )
        .with_request("POST", f"/api/carts/{CART_ID}/checkout/")
        .will_respond_with(409)
        .with_body(
            {**problem(409, "prices_changed"), "skus": ["MUG-1"], "cart": mugs_cart()},
            content_type=PROBLEM_JSON,
        )
    )
    with storefront_pact.serve() as srv, pytest.raises(ApiError) as raised:
        client(srv).checkout(CART_ID)
    assert raised.value.code == "prices_changed"
    assert raised.value.body["cart"]["total"] == "13.50"  # what the shopper now confirms
