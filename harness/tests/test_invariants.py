"""harness.invariants: each invariant holds on consistent rows and fails on rows that break it."""

from __future__ import annotations

import dataclasses
import sqlite3
import uuid
from contextlib import closing
from decimal import Decimal

import pytest

from harness import invariants
from harness.invariants import Cart, CartRefund, Code, Line, Payment, Price, Refund, Rows

PAID_CART, FAILED_CART, OPEN_CART, SECOND_PAID_CART = (uuid.uuid4() for _ in range(4))
FREE_CART, CANCELLED_CART = uuid.uuid4(), uuid.uuid4()
PAID_WITH, DECLINED, SECOND_PAID_WITH, CANCELLED_WITH = (uuid.uuid4() for _ in range(4))
GIVEN_BACK, DECLINED_REFUND, CANCELLED_REFUND = (uuid.uuid4() for _ in range(3))
D = Decimal
SAVE10 = {"discount_code": "SAVE10", "discount_kind": "percent", "discount_value": D("10.00")}


def consistent() -> Rows:
    """Two carts paid with SAVE10 (2 mugs at 7.50: 13.50 charged), one declined and one open
    holding it (no use counted), one fully discounted and paid with no payment; bench's
    direct payment beside them; the catalog's mug at 7.50 now and at 8.00 earlier. The first
    paid cart was refunded 4.00 (and a refund of 1.00 declined), the second was refused a
    refund of 50.00 (none made), and a cancelled cart got all of its 13.50 back (its use of
    SAVE10 given back: not counted)."""
    mugs = {"sku": "MUG-1", "unit_price": D("7.50"), "quantity": 2}
    return Rows(
        carts=(
            Cart(PAID_CART, "paid", str(PAID_WITH), **SAVE10, amount_refunded=D("4.00")),
            Cart(FAILED_CART, "failed", str(DECLINED), **SAVE10),
            Cart(OPEN_CART, "pending", "", **SAVE10),
            Cart(SECOND_PAID_CART, "paid", str(SECOND_PAID_WITH), **SAVE10),
            Cart(FREE_CART, "paid", discount_kind="fixed", discount_value=D("20.00")),
            Cart(
                CANCELLED_CART,
                "cancelled",
                str(CANCELLED_WITH),
                **SAVE10,
                amount_refunded=D("13.50"),
            ),
        ),
        lines=(
            Line(PAID_CART, **mugs),
            Line(FAILED_CART, "MUG-1", D("8.00"), 3),
            Line(OPEN_CART, **mugs),
            Line(SECOND_PAID_CART, "MUG-1", D("8.00"), 1),  # priced before the price moved
            Line(SECOND_PAID_CART, **mugs),
            Line(FREE_CART, **mugs),
            Line(CANCELLED_CART, **mugs),
        ),
        payments=(
            Payment(PAID_WITH, f"cart:{PAID_CART}", "succeeded", D("13.50"), "USD"),
            Payment(DECLINED, f"cart:{FAILED_CART}", "declined", D("21.60"), "USD"),
            Payment(SECOND_PAID_WITH, f"cart:{SECOND_PAID_CART}", "succeeded", D("20.70"), "USD"),
            Payment(CANCELLED_WITH, f"cart:{CANCELLED_CART}", "succeeded", D("13.50"), "USD"),
            Payment(uuid.uuid4(), "bench:sql", "succeeded"),  # no cart's: not checked
        ),
        refunds=(
            Refund(GIVEN_BACK, PAID_WITH, D("4.00"), "succeeded"),
            Refund(DECLINED_REFUND, PAID_WITH, D("1.00"), "failed"),
            Refund(CANCELLED_REFUND, CANCELLED_WITH, D("13.50"), "succeeded"),
        ),
        cart_refunds=(
            CartRefund(PAID_CART, 1, "partial", D("4.00"), "succeeded", str(GIVEN_BACK)),
            CartRefund(PAID_CART, 2, "partial", D("1.00"), "failed", str(DECLINED_REFUND)),
            CartRefund(SECOND_PAID_CART, 1, "partial", D("50.00"), "failed"),
            CartRefund(CANCELLED_CART, 1, "cancel", D("13.50"), "succeeded", str(CANCELLED_REFUND)),
        ),
        codes=(Code("SAVE10", 2), Code("UNUSED", 0)),
        prices=frozenset({Price("MUG-1", "USD", D("7.50")), Price("MUG-1", "USD", D("8.00"))}),
    )


def with_cart(rows: Rows, cart_id: uuid.UUID, **changes) -> Rows:
    carts = tuple(dataclasses.replace(c, **changes) if c.id == cart_id else c for c in rows.carts)
    return dataclasses.replace(rows, carts=carts)


def with_payment(rows: Rows, payment: Payment) -> Rows:
    return dataclasses.replace(rows, payments=(*rows.payments, payment))


def with_refund(rows: Rows, refund: Refund) -> Rows:
    return dataclasses.replace(rows, refunds=(*rows.refunds, refund))


def with_cart_refund(rows: Rows, refund: CartRefund) -> Rows:
    return dataclasses.replace(rows, cart_refunds=(*rows.cart_refunds, refund))


EXTRA_REFUND = uuid.uuid4()


def test_consistent_rows_have_no_problems():
    assert invariants.problems(consistent()) == []


BROKEN = {
    "charged twice": (
        invariants.one_succeeded_payment_per_cart,
        with_payment(consistent(), Payment(uuid.uuid4(), f"cart:{PAID_CART}", "succeeded")),
        f"cart {PAID_CART} has 2 succeeded payments",
    ),
    "paid, showing another payment": (
        invariants.a_paid_cart_shows_its_succeeded_payment,
        with_cart(consistent(), PAID_CART, last_payment_id=str(DECLINED)),
        f"paid cart {PAID_CART} shows payment '{DECLINED}', succeeded [UUID('{PAID_WITH}')]",
    ),
    "paid, showing no payment": (
        invariants.a_paid_cart_shows_its_succeeded_payment,
        with_cart(consistent(), PAID_CART, last_payment_id=""),
        f"paid cart {PAID_CART} shows payment '', succeeded",
    ),
    "paid without a payment": (
        invariants.a_paid_cart_has_a_succeeded_payment,
        with_cart(consistent(), OPEN_CART, payment_status="paid"),
        f"paid cart {OPEN_CART} has no succeeded payment",
    ),
    "paid with a declined payment only": (
        invariants.a_paid_cart_has_a_succeeded_payment,
        with_cart(consistent(), FAILED_CART, payment_status="paid"),
        f"paid cart {FAILED_CART} has no succeeded payment",
    ),
    "charged but pending": (
        invariants.a_cart_with_a_succeeded_payment_is_paid,
        with_payment(consistent(), Payment(uuid.uuid4(), f"cart:{OPEN_CART}", "succeeded")),
        f"cart {OPEN_CART} is pending but payment",
    ),
    "charged but failed": (
        invariants.a_cart_with_a_succeeded_payment_is_paid,
        with_cart(consistent(), PAID_CART, payment_status="failed"),
        f"cart {PAID_CART} is failed but payment {PAID_WITH} succeeded",
    ),
    "charged for a cart that does not exist": (
        invariants.every_succeeded_payment_has_a_cart,
        with_payment(
            consistent(), Payment(uuid.uuid4(), f"cart:{(ghost := uuid.uuid4())}", "succeeded")
        ),
        f"succeeded payment for unknown cart {ghost}",
    ),
    "a use too many": (
        invariants.each_code_counts_the_paid_carts_holding_it,
        dataclasses.replace(consistent(), codes=(Code("SAVE10", 3), Code("UNUSED", 0))),
        "SAVE10: times_redeemed 3, paid carts holding it 2",
    ),
    "charged another amount than its total": (
        invariants.a_paid_cart_was_charged_its_total,
        dataclasses.replace(
            consistent(),
            lines=tuple(
                dataclasses.replace(line, quantity=3) if line.cart_id == PAID_CART else line
                for line in consistent().lines
            ),
        ),
        f"paid cart {PAID_CART} totals 20.25 USD, charged 13.50 USD",
    ),
    "charged in another currency": (
        invariants.a_paid_cart_was_charged_its_total,
        with_cart(consistent(), PAID_CART, currency="EUR"),
        f"paid cart {PAID_CART} totals 13.50 EUR, charged 13.50 USD",
    ),
    "charged with nothing to charge": (
        invariants.a_paid_cart_was_charged_its_total,
        with_payment(
            consistent(), Payment(uuid.uuid4(), f"cart:{FREE_CART}", "succeeded", D("1.00"), "USD")
        ),
        f"paid cart {FREE_CART} had nothing to charge, yet has a payment",
    ),
    "a price the catalog never had": (
        invariants.every_price_charged_was_the_catalogs,
        dataclasses.replace(consistent(), prices=frozenset({Price("MUG-1", "USD", D("7.50"))})),
        f"paid cart {SECOND_PAID_CART}: MUG-1 at 8.00 USD, a price the catalog never had",
    ),
    "a refund made twice for one asked": (
        invariants.every_refund_is_one_of_the_carts_refunds,
        with_refund(consistent(), Refund(EXTRA_REFUND, PAID_WITH, D("4.00"), "succeeded")),
        f"refund {EXTRA_REFUND} of cart {PAID_CART}'s payment is no cart refund",
    ),
    "a refund left pending": (
        invariants.every_refund_is_one_of_the_carts_refunds,
        with_cart_refund(consistent(), CartRefund(PAID_CART, 3, "partial", D("1.00"), "pending")),
        f"cart {PAID_CART} refund 3 is still pending",
    ),
    "a refund succeeded with none made": (
        invariants.every_refund_is_one_of_the_carts_refunds,
        with_cart_refund(consistent(), CartRefund(PAID_CART, 3, "partial", D("1.00"), "succeeded")),
        f"cart {PAID_CART} refund 3 succeeded with no refund made",
    ),
    "a refund naming one never made": (
        invariants.every_refund_is_one_of_the_carts_refunds,
        with_cart_refund(
            consistent(),
            CartRefund(PAID_CART, 3, "partial", D("1.00"), "failed", str(uuid.uuid4())),
        ),
        f"cart {PAID_CART} refund 3 names no refund made",
    ),
    "a refund settled unlike payment_service's": (
        invariants.every_refund_is_one_of_the_carts_refunds,
        dataclasses.replace(
            consistent(),
            refunds=tuple(
                dataclasses.replace(r, status="succeeded") if r.id == DECLINED_REFUND else r
                for r in consistent().refunds
            ),
        ),
        f"cart {PAID_CART} refund 2 is failed 1.00, payment_service's succeeded 1.00",
    ),
    "one refund made, two asked": (
        invariants.every_refund_is_one_of_the_carts_refunds,
        with_cart_refund(
            consistent(),
            CartRefund(PAID_CART, 3, "partial", D("4.00"), "succeeded", str(GIVEN_BACK)),
        ),
        f"refund {GIVEN_BACK} is 2 cart refunds",
    ),
    "refunded beyond the payment": (
        invariants.no_payment_refunded_beyond_its_amount,
        with_refund(consistent(), Refund(EXTRA_REFUND, PAID_WITH, D("10.00"), "succeeded")),
        f"payment {PAID_WITH} of 13.50 refunded 14.00",
    ),
    "a declined payment refunded": (
        invariants.no_payment_refunded_beyond_its_amount,
        with_refund(consistent(), Refund(EXTRA_REFUND, DECLINED, D("1.00"), "succeeded")),
        f"refund of payment {DECLINED}, which took no money",
    ),
    "refunded more than the cart shows": (
        invariants.a_carts_amount_refunded_is_what_its_refunds_gave_back,
        with_cart(consistent(), PAID_CART, amount_refunded=D("5.00")),
        f"cart {PAID_CART} shows 5.00 refunded, its refunds 4.00, payment_service gave back 4.00",
    ),
    "an open cart refunded": (
        invariants.a_carts_amount_refunded_is_what_its_refunds_gave_back,
        with_cart(consistent(), OPEN_CART, amount_refunded=D("1.00")),
        f"pending cart {OPEN_CART} refunded 1.00",
    ),
    "cancelled, not all given back": (
        invariants.a_cancelled_cart_was_refunded_in_full,
        with_cart(consistent(), CANCELLED_CART, amount_refunded=D("10.00")),
        f"cancelled cart {CANCELLED_CART} charged 13.50, refunded 10.00",
    ),
    "cancelled, its use still counted": (
        invariants.each_code_counts_the_paid_carts_holding_it,
        with_cart(consistent(), CANCELLED_CART, payment_status="paid"),
        "SAVE10: times_redeemed 2, paid carts holding it 3",
    ),
    "a use not counted": (
        invariants.each_code_counts_the_paid_carts_holding_it,
        with_cart(consistent(), OPEN_CART, payment_status="paid", discount_code="UNUSED"),
        "UNUSED: times_redeemed 0, paid carts holding it 1",
    ),
}


@pytest.mark.parametrize(("check", "rows", "problem"), BROKEN.values(), ids=BROKEN.keys())
def test_each_invariant_fails_on_rows_that_break_it(check, rows, problem):
    found = list(check(rows))

    assert any(line.startswith(problem) for line in found), found
    assert any(line.startswith(problem) for line in invariants.problems(rows))
    assert list(check(consistent())) == []


def test_every_invariant_is_checked_by_a_test_above():
    assert {check for check, _, _ in BROKEN.values()} == set(invariants.CHECKS)


def test_a_declined_payment_beside_the_succeeded_one_is_no_second_charge():
    rows = with_payment(consistent(), Payment(uuid.uuid4(), f"cart:{PAID_CART}", "declined"))

    assert invariants.problems(rows) == []


def test_summary_counts_carts_paid_and_succeeded_cart_payments():
    assert invariants.summary(consistent()) == {"carts": 6, "paid": 3, "succeeded_payments": 3}


def test_a_total_follows_the_documented_rounding_and_never_goes_below_zero():
    cart = Cart(OPEN_CART, "pending", discount_kind="percent", discount_value=D("15.00"))
    fixed = Cart(OPEN_CART, "pending", discount_kind="fixed", discount_value=D("5.00"))
    lines = [Line(OPEN_CART, "A", D("3.33"), 1)]

    assert invariants.total(cart, lines) == D("2.83")  # 15 % of 3.33 = 0.4995 -> 0.50
    assert invariants.total(fixed, lines) == D("0.00")


def test_a_discount_for_some_skus_takes_off_only_from_their_lines():
    mugs = Cart(
        OPEN_CART,
        "pending",
        discount_kind="percent",
        discount_value=D("20.00"),
        discount_skus=frozenset({"MUG-1"}),
    )
    fixed = dataclasses.replace(mugs, discount_kind="fixed", discount_value=D("50.00"))
    lines = [Line(OPEN_CART, "MUG-1", D("7.50"), 2), Line(OPEN_CART, "TEA-1", D("4.00"), 1)]

    assert invariants.total(mugs, lines) == D("16.00")  # 19.00 less 20 % of the mugs' 15.00
    assert invariants.total(fixed, lines) == D("4.00")  # at most the mugs' 15.00 off


def test_a_promotion_counts_the_paid_carts_holding_any_of_its_codes():
    issued = {"discount_kind": "percent", "discount_value": D("10.00")}
    rows = dataclasses.replace(
        consistent(),
        carts=(
            *consistent().carts,
            Cart(uuid.uuid4(), "paid", discount_code="NEWS-A", **issued),
            Cart(uuid.uuid4(), "paid", discount_code="NEWS-B", **issued),
            Cart(uuid.uuid4(), "pending", discount_code="NEWS-C", **issued),
        ),
        lines=(),
        payments=(),
        refunds=(),
        cart_refunds=(),
    )
    counted = {"SAVE10": 2, "UNUSED": 0}
    promotion = Code("NEWS", 2, frozenset({"NEWS-A", "NEWS-B", "NEWS-C"}))

    def code_problems(times: int) -> list[str]:
        codes = (
            *(Code(c, n) for c, n in counted.items()),
            dataclasses.replace(promotion, times_redeemed=times),
        )
        rows_ = dataclasses.replace(rows, codes=codes)
        return list(invariants.each_code_counts_the_paid_carts_holding_it(rows_))

    assert code_problems(2) == []
    assert code_problems(3) == ["NEWS: times_redeemed 3, paid carts holding it 2"]


def test_without_the_catalog_or_the_lines_those_checks_are_skipped():
    rows = dataclasses.replace(consistent(), prices=None, lines=())
    rows = with_cart(rows, FREE_CART, payment_status="pending")

    assert invariants.problems(rows) == []


def _sqlite(path, create: str, insert: str, rows: list[tuple]) -> str:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(create)
        conn.executemany(insert, rows)
        conn.commit()
    return f"sqlite:///{path}"


def test_report_reads_the_services_own_tables(tmp_path):
    """As Django stores them on SQLite: UUIDs as 32 hex digits, the shown payment id as sent."""
    cart_db = tmp_path / "cart.sqlite3"
    _sqlite(
        cart_db,
        "CREATE TABLE carts_cartitem (cart_id char(32), sku varchar(64), "
        "unit_price decimal, quantity integer)",
        "INSERT INTO carts_cartitem VALUES (?, ?, ?, ?)",
        [(PAID_CART.hex, "MUG-1", "7.50", 2)],
    )
    _sqlite(
        cart_db,
        "CREATE TABLE carts_cartrefund (cart_id char(32), number integer, kind varchar(16), "
        "amount decimal, status varchar(16), payment_refund_id varchar(64))",
        "INSERT INTO carts_cartrefund VALUES (?, ?, ?, ?, ?, ?)",
        [(PAID_CART.hex, 1, "partial", "4.00", "succeeded", str(GIVEN_BACK))],
    )
    payment_db = tmp_path / "payment.sqlite3"
    _sqlite(
        payment_db,
        "CREATE TABLE payments_refund (id char(32), payment_id char(32), amount decimal, "
        "status varchar(16))",
        "INSERT INTO payments_refund VALUES (?, ?, ?, ?)",
        [(GIVEN_BACK.hex, PAID_WITH.hex, 4.0, "succeeded")],
    )
    catalog = tmp_path / "catalog.sqlite3"
    _sqlite(
        tmp_path / "discount.sqlite3",
        "CREATE TABLE discounts_issuedcode (code varchar(32), discount_id integer)",
        "INSERT INTO discounts_issuedcode VALUES (?, ?)",
        [("NEWS-7K3M", 2)],
    )
    _sqlite(
        catalog,
        "CREATE TABLE products_product (id integer, sku varchar(64))",
        "INSERT INTO products_product VALUES (?, ?)",
        [(1, "MUG-1")],
    )
    db_urls = {
        "cart": _sqlite(
            cart_db,
            "CREATE TABLE carts_cart (id char(32), payment_status varchar(8), "
            "last_payment_id varchar(64), discount_code varchar(64), currency varchar(3), "
            "discount_kind varchar(8), discount_value decimal, amount_refunded decimal, "
            "discount_skus text)",
            "INSERT INTO carts_cart VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    PAID_CART.hex,
                    "paid",
                    str(PAID_WITH),
                    "SAVE10",
                    "USD",
                    "percent",
                    "10.00",
                    4,
                    None,
                ),
                (OPEN_CART.hex, "pending", "", "NEWS-7K3M", "USD", "fixed", "1", "0", '["MUG-1"]'),
            ],
        ),
        "payment": _sqlite(
            payment_db,
            "CREATE TABLE payments_payment (id char(32), reference varchar(64), "
            "status varchar(16), amount decimal, currency varchar(3))",
            "INSERT INTO payments_payment VALUES (?, ?, ?, ?, ?)",
            [(PAID_WITH.hex, f"cart:{PAID_CART}", "succeeded", "13.50", "USD")],
        ),
        "catalog": _sqlite(
            catalog,
            "CREATE TABLE products_price (product_id integer, currency varchar(3), amount decimal)",
            "INSERT INTO products_price VALUES (?, ?, ?)",
            [(1, "USD", "7.50")],
        ),
        "discount": _sqlite(
            tmp_path / "discount.sqlite3",
            "CREATE TABLE discounts_discount (id integer, code varchar(32), times_redeemed integer)",
            "INSERT INTO discounts_discount VALUES (?, ?, ?)",
            [(1, "SAVE10", 2), (2, "NEWS", 0)],
        ),
    }

    assert invariants.read(db_urls) == Rows(
        carts=(
            Cart(PAID_CART, "paid", str(PAID_WITH), **SAVE10, amount_refunded=D("4.00")),
            Cart(
                OPEN_CART,
                "pending",
                discount_code="NEWS-7K3M",
                discount_kind="fixed",
                discount_value=D("1.00"),
                discount_skus=frozenset({"MUG-1"}),
            ),
        ),
        payments=(Payment(PAID_WITH, f"cart:{PAID_CART}", "succeeded", D("13.50"), "USD"),),
        codes=(Code("SAVE10", 2), Code("NEWS", 0, frozenset({"NEWS-7K3M"}))),
        lines=(Line(PAID_CART, "MUG-1", D("7.50"), 2),),
        prices=frozenset({Price("MUG-1", "USD", D("7.50"))}),
        refunds=(Refund(GIVEN_BACK, PAID_WITH, D("4.00"), "succeeded"),),
        cart_refunds=(
            CartRefund(PAID_CART, 1, "partial", D("4.00"), "succeeded", str(GIVEN_BACK)),
        ),
    )
    assert invariants.report(db_urls) == {
        "carts": 2,
        "paid": 1,
        "succeeded_payments": 1,
        "problems": ["SAVE10: times_redeemed 2, paid carts holding it 1"],
    }
