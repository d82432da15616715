"""Releasing a cart held for an operator (``payment_mismatch``).

payment_service recorded a payment of another amount or currency than the cart's total,
so checkout and the reconciler took the cart as neither paid nor failed and froze it
(``checkout_problem``). An operator looks at the payment (payment_service's admin or its
ledger API), settles it there, then releases the hold with what they decided:

- **accepted**: the payment stands (e.g. the shopper agreed to the amount): the cart is
  ``paid`` with it;
- **refunded**: the operator refunded the payment in full at payment_service: the cart is
  ``failed`` (it may be checked out again), and the use of its discount code is owed back
  and given back, as after a decline.

Who released it, when and why is kept in the admin's history (carts.admin); the log line
here names them too.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from django.db import transaction

from carts import states
from carts.clients.ports import DiscountProvider
from carts.models import Cart
from carts.releases import owe_release, releases_give_back
from carts.selectors import cart_locked
from carts.states import PaymentStatus

logger = logging.getLogger(__name__)


class HoldOutcome(enum.StrEnum):
    ACCEPTED = "accepted"  # the payment stands: paid
    REFUNDED = "refunded"  # refunded in full at payment_service: failed, the use given back


@dataclass(frozen=True)
class HoldRelease:
    """The cart after the request, and whether this request released it (False: it was not
    held, e.g. another operator released it first)."""

    cart: Cart
    released: bool


def cart_release_hold(
    *,
    cart_id: object,
    outcome: HoldOutcome,
    reason: str,
    operator: str,
    discount_client: DiscountProvider,
) -> HoldRelease:
    """Release the hold of a cart held for an operator, under its row lock."""
    with transaction.atomic():
        cart = cart_locked(cart_id=cart_id)
        if not states.is_held_for_operator(cart):
            return HoldRelease(cart, released=False)
        problem = cart.checkout_problem
        cart.checkout_problem = ""
        fields = ["checkout_problem", "payment_status", "updated_at"]
        if outcome == HoldOutcome.ACCEPTED:
            cart.payment_status = PaymentStatus.PAID
        else:
            cart.payment_status = PaymentStatus.FAILED
            if cart.discount_code and cart.redemption_held:
                owe_release(cart, cart.discount_code)
                fields += ["redemption_held", "releases_owed"]
        cart.save(update_fields=fields)
    logger.warning(
        "cart %s released from %s by %s: %s (payment %s): %s",
        cart.id,
        problem,
        operator,
        outcome.value,
        cart.last_payment_id or "none",
        reason,
    )
    if cart.releases_owed:
        # Given back now if discount_service answers; otherwise the reconciler does it.
        releases_give_back(cart_id=cart.pk, discount_client=discount_client)
        cart.refresh_from_db()
    return HoldRelease(cart, released=True)
