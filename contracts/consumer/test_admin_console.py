"""admin_console → the four services, driven through contracts/admin_console's client.

Spec V3. Written from docs/api.md alone, so the states are named as a stranger would:
often without params (the providers' documented defaults), several on one
interaction, or none at all.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from pact import match

from contracts.admin_console.client import AdminConsole, ConsoleError, Service
from contracts.common import PROBLEM_JSON, TOKENS, bearer, money, problem, timestamp

CODE_RE = r"^[A-Z0-9_-]{3,32}$"
STATUS_RE = r"^(active|scheduled|expired|inactive|exhausted)$"
# The providers' documented defaults for states named without params.
DEFAULT_CART_ID = "11111111-1111-4111-8111-111111111111"
DEFAULT_PAID_CART_ID = "33333333-3333-4333-8333-333333333333"
DEFAULT_PAYMENT_ID = "22222222-2222-4222-8222-222222222222"


def discount_body(code: str, *, kind: str = "percent", value: str = "10.00", status=None):
    return {
        "code": match.regex(code, regex=CODE_RE),
        "kind": match.regex(kind, regex=r"^(percent|fixed)$"),
        "value": money(value),
        "status": status or match.regex("active", regex=STATUS_RE),
        "times_redeemed": match.int(0),
        "created_at": timestamp(),
    }


def console(srv, service: str, token: str | None) -> AdminConsole:
    return AdminConsole(**{service: Service(str(srv.url), token)})


ADMIN = TOKENS["DISCOUNT_ADMIN_TOKEN"]


def test_lists_active_discounts_by_code_prefix(admin_discount_pact):
    (
        admin_discount_pact.upon_receiving("an admin lists the active discounts starting SAVE")
        .given("a discount exists", code="SAVE10")
        .given("a discount exists", code="SAVE20", kind="fixed", value="20.00")
        .with_request("GET", "/api/discounts/")
        .with_query_parameter("search", "SAVE")
        .with_query_parameter("is_active", "true")
        .with_header("Authorization", bearer(ADMIN))
        .will_respond_with(200)
        .with_body(
            {
                "count": match.int(2),
                # Two examples (the mock answers both); every element typed like the first.
                "results": match.like(
                    [discount_body("SAVE10"), discount_body("SAVE20", kind="fixed", value="20.00")],
                    min=2,
                ),
            },
            content_type="application/json",
        )
    )
    with admin_discount_pact.serve() as srv:
        rows = console(srv, "discounts", ADMIN).list_discounts(active=True, search="SAVE")
    assert sorted(r.code for r in rows) == ["SAVE10", "SAVE20"]
    assert {r.status for r in rows} == {"active"}


def test_creates_a_discount(admin_discount_pact):
    (
        admin_discount_pact.upon_receiving("an admin creates a percent discount")
        .with_request("POST", "/api/discounts/")
        .with_header("Authorization", bearer(ADMIN))
        .with_body(
            {
                "code": "WINTER25",
                "kind": "percent",
                "value": "25.00",
                "description": "Winter sale",
            },
            content_type="application/json",
        )
        .will_respond_with(201)
        .with_body(discount_body("WINTER25", value="25.00"), content_type="application/json")
    )
    with admin_discount_pact.serve() as srv:
        row = console(srv, "discounts", ADMIN).create_discount(
            code="WINTER25", kind="percent", value=Decimal("25"), description="Winter sale"
        )
    assert (row.code, row.value, row.times_redeemed) == ("WINTER25", Decimal("25.00"), 0)


ISSUED_RE = r"^NEWS-[0-9A-HJKMNP-TV-Z]{12}$"  # the prefix, then 12 of Crockford's base 32
ISSUED_EXAMPLES = ["NEWS-7K3MQ9ZD2XWA", "NEWS-2B8RJ4NCV6TE", "NEWS-9QWE5RT3YZ4M"]
SHOPPER_CART_ID = "44444444-4444-4444-8444-444444444444"


def test_creates_a_promotion_of_single_use_codes_with_a_minimum(admin_discount_pact):
    (
        admin_discount_pact.upon_receiving("an admin creates a single-use promotion over 30.00")
        .with_request("POST", "/api/discounts/")
        .with_header("Authorization", bearer(ADMIN))
        .with_body(
            {
                "code": "NEWSLETTER",
                "kind": "percent",
                "value": "15.00",
                "single_use_codes": True,
                "minimum_subtotal": "30.00",
                "currency": "EUR",
                "max_redemptions": 5000,
            },
            content_type="application/json",
        )
        .will_respond_with(201)
        .with_body(
            {
                **discount_body("NEWSLETTER", value="15.00"),
                "single_use_codes": True,
                "minimum_subtotal": money("30.00"),
                "currency": "EUR",
                "codes_issued": 0,
            },
            content_type="application/json",
        )
    )
    with admin_discount_pact.serve() as srv:
        row = console(srv, "discounts", ADMIN).create_promotion(
            code="NEWSLETTER",
            kind="percent",
            value=Decimal("15"),
            minimum_subtotal=Decimal("30"),
            currency="EUR",
            max_redemptions=5000,
        )
    assert (row.code, row.value) == ("NEWSLETTER", Decimal("15.00"))


def test_issues_a_batch_of_codes(admin_discount_pact):
    (
        admin_discount_pact.upon_receiving("an admin issues three codes of a promotion")
        .given("a discount exists", code="NEWSLETTER", single_use_codes=True)
        .with_request("POST", "/api/discounts/NEWSLETTER/codes/")
        .with_header("Authorization", bearer(ADMIN))
        .with_body({"count": 3, "prefix": "NEWS-"}, content_type="application/json")
        .will_respond_with(201)
        .with_body(
            {
                "discount": {"code": "NEWSLETTER", "codes_issued": 3},
                "prefix": "NEWS-",
                "count": 3,
                # Three codes, each drawn at random by the provider: typed by the pattern.
                "codes": match.like(
                    [match.regex(c, regex=ISSUED_RE) for c in ISSUED_EXAMPLES], min=3, max=3
                ),
            },
            content_type="application/json",
        )
    )
    with admin_discount_pact.serve() as srv:
        codes = console(srv, "discounts", ADMIN).issue_codes("NEWSLETTER", count=3, prefix="NEWS-")
    assert len(codes) == 3
    assert all(c.startswith("NEWS-") for c in codes)


def test_exports_the_used_codes_of_a_promotion(admin_discount_pact):
    (
        admin_discount_pact.upon_receiving("an admin exports the used codes of a promotion")
        .given(
            "a promotion with issued codes exists",
            code="NEWSLETTER",
            codes=["NEWS-7K3MQ9ZD2XWA", "NEWS-2B8RJ4NCV6TE"],
            used_by={"NEWS-7K3MQ9ZD2XWA": SHOPPER_CART_ID},
        )
        .with_request("GET", "/api/discounts/NEWSLETTER/codes/")
        .with_query_parameter("page_size", "1000")
        .with_query_parameter("status", "used")
        .with_query_parameter("page", "1")
        .with_header("Authorization", bearer(ADMIN))
        .will_respond_with(200)
        .with_body(
            {
                "count": 1,
                "next": None,
                "results": [
                    {
                        "code": "NEWS-7K3MQ9ZD2XWA",
                        "status": "used",
                        "cart_id": SHOPPER_CART_ID,
                        "redeemed_at": timestamp(),
                        "created_at": timestamp(),
                    }
                ],
            },
            content_type="application/json",
        )
    )
    with admin_discount_pact.serve() as srv:
        rows = console(srv, "discounts", ADMIN).issued_codes("NEWSLETTER", status="used")
    assert [(r.code, r.status, r.cart_id) for r in rows] == [
        ("NEWS-7K3MQ9ZD2XWA", "used", SHOPPER_CART_ID)
    ]


def test_deactivates_the_default_discount(admin_discount_pact):
    (
        admin_discount_pact.upon_receiving("an admin deactivates a discount")
        .given("a discount exists")  # no params: the provider's default code, SAVE10
        .with_request("PATCH", "/api/discounts/SAVE10/")
        .with_header("Authorization", bearer(ADMIN))
        .with_body({"is_active": False}, content_type="application/json")
        .will_respond_with(200)
        .with_body(discount_body("SAVE10", status="inactive"), content_type="application/json")
    )
    with admin_discount_pact.serve() as srv:
        row = console(srv, "discounts", ADMIN).deactivate_discount("SAVE10")
    assert row.status == "inactive"


def test_an_unknown_code_is_not_found(admin_discount_pact):
    (
        admin_discount_pact.upon_receiving("an admin looks up a code nobody created")
        .with_request("GET", "/api/discounts/NOSUCH1/")
        .with_header("Authorization", bearer(ADMIN))
        .will_respond_with(404)
        .with_body(problem(404, "discount_not_found"), content_type=PROBLEM_JSON)
    )
    with admin_discount_pact.serve() as srv:
        assert console(srv, "discounts", ADMIN).find_discount("NOSUCH1") is None


CART_ADMIN = TOKENS["CART_ADMIN_TOKEN"]


def cart_row(cart_id: str, total: str, payment_status: str) -> dict:
    return {
        "id": match.uuid(cart_id),
        "total": money(total),
        "payment_status": match.regex(payment_status, regex=r"^(pending|paid|failed)$"),
    }


def test_lists_carts_of_every_payment_status(admin_cart_pact):
    (
        admin_cart_pact.upon_receiving("an admin lists the carts")
        .given("a cart exists")  # defaults: an empty pending cart
        .given("a paid cart exists")  # defaults: another cart, paid
        .with_request("GET", "/api/carts/")
        .with_query_parameter("page_size", "10")
        .with_header("Authorization", bearer(CART_ADMIN))
        .will_respond_with(200)
        .with_body(
            {
                "count": match.int(2),
                "results": match.like(
                    [
                        cart_row(DEFAULT_PAID_CART_ID, "15.00", "paid"),
                        cart_row(DEFAULT_CART_ID, "0.00", "pending"),
                    ],
                    min=2,
                ),
            },
            content_type="application/json",
        )
    )
    with admin_cart_pact.serve() as srv:
        count, rows = console(srv, "carts", CART_ADMIN).list_carts(page_size=10)
    assert count == 2
    assert {r.payment_status for r in rows} == {"pending", "paid"}


def test_listing_carts_needs_the_admin_token(admin_cart_pact):
    (
        admin_cart_pact.upon_receiving("a request for the carts without a token")
        .with_request("GET", "/api/carts/")
        .with_query_parameter("page_size", "10")
        .will_respond_with(401)
        .with_body(problem(401, "not_authenticated"), content_type=PROBLEM_JSON)
    )
    with admin_cart_pact.serve() as srv, pytest.raises(ConsoleError) as refused:
        console(srv, "carts", None).list_carts(page_size=10)
    assert refused.value.code == "not_authenticated"


CART_ADMIN = TOKENS["CART_ADMIN_TOKEN"]


def refund_row(number: int, kind: str, amount: str) -> dict:
    return {
        "id": match.uuid("6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"),
        "number": number,
        "kind": kind,
        "amount": money(amount),
        "status": "succeeded",
        "failure_code": None,
    }


def test_cancels_a_paid_cart(admin_cart_pact):
    # The default paid cart: 2 x MUG-1 at 7.50, paid 15.00 (payment_service's stand-in for
    # cart_service answers a refund of 15.00).
    (
        admin_cart_pact.upon_receiving("an operator cancels a paid cart")
        .given("a paid cart exists")
        .with_request("POST", f"/api/carts/{DEFAULT_PAID_CART_ID}/cancel/")
        .with_header("Authorization", bearer(CART_ADMIN))
        .with_body({"reason": "the shopper cancelled"}, content_type="application/json")
        .will_respond_with(200)
        .with_body(
            {
                "id": match.uuid(DEFAULT_PAID_CART_ID),
                "total": money("15.00"),
                "payment_status": "cancelled",
                "amount_refunded": money("15.00"),
            },
            content_type="application/json",
        )
    )
    with admin_cart_pact.serve() as srv:
        cart = console(srv, "carts", CART_ADMIN).cancel_cart(
            DEFAULT_PAID_CART_ID, "the shopper cancelled"
        )
    assert cart.payment_status == "cancelled"


def test_refunds_part_of_a_paid_cart(admin_cart_pact):
    (
        admin_cart_pact.upon_receiving("an operator refunds part of a paid cart")
        .given("a paid cart exists")
        .with_request("POST", f"/api/carts/{DEFAULT_PAID_CART_ID}/refunds/")
        .with_header("Authorization", bearer(CART_ADMIN))
        .with_header("Idempotency-Key", match.str("console-refund-1"))
        .with_body(
            {"amount": "5.00", "reason": "one mug arrived broken"},
            content_type="application/json",
        )
        .will_respond_with(201)
        .with_body(refund_row(1, "partial", "5.00"), content_type="application/json")
    )
    with admin_cart_pact.serve() as srv:
        made = console(srv, "carts", CART_ADMIN).refund_cart(
            DEFAULT_PAID_CART_ID, Decimal("5.00"), "one mug arrived broken", "console-refund-1"
        )
    assert (made.kind, made.amount, made.status) == ("partial", Decimal("5.00"), "succeeded")


def test_lists_the_refunds_of_a_cart(admin_cart_pact):
    (
        admin_cart_pact.upon_receiving("an operator lists a cart's refunds")
        .given("a paid cart exists", refunded="5.00")
        .with_request("GET", f"/api/carts/{DEFAULT_PAID_CART_ID}/refunds/")
        .with_header("Authorization", bearer(CART_ADMIN))
        .will_respond_with(200)
        .with_body(
            {
                "count": 1,
                "next": None,
                "previous": None,
                "results": [refund_row(1, "partial", "5.00")],
            },
            content_type="application/json",
        )
    )
    with admin_cart_pact.serve() as srv:
        listed = console(srv, "carts", CART_ADMIN).cart_refunds(DEFAULT_PAID_CART_ID)
    assert [(r.number, r.amount) for r in listed] == [(1, Decimal("5.00"))]


PAYMENTS = TOKENS["PAYMENT_SERVICE_TOKEN"]


def test_looks_up_a_payment(admin_payment_pact):
    (
        admin_payment_pact.upon_receiving("an operator looks up a payment")
        .given("a payment exists")  # defaults: payment 2222…, 10.00 USD, succeeded
        .with_request("GET", f"/api/payments/{DEFAULT_PAYMENT_ID}/")
        .with_header("Authorization", bearer(PAYMENTS))
        .will_respond_with(200)
        .with_body(
            {
                "id": match.uuid(DEFAULT_PAYMENT_ID),
                "reference": match.str(f"cart:{DEFAULT_CART_ID}"),
                "amount": money("10.00"),
                "status": match.regex("succeeded", regex=r"^(succeeded|declined)$"),
                "amount_refunded": money("0.00"),
                "refund_status": match.regex("none", regex=r"^(none|partial|full)$"),
                "created_at": timestamp(),
            },
            content_type="application/json",
        )
    )
    with admin_payment_pact.serve() as srv:
        payment = console(srv, "payments", PAYMENTS).find_payment(DEFAULT_PAYMENT_ID)
    assert payment is not None
    assert (payment.id, payment.amount) == (DEFAULT_PAYMENT_ID, Decimal("10.00"))


def test_an_unknown_payment_is_not_found(admin_payment_pact):
    missing = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
    (
        admin_payment_pact.upon_receiving("an operator looks up a payment that does not exist")
        .with_request("GET", f"/api/payments/{missing}/")
        .with_header("Authorization", bearer(PAYMENTS))
        .will_respond_with(404)
        .with_body(problem(404, "payment_not_found"), content_type=PROBLEM_JSON)
    )
    with admin_payment_pact.serve() as srv:
        assert console(srv, "payments", PAYMENTS).find_payment(missing) is None


CATALOG = TOKENS["CATALOG_ADMIN_TOKEN"]


def product_body(sku: str, name: str, prices: dict[str, str], *, active: bool = True) -> dict:
    return {
        "sku": match.regex(sku, regex=r"^[A-Z0-9_-]{1,64}$"),
        "name": match.str(name),
        "active": active,
        "prices": {currency: money(amount) for currency, amount in prices.items()},
        "created_at": timestamp(),
        "updated_at": timestamp(),
    }


def test_puts_a_product_on_sale(admin_catalog_pact):
    (
        admin_catalog_pact.upon_receiving("an admin puts a product on sale in two currencies")
        .given("no product exists")
        .with_request("POST", "/api/products/")
        .with_header("Authorization", bearer(CATALOG))
        .with_body(
            {"sku": "LAMP-1", "name": "Desk lamp", "prices": {"USD": "24.00", "EUR": "22.00"}},
            content_type="application/json",
        )
        .will_respond_with(201)
        .with_body(
            product_body("LAMP-1", "Desk lamp", {"EUR": "22.00", "USD": "24.00"}),
            content_type="application/json",
        )
    )
    with admin_catalog_pact.serve() as srv:
        made = console(srv, "products", CATALOG).put_on_sale(
            sku="LAMP-1", name="Desk lamp", prices={"USD": Decimal("24"), "EUR": Decimal("22")}
        )
    assert made.prices["USD"] == Decimal("24.00")


def test_reprices_the_default_product_and_drops_a_currency(admin_catalog_pact):
    (
        admin_catalog_pact.upon_receiving("an admin reprices a product, in dollars only")
        .given("a product exists")  # defaults: MUG-1, Mug, 7.50 USD and 6.90 EUR
        .with_request("PATCH", "/api/products/MUG-1/")
        .with_header("Authorization", bearer(CATALOG))
        .with_body({"prices": {"USD": "8.00"}}, content_type="application/json")
        .will_respond_with(200)
        .with_body(product_body("MUG-1", "Mug", {"USD": "8.00"}), content_type="application/json")
    )
    with admin_catalog_pact.serve() as srv:
        repriced = console(srv, "products", CATALOG).reprice("MUG-1", {"USD": Decimal("8")})
    assert repriced.prices == {"USD": Decimal("8.00")}


def test_withdraws_a_product(admin_catalog_pact):
    (
        admin_catalog_pact.upon_receiving("an admin withdraws a product from sale")
        .given("a product exists", sku="OLD-1", name="Old mug")
        .with_request("PATCH", "/api/products/OLD-1/")
        .with_header("Authorization", bearer(CATALOG))
        .with_body({"active": False}, content_type="application/json")
        .will_respond_with(200)
        .with_body(
            product_body("OLD-1", "Old mug", {"EUR": "6.90", "USD": "7.50"}, active=False),
            content_type="application/json",
        )
    )
    with admin_catalog_pact.serve() as srv:
        assert console(srv, "products", CATALOG).withdraw("OLD-1").active is False


def test_lists_products_by_sku_prefix(admin_catalog_pact):
    (
        admin_catalog_pact.upon_receiving("an admin lists the products starting MUG")
        .given("products exist", count=2, prefix="MUG-")
        .with_request("GET", "/api/products/")
        .with_query_parameter("search", "MUG")
        .with_header("Authorization", bearer(CATALOG))
        .will_respond_with(200)
        .with_body(
            {
                "count": match.int(2),
                "next": None,
                "previous": None,
                "results": match.each_like(
                    product_body("MUG-1", "Mug 1", {"EUR": "6.90", "USD": "7.50"}), min=2
                ),
            },
            content_type="application/json",
        )
    )
    with admin_catalog_pact.serve() as srv:
        count, rows = console(srv, "products", CATALOG).list_products(search="MUG")
    assert count == 2
    assert all(row.sku.startswith("MUG") for row in rows)


def test_a_product_without_the_admin_token_is_not_created(admin_catalog_pact):
    (
        admin_catalog_pact.upon_receiving("an admin's request without a token")
        .with_request("POST", "/api/products/")
        .with_body(
            {"sku": "LAMP-1", "name": "Desk lamp", "prices": {"USD": "24.00"}},
            content_type="application/json",
        )
        .will_respond_with(401)
        .with_body(problem(401, "not_authenticated"), content_type=PROBLEM_JSON)
    )
    with admin_catalog_pact.serve() as srv, pytest.raises(ConsoleError) as refused:
        console(srv, "products", None).put_on_sale(
            sku="LAMP-1", name="Desk lamp", prices={"USD": Decimal("24")}
        )
    assert refused.value.code == "not_authenticated"
