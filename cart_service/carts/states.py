"""The states of a cart, named once.

A cart's state is a rule over several columns (``payment_status``, ``attempt_unresolved``,
``redemption_held``, ``checkout_problem``). Each state the README's diagram draws is
written here as a predicate on a cart and as a ``Q`` object (or, for the compiled
conditional UPDATEs, the column values that make it), and services, checkout, the
reconciler, the selectors and the partial indexes all use these names.

- **open**: pending or failed, no attempt unresolved, no use of the code held, not held
  for an operator: the shopper edits it and checks it out.
- **redeeming**: a checkout wrote "a use may be held" ahead of its redeem call and has not
  begun the attempt yet; if that checkout stopped (discount_service did not answer, or the
  worker died), the cart stays so, **stopped at the redeem step**, and the reconciler gives
  the use back ``CART_RECONCILE_AFTER`` seconds after the redeem was sent.
- **unresolved**: attempt n was begun (committed before any money moved) and its outcome is
  not recorded yet; the cart is frozen.
- **paid**, **failed** (declined or refused; may be checked out again).
- **refunding** (paid, a refund being settled with payment_service: a ``CartRefund`` pending),
  **partly refunded** (paid, ``amount_refunded`` above zero: the use of the code stays),
  **cancelled** (an operator cancelled it: the whole payment refunded, the use given back;
  never checked out again). See carts.refunds.
- **held for an operator**: payment_service recorded a payment that does not match the cart
  (``payment_mismatch``); frozen until an operator settles it.
"""

from __future__ import annotations

from typing import Protocol

from django.db import models
from django.db.models import Q


class Cart(Protocol):
    """The columns the predicates read: a Cart as carts.models defines it (which imports
    this module for its partial indexes, so this module does not import it back)."""

    payment_status: str
    attempt_unresolved: bool
    checkout_problem: str
    redemption_held: bool


class PaymentStatus(models.TextChoices):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    # Paid, then cancelled by an operator: the whole payment refunded, the use given back.
    CANCELLED = "cancelled"


# -- as Q objects: queries, WHERE clauses, partial indexes ---------------------------------

PAID = Q(payment_status=PaymentStatus.PAID)
CANCELLED = Q(payment_status=PaymentStatus.CANCELLED)
UNRESOLVED = Q(attempt_unresolved=True)
HELD_FOR_OPERATOR = ~Q(checkout_problem="")
# Nothing stops a change: not paid (nor cancelled), not being settled, not held for an operator.
EDITABLE = Q(checkout_problem="", attempt_unresolved=False) & ~PAID & ~CANCELLED
# Redeeming, or stopped at the redeem step: a use may be held that no attempt needs yet.
MAY_HOLD_UNNEEDED_USE = EDITABLE & Q(redemption_held=True)

# -- as column values: the WHERE clauses of compiled conditional UPDATEs -------------------

# An editable cart's bookkeeping columns (with payment_status pinned by the caller).
EDITABLE_COLUMNS = {"checkout_problem": "", "attempt_unresolved": False}


# -- as predicates on a cart that was read ------------------------------------------------


def is_paid(cart: Cart) -> bool:
    return cart.payment_status == PaymentStatus.PAID


def is_cancelled(cart: Cart) -> bool:
    return cart.payment_status == PaymentStatus.CANCELLED


def is_unresolved(cart: Cart) -> bool:
    return cart.attempt_unresolved


def is_held_for_operator(cart: Cart) -> bool:
    return bool(cart.checkout_problem)


def is_editable(cart: Cart) -> bool:
    return not (
        is_held_for_operator(cart) or is_paid(cart) or is_cancelled(cart) or is_unresolved(cart)
    )


def may_hold_unneeded_use(cart: Cart) -> bool:
    return is_editable(cart) and cart.redemption_held
