"""What must hold between carts, payments and codes, checked from the services' own rows.

    rows = read(db_urls)      # {"cart": URL, "payment": URL, "discount": URL}, SQLite or PostgreSQL
    problems(rows)            # every broken invariant, one line each; [] when all hold
    report(db_urls)           # summary(rows) and problems(rows): what bench and compose-scale keep

The invariants (one function each, in ``CHECKS``):

* no cart has more than one succeeded payment (no cart is charged twice);
* a paid cart shows its succeeded payment, and has one;
* a cart with a succeeded payment is paid;
* every succeeded payment for a cart belongs to a cart that exists;
* each code's ``times_redeemed`` equals the paid carts that hold it.

Payments whose reference is not ``cart:<id>`` (bench's direct payment) are no cart's.
Another table (refunds, the catalog's prices) is another row type, a field of ``Rows``
with an empty default, a query in ``read`` and the checks that need it in ``CHECKS``.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

# The services whose databases the invariants read (``read``'s db_urls).
DATABASES = ("cart", "payment", "discount")
PAID = "paid"
SUCCEEDED = "succeeded"
CART_REFERENCE = "cart:"


@dataclass(frozen=True)
class Cart:
    id: uuid.UUID
    payment_status: str  # pending, paid, failed
    last_payment_id: str = ""  # the payment the cart shows; "" for none
    discount_code: str = ""  # "" for none


@dataclass(frozen=True)
class Payment:
    id: uuid.UUID
    reference: str  # "cart:<cart id>" for a cart's payment
    status: str  # succeeded, declined


@dataclass(frozen=True)
class Code:
    code: str
    times_redeemed: int


@dataclass(frozen=True)
class Rows:
    """What the checks read: one tuple per table, in any order."""

    carts: tuple[Cart, ...] = ()
    payments: tuple[Payment, ...] = ()
    codes: tuple[Code, ...] = ()

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
        if cart.payment_status == PAID and paid_with and paid_with != shown:
            yield (
                f"paid cart {cart.id} shows payment {cart.last_payment_id!r}, succeeded {paid_with}"
            )


def a_paid_cart_has_a_succeeded_payment(rows: Rows) -> Iterator[str]:
    for cart in rows.carts:
        if cart.payment_status == PAID and not rows.succeeded_by_cart.get(cart.id):
            yield f"paid cart {cart.id} has no succeeded payment"


def a_cart_with_a_succeeded_payment_is_paid(rows: Rows) -> Iterator[str]:
    for cart in rows.carts:
        paid_with = rows.succeeded_by_cart.get(cart.id)
        if paid_with and cart.payment_status != PAID:
            yield f"cart {cart.id} is {cart.payment_status} but payment {paid_with[0]} succeeded"


def every_succeeded_payment_has_a_cart(rows: Rows) -> Iterator[str]:
    for cart_id in rows.succeeded_by_cart.keys() - rows.carts_by_id.keys():
        yield f"succeeded payment for unknown cart {cart_id}"


def each_code_counts_the_paid_carts_holding_it(rows: Rows) -> Iterator[str]:
    for code in rows.codes:
        holders = sum(
            1 for c in rows.carts if c.payment_status == PAID and c.discount_code == code.code
        )
        if code.times_redeemed != holders:
            yield (
                f"{code.code}: times_redeemed {code.times_redeemed}, "
                f"paid carts holding it {holders}"
            )


CHECKS: tuple[Callable[[Rows], Iterator[str]], ...] = (
    one_succeeded_payment_per_cart,
    a_paid_cart_shows_its_succeeded_payment,
    a_paid_cart_has_a_succeeded_payment,
    a_cart_with_a_succeeded_payment_is_paid,
    every_succeeded_payment_has_a_cart,
    each_code_counts_the_paid_carts_holding_it,
)


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


def read(db_urls: dict[str, str]) -> Rows:
    """The rows of each service's own database, by service name (cart, payment, discount)."""
    return Rows(
        carts=tuple(
            Cart(uuid.UUID(str(cart_id)), status, last_payment_id or "", code or "")
            for cart_id, status, last_payment_id, code in query(
                db_urls["cart"],
                "SELECT id, payment_status, last_payment_id, discount_code FROM carts_cart",
            )
        ),
        payments=tuple(
            Payment(uuid.UUID(str(payment_id)), reference, status)
            for payment_id, reference, status in query(
                db_urls["payment"], "SELECT id, reference, status FROM payments_payment"
            )
        ),
        codes=tuple(
            Code(code, times)
            for code, times in query(
                db_urls["discount"], "SELECT code, times_redeemed FROM discounts_discount"
            )
        ),
    )


def report(db_urls: dict[str, str]) -> dict:
    """The counts and the problems of the services' databases (bench's and compose-scale's)."""
    rows = read(db_urls)
    return {**summary(rows), "problems": problems(rows)}
