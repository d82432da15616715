"""What must hold between carts, payments and codes, checked from the services' own rows.

    rows = read(db_urls)      # {"cart": URL, "payment": URL, "discount": URL}, SQLite or PostgreSQL
    problems(rows)            # every broken invariant, one line each; [] when all hold
    report(db_urls)           # summary(rows) and problems(rows): what bench and compose-scale keep

The invariants (one function each, in ``CHECKS``):

* no cart has more than one succeeded payment (no cart is charged twice);
* a paid cart shows its succeeded payment, and has one;
* a cart with a succeeded payment is paid;
* every succeeded payment for a cart belongs to a cart that exists;
* each code's ``times_redeemed`` equals the paid carts that hold it;
* a paid cart was charged exactly its total (its lines and its discount, computed here as
  docs/api.md states the rule: an oracle apart from cart_service's own code), and a paid
  cart with nothing to charge (fully discounted) has no payment;
* every line of a paid cart is priced at a price the catalog had for that sku and currency
  (its current prices, and any earlier ones the caller saw it have: ``read(prices_seen=)``);
* money goes back exactly once: every refund payment_service made of a cart's payment is
  one of the cart's refunds, settled alike (same amount, same outcome), and each settled
  cart refund names one payment_service made; no refund is left pending;
* no payment is refunded beyond its amount, and a cart's ``amount_refunded`` is what its
  succeeded refunds gave back, at payment_service as in cart_service;
* a cancelled cart was refunded in full, and only a charged cart is refunded at all.

A ``cancelled`` cart was paid: the checks of what was charged hold for it as for a paid
one; it holds no use of its code. Payments whose reference is not ``cart:<id>`` (bench's
direct payment) are no cart's. Another table is another row type, a field of ``Rows``
with an empty default, a query in ``read`` and the checks that need it in ``CHECKS``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

# The services whose databases the invariants read (``read``'s db_urls); catalog's too
# when given.
DATABASES = ("cart", "payment", "discount")
CENT = Decimal("0.01")
PAID = "paid"
CANCELLED = "cancelled"
CHARGED = (PAID, CANCELLED)  # carts whose payment was taken (a cancelled one refunded in full)
SUCCEEDED = "succeeded"
PENDING = "pending"
CART_REFERENCE = "cart:"


@dataclass(frozen=True)
class Cart:
    id: uuid.UUID
    payment_status: str  # pending, paid, failed, cancelled
    last_payment_id: str = ""  # the payment the cart shows; "" for none
    discount_code: str = ""  # "" for none
    currency: str = "USD"
    discount_kind: str = ""  # percent, fixed; "" for none
    discount_value: Decimal | None = None
    amount_refunded: Decimal = Decimal("0.00")
    # The skus a promotion restricted to takes off from; None: every line.
    discount_skus: frozenset[str] | None = None


@dataclass(frozen=True)
class Line:
    cart_id: uuid.UUID
    sku: str
    unit_price: Decimal
    quantity: int


@dataclass(frozen=True)
class Payment:
    id: uuid.UUID
    reference: str  # "cart:<cart id>" for a cart's payment
    status: str  # succeeded, declined
    amount: Decimal | None = None  # None: not read (the checks of amounts skip it)
    currency: str = ""


@dataclass(frozen=True)
class Refund:
    """A refund payment_service made (or its processor declined) of a payment."""

    id: uuid.UUID
    payment_id: uuid.UUID
    amount: Decimal
    status: str  # succeeded, failed


@dataclass(frozen=True)
class CartRefund:
    """A refund an operator asked cart_service for, as cart_service recorded it."""

    cart_id: uuid.UUID
    number: int
    kind: str  # partial, cancel
    amount: Decimal
    status: str  # pending, succeeded, failed
    payment_refund_id: str = ""  # the Refund's id; "" if payment_service made none


@dataclass(frozen=True)
class Price:
    """A price the catalog had: a sku's amount in a currency."""

    sku: str
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class Code:
    code: str
    times_redeemed: int
    # A promotion's single-use codes: each redeems the promotion (counted on it).
    issued: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rows:
    """What the checks read: one tuple per table, in any order."""

    carts: tuple[Cart, ...] = ()
    payments: tuple[Payment, ...] = ()
    codes: tuple[Code, ...] = ()
    lines: tuple[Line, ...] = ()
    # None: the catalog was not read (the price check is skipped); else every price it had.
    prices: frozenset[Price] | None = None
    refunds: tuple[Refund, ...] = ()
    cart_refunds: tuple[CartRefund, ...] = ()

    @cached_property
    def lines_by_cart(self) -> dict[uuid.UUID, list[Line]]:
        by_cart: dict[uuid.UUID, list[Line]] = {}
        for line in self.lines:
            by_cart.setdefault(line.cart_id, []).append(line)
        return by_cart

    @cached_property
    def payments_by_id(self) -> dict[uuid.UUID, Payment]:
        return {payment.id: payment for payment in self.payments}

    @cached_property
    def carts_by_id(self) -> dict[uuid.UUID, Cart]:
        return {cart.id: cart for cart in self.carts}

    @cached_property
    def succeeded_by_cart(self) -> dict[uuid.UUID, list[uuid.UUID]]:
        """Each cart's succeeded payments (by the cart id in their reference)."""
        by_cart: dict[uuid.UUID, list[uuid.UUID]] = {}
        for payment in self.payments:
            cart_id = cart_of(payment)
            if cart_id is not None and payment.status == SUCCEEDED:
                by_cart.setdefault(cart_id, []).append(payment.id)
        return by_cart

    @cached_property
    def refunds_by_payment(self) -> dict[uuid.UUID, list[Refund]]:
        by_payment: dict[uuid.UUID, list[Refund]] = {}
        for refund in self.refunds:
            by_payment.setdefault(refund.payment_id, []).append(refund)
        return by_payment

    @cached_property
    def cart_refunds_by_cart(self) -> dict[uuid.UUID, list[CartRefund]]:
        by_cart: dict[uuid.UUID, list[CartRefund]] = {}
        for refund in self.cart_refunds:
            by_cart.setdefault(refund.cart_id, []).append(refund)
        return by_cart


def cart_of(payment: Payment) -> uuid.UUID | None:
    """The cart a payment was taken for, None if its reference names no cart."""
    if not payment.reference.startswith(CART_REFERENCE):
        return None
    try:
        return uuid.UUID(payment.reference.removeprefix(CART_REFERENCE))
    except ValueError:
        return None


def _as_uuid(text: str) -> uuid.UUID | str:
    try:
        return uuid.UUID(text)
    except ValueError:
        return text  # shown as it is: it matches no payment


# -- the invariants -------------------------------------------------------------------------


def one_succeeded_payment_per_cart(rows: Rows) -> Iterator[str]:
    for cart_id, paid_with in rows.succeeded_by_cart.items():
        if len(paid_with) > 1:
            yield f"cart {cart_id} has {len(paid_with)} succeeded payments"


def a_paid_cart_shows_its_succeeded_payment(rows: Rows) -> Iterator[str]:
    for cart in rows.carts:
        paid_with = rows.succeeded_by_cart.get(cart.id, [])
        shown = [_as_uuid(cart.last_payment_id)] if cart.last_payment_id else []
        if cart.payment_status in CHARGED and paid_with and paid_with != shown:
            yield (
                f"paid cart {cart.id} shows payment {cart.last_payment_id!r}, succeeded {paid_with}"
            )


def a_paid_cart_has_a_succeeded_payment(rows: Rows) -> Iterator[str]:
    for cart in rows.carts:
        nothing_to_charge = rows.lines and total(cart, rows.lines_by_cart.get(cart.id, [])) == 0
        if (
            cart.payment_status in CHARGED
            and not nothing_to_charge
            and not rows.succeeded_by_cart.get(cart.id)
        ):
            yield f"{cart.payment_status} cart {cart.id} has no succeeded payment"


def a_paid_cart_was_charged_its_total(rows: Rows) -> Iterator[str]:
    if not rows.lines:
        return  # lines not read
    for cart in rows.carts:
        if cart.payment_status not in CHARGED:
            continue
        expected = total(cart, rows.lines_by_cart.get(cart.id, []))
        for payment_id in rows.succeeded_by_cart.get(cart.id, []):
            payment = rows.payments_by_id[payment_id]
            if payment.amount is None:
                continue
            if (payment.amount, payment.currency) != (expected, cart.currency):
                yield (
                    f"paid cart {cart.id} totals {expected} {cart.currency}, charged "
                    f"{payment.amount} {payment.currency} (payment {payment.id})"
                )
        if expected == 0 and rows.succeeded_by_cart.get(cart.id):
            yield f"paid cart {cart.id} had nothing to charge, yet has a payment"


def every_price_charged_was_the_catalogs(rows: Rows) -> Iterator[str]:
    if rows.prices is None:
        return  # the catalog was not read
    for cart in rows.carts:
        if cart.payment_status not in CHARGED:
            continue
        for line in rows.lines_by_cart.get(cart.id, []):
            if Price(line.sku, cart.currency, line.unit_price) not in rows.prices:
                yield (
                    f"paid cart {cart.id}: {line.sku} at {line.unit_price} {cart.currency}, "
                    "a price the catalog never had"
                )


def a_cart_with_a_succeeded_payment_is_paid(rows: Rows) -> Iterator[str]:
    for cart in rows.carts:
        paid_with = rows.succeeded_by_cart.get(cart.id)
        if paid_with and cart.payment_status not in CHARGED:
            yield f"cart {cart.id} is {cart.payment_status} but payment {paid_with[0]} succeeded"


def every_succeeded_payment_has_a_cart(rows: Rows) -> Iterator[str]:
    for cart_id in rows.succeeded_by_cart.keys() - rows.carts_by_id.keys():
        yield f"succeeded payment for unknown cart {cart_id}"


def each_code_counts_the_paid_carts_holding_it(rows: Rows) -> Iterator[str]:
    """A discount's times_redeemed is its paid carts; a promotion's, the paid carts holding
    any of the codes it issued."""
    for code in rows.codes:
        held_through = code.issued | {code.code}
        holders = sum(
            1 for c in rows.carts if c.payment_status == PAID and c.discount_code in held_through
        )
        if code.times_redeemed != holders:
            yield (
                f"{code.code}: times_redeemed {code.times_redeemed}, "
                f"paid carts holding it {holders}"
            )


def every_refund_is_one_of_the_carts_refunds(rows: Rows) -> Iterator[str]:
    """Exactly once, both ways: payment_service's refunds of a cart's payment and the cart's
    settled refunds pair off one to one, with the same amount and outcome."""
    named = {}
    for refund in rows.cart_refunds:
        if refund.status == PENDING:
            yield f"cart {refund.cart_id} refund {refund.number} is still pending"
        elif refund.payment_refund_id:
            named.setdefault(_as_uuid(refund.payment_refund_id), []).append(refund)
        elif refund.status == SUCCEEDED:
            yield f"cart {refund.cart_id} refund {refund.number} succeeded with no refund made"
    made = {refund.id: refund for refund in rows.refunds}
    for refund_id, theirs in named.items():
        made_one = made.get(refund_id)  # type: ignore[arg-type]
        if made_one is None:
            yield f"cart {theirs[0].cart_id} refund {theirs[0].number} names no refund made"
        elif len(theirs) > 1:
            yield f"refund {refund_id} is {len(theirs)} cart refunds"
        elif (theirs[0].amount, theirs[0].status) != (made_one.amount, made_one.status):
            yield (
                f"cart {theirs[0].cart_id} refund {theirs[0].number} is {theirs[0].status} "
                f"{theirs[0].amount}, payment_service's {made_one.status} {made_one.amount}"
            )
    for payment in rows.payments:
        if cart_of(payment) is None:
            continue
        for refund in rows.refunds_by_payment.get(payment.id, []):
            if refund.id not in named:
                yield f"refund {refund.id} of cart {cart_of(payment)}'s payment is no cart refund"


def no_payment_refunded_beyond_its_amount(rows: Rows) -> Iterator[str]:
    for payment_id, refunds in rows.refunds_by_payment.items():
        payment = rows.payments_by_id.get(payment_id)
        given = _given_back(refunds)
        if payment is None or payment.status != SUCCEEDED:
            yield f"refund of payment {payment_id}, which took no money"
        elif payment.amount is not None and given > payment.amount:
            yield f"payment {payment_id} of {payment.amount} refunded {given}"


def a_carts_amount_refunded_is_what_its_refunds_gave_back(rows: Rows) -> Iterator[str]:
    for cart in rows.carts:
        settled = sum(
            (r.amount for r in rows.cart_refunds_by_cart.get(cart.id, []) if r.status == SUCCEEDED),
            Decimal("0.00"),
        )
        at_payment = sum(
            (
                _given_back(rows.refunds_by_payment.get(payment_id, []))
                for payment_id in rows.succeeded_by_cart.get(cart.id, [])
            ),
            Decimal("0.00"),
        )
        if not cart.amount_refunded == settled == at_payment:
            yield (
                f"cart {cart.id} shows {cart.amount_refunded} refunded, its refunds {settled}, "
                f"payment_service gave back {at_payment}"
            )
        if cart.amount_refunded and cart.payment_status not in CHARGED:
            yield f"{cart.payment_status} cart {cart.id} refunded {cart.amount_refunded}"


def a_cancelled_cart_was_refunded_in_full(rows: Rows) -> Iterator[str]:
    for cart in rows.carts:
        if cart.payment_status != CANCELLED:
            continue
        charged = sum(
            (
                rows.payments_by_id[payment_id].amount or Decimal("0.00")
                for payment_id in rows.succeeded_by_cart.get(cart.id, [])
            ),
            Decimal("0.00"),
        )
        if cart.amount_refunded != charged:
            yield f"cancelled cart {cart.id} charged {charged}, refunded {cart.amount_refunded}"


def _given_back(refunds: Iterable[Refund]) -> Decimal:
    return sum((r.amount for r in refunds if r.status == SUCCEEDED), Decimal("0.00"))


CHECKS: tuple[Callable[[Rows], Iterator[str]], ...] = (
    one_succeeded_payment_per_cart,
    a_paid_cart_shows_its_succeeded_payment,
    a_paid_cart_has_a_succeeded_payment,
    a_cart_with_a_succeeded_payment_is_paid,
    every_succeeded_payment_has_a_cart,
    each_code_counts_the_paid_carts_holding_it,
    a_paid_cart_was_charged_its_total,
    every_price_charged_was_the_catalogs,
    every_refund_is_one_of_the_carts_refunds,
    no_payment_refunded_beyond_its_amount,
    a_carts_amount_refunded_is_what_its_refunds_gave_back,
    a_cancelled_cart_was_refunded_in_full,
)


def total(cart: Cart, lines: Iterable[Line]) -> Decimal:
    """The cart's total as docs/api.md states it: the lines' subtotal less the discount,
    taken off the lines it covers (all, or those of its skus; percent: rounded half-up to
    cents; fixed: at most their subtotal), never below zero."""
    lines = list(lines)
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
    covered = sum(
        (
            line.unit_price * line.quantity
            for line in lines
            if cart.discount_skus is None or line.sku in cart.discount_skus
        ),
        Decimal("0.00"),
    )
    off = Decimal("0.00")
    if cart.discount_kind == "percent" and cart.discount_value is not None:
        off = (covered * cart.discount_value / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    elif cart.discount_kind == "fixed" and cart.discount_value is not None:
        off = min(cart.discount_value, covered)
    return max(subtotal - off, Decimal("0.00")).quantize(CENT)


def problems(rows: Rows) -> list[str]:
    """Every broken invariant, one line each; empty when all hold."""
    return [problem for check in CHECKS for problem in check(rows)]


def summary(rows: Rows) -> dict[str, int]:
    return {
        "carts": len(rows.carts),
        "paid": sum(1 for cart in rows.carts if cart.payment_status == PAID),
        "succeeded_payments": sum(len(ids) for ids in rows.succeeded_by_cart.values()),
    }


# -- the rows, read from the services' databases -----------------------------------------------


def query(db_url: str, sql: str) -> list[tuple]:
    """A query's rows from a ``sqlite:///`` file or a PostgreSQL URL (psycopg: harness[postgres])."""
    if db_url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(db_url.removeprefix("sqlite:///"))) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(db_url) as conn:
        return conn.execute(sql).fetchall()


def read(db_urls: dict[str, str], prices_seen: Iterable[Price] = ()) -> Rows:
    """The rows of each service's own database, by service name (cart, payment, discount,
    and catalog if given: its current prices, with ``prices_seen``, the earlier ones)."""
    prices = None
    if "catalog" in db_urls:
        prices = frozenset(prices_seen) | {
            Price(sku, currency, _decimal(amount))
            for sku, currency, amount in query(
                db_urls["catalog"],
                "SELECT p.sku, c.currency, c.amount FROM products_price c "
                "JOIN products_product p ON p.id = c.product_id",
            )
        }
    return Rows(
        carts=tuple(
            Cart(
                uuid.UUID(str(cart_id)),
                status,
                last_payment_id or "",
                code or "",
                currency,
                kind or "",
                None if value is None else _decimal(value),
                _decimal(refunded),
                _skus(skus),
            )
            for cart_id, status, last_payment_id, code, currency, kind, value, refunded, skus in (
                query(
                    db_urls["cart"],
                    "SELECT id, payment_status, last_payment_id, discount_code, currency, "
                    "discount_kind, discount_value, amount_refunded, discount_skus FROM carts_cart",
                )
            )
        ),
        cart_refunds=tuple(
            CartRefund(
                uuid.UUID(str(cart_id)), number, kind, _decimal(amount), status, refund_id or ""
            )
            for cart_id, number, kind, amount, status, refund_id in query(
                db_urls["cart"],
                "SELECT cart_id, number, kind, amount, status, payment_refund_id "
                "FROM carts_cartrefund",
            )
        ),
        refunds=tuple(
            Refund(uuid.UUID(str(refund_id)), uuid.UUID(str(payment_id)), _decimal(amount), status)
            for refund_id, payment_id, amount, status in query(
                db_urls["payment"], "SELECT id, payment_id, amount, status FROM payments_refund"
            )
        ),
        lines=tuple(
            Line(uuid.UUID(str(cart_id)), sku, _decimal(unit_price), quantity)
            for cart_id, sku, unit_price, quantity in query(
                db_urls["cart"], "SELECT cart_id, sku, unit_price, quantity FROM carts_cartitem"
            )
        ),
        prices=prices,
        payments=tuple(
            Payment(uuid.UUID(str(payment_id)), reference, status, _decimal(amount), currency)
            for payment_id, reference, status, amount, currency in query(
                db_urls["payment"],
                "SELECT id, reference, status, amount, currency FROM payments_payment",
            )
        ),
        codes=_codes(db_urls["discount"]),
    )


def _codes(db_url: str) -> tuple[Code, ...]:
    issued: dict[str, set[str]] = {}
    for code, promotion in query(
        db_url,
        "SELECT i.code, d.code FROM discounts_issuedcode i "
        "JOIN discounts_discount d ON d.id = i.discount_id",
    ):
        issued.setdefault(promotion, set()).add(code)
    return tuple(
        Code(code, times, frozenset(issued.get(code, ())))
        for code, times in query(db_url, "SELECT code, times_redeemed FROM discounts_discount")
    )


def _skus(value) -> frozenset[str] | None:
    """A JSON column: PostgreSQL gives the list, SQLite its text."""
    if isinstance(value, str):
        value = json.loads(value)
    return None if value is None else frozenset(value)


def _decimal(value) -> Decimal:
    """A money column as a Decimal of cents (SQLite gives floats or strings, PostgreSQL
    Decimals)."""
    return Decimal(str(value)).quantize(CENT)


def report(db_urls: dict[str, str]) -> dict:
    """The counts and the problems of the services' databases (bench's and compose-scale's)."""
    rows = read(db_urls)
    return {**summary(rows), "problems": problems(rows)}
