"""The refund protocol: money goes back exactly once, as checkout takes it exactly once.

An operator refunds part of a paid cart (an amount), or cancels it (all that is left, and
the use of its discount code given back). Short writes around the call, no transaction open
while payment_service is asked:

1. **begin**, under the cart's row lock: the cart must be paid, no other refund of it being
   settled, the amount at most what is left; a ``CartRefund`` is recorded ``pending`` with its
   number and amount, and **committed before money moves**. Its Idempotency-Key at
   payment_service is derived from the cart, that number and the cart's secret, so every try
   of it (the operator's, a repeat of the request, the reconciler's) sends the same key,
   amount and reason, and payment_service makes one refund of it.
2. **refund** at payment_service, outside any transaction. Unavailable (a timeout, a 5xx, our
   token refused): the outcome is unknown, the refund stays ``pending`` (503), and the next
   request naming it, or the reconciler after ``CART_RECONCILE_AFTER``, tries it again.
3. **settle**, one conditional UPDATE (``WHERE status = 'pending'``), so of several settlers
   exactly one records the outcome: ``succeeded`` adds the amount to the cart's
   ``amount_refunded`` (in the same transaction) and, for a cancel, marks the cart
   ``cancelled`` and records the use of its code as owed (given back right after, or by the
   reconciler); ``failed`` (refused for good, or declined by the processor) leaves the money
   and the cart as they were, with payment_service's code.

A partly refunded cart keeps the use of its code: the order stands, for less.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from carts import states
from carts.clients.payment import Refund as PaymentRefund
from carts.clients.ports import DiscountProvider, PaymentProvider
from carts.errors import (
    CartCancelled,
    CartNotPaid,
    PaymentServiceUnavailable,
    RefundExceedsPaid,
    RefundInProgress,
    RefundKeyReused,
    RefundRefused,
)
from carts.metrics import REFUNDS
from carts.models import Cart, CartRefund
from carts.releases import owe_release, releases_give_back
from carts.selectors import cart_locked
from carts.states import PaymentStatus
from servicekit.perf.db import save_fields

logger = logging.getLogger(__name__)
DECLINED = "refund_declined"  # payment_service's failure_code of a refund its processor declined


@dataclass(frozen=True)
class Refunded:
    """What a refund request ended with: the refund, and whether this request made it."""

    refund: CartRefund
    created: bool


def cart_refund(
    *,
    cart_id: object,
    amount: Decimal,
    reason: str = "",
    operator_key: str = "",
    payment_client: PaymentProvider,
    discount_client: DiscountProvider,
) -> Refunded:
    """Give ``amount`` of a paid cart back. The same ``operator_key`` again is this refund
    (finished if it is still pending). RefundRefused if payment_service refuses it."""
    refund, created = _begin(
        cart_id=cart_id,
        kind=CartRefund.Kind.PARTIAL,
        amount=amount,
        reason=reason,
        operator_key=operator_key,
    )
    return Refunded(_finish(refund, payment_client, discount_client), created)


def cart_cancel(
    *,
    cart_id: object,
    reason: str = "",
    payment_client: PaymentProvider,
    discount_client: DiscountProvider,
) -> Cart:
    """Cancel a paid cart: refund all that is left of its payment and give its use back.

    A cancelled cart is answered as it is, refunding nothing more; a cancel still pending is
    finished. RefundRefused if payment_service refuses the refund (the cart stays paid).
    """
    refund, _ = _begin(
        cart_id=cart_id, kind=CartRefund.Kind.CANCEL, amount=None, reason=reason, operator_key=""
    )
    _finish(refund, payment_client, discount_client)
    cart = Cart.objects.get(pk=refund.cart_id)
    if cart.releases_owed:
        releases_give_back(cart_id=cart.pk, discount_client=discount_client)
        cart.refresh_from_db()
    return cart


def _begin(
    *,
    cart_id: object,
    kind: str,
    amount: Decimal | None,
    reason: str,
    operator_key: str,
) -> tuple[CartRefund, bool]:
    """The refund to try (recorded pending and committed), and whether it is new."""
    with transaction.atomic():
        cart = cart_locked(cart_id=cart_id)
        if operator_key:
            same = cart.refunds.filter(operator_key=operator_key).first()
            if same is not None:
                if (same.kind, same.amount, same.reason) != (kind, amount, reason):
                    raise RefundKeyReused()
                return same, False  # the operator's request again: that refund
        pending = cart.refunds.filter(status=CartRefund.Status.PENDING).first()
        if pending is not None:
            if kind == CartRefund.Kind.CANCEL and pending.kind == CartRefund.Kind.CANCEL:
                return pending, False  # a cancel again: finish the one in flight
            raise RefundInProgress()
        if states.is_cancelled(cart):
            last = cart.refunds.filter(kind=CartRefund.Kind.CANCEL).last()
            if kind == CartRefund.Kind.CANCEL and last is not None:
                return last, False  # cancelled already: nothing more
            raise CartCancelled()
        if not states.is_paid(cart):
            raise CartNotPaid()
        left = cart.totals().total - cart.amount_refunded
        if kind == CartRefund.Kind.CANCEL:
            amount = left
        assert amount is not None
        if amount > left:
            raise RefundExceedsPaid(f"{left} {cart.currency} of the cart's payment is left.")
        number = cart.refunds.count() + 1  # under the cart's lock: numbers are 1, 2, ...
        refund = CartRefund.objects.create(
            cart=cart,
            number=number,
            kind=kind,
            amount=amount,
            reason=reason,
            operator_key=operator_key,
        )
    return refund, True


def _finish(
    refund: CartRefund, payment_client: PaymentProvider, discount_client: DiscountProvider
) -> CartRefund:
    """Ask payment_service for a pending refund and settle it; a settled one is answered as
    it was (a failed one raises its refusal again)."""
    if refund.status == CartRefund.Status.FAILED:
        raise RefundRefused(refund.failure_code or DECLINED)
    if refund.status != CartRefund.Status.PENDING:
        return refund
    answer, refused = refund_attempt(refund, payment_client)  # PaymentServiceUnavailable
    settled = refund_settle(refund, answer, refused)
    if settled.cart.releases_owed:
        releases_give_back(cart_id=settled.cart_id, discount_client=discount_client)
    if settled.status == CartRefund.Status.FAILED and refused is not None:
        raise refused
    return settled


def refund_attempt(
    refund: CartRefund, payment_client: PaymentProvider
) -> tuple[PaymentRefund | None, RefundRefused | None]:
    """Send (or repeat) the refund: payment_service's refund, or its final refusal.

    Raises PaymentServiceUnavailable when the outcome cannot be known now. A refund of
    nothing (a fully discounted cart cancelled) asks payment_service nothing.
    """
    if refund.amount == 0:
        return None, None
    cart = refund.cart
    try:
        answer = payment_client.refund(
            payment_id=cart.last_payment_id,
            amount=refund.amount,
            reason=refund.reason,
            idempotency_key=refund.idempotency_key,
        )
    except RefundRefused as exc:
        return None, exc
    if answer.status != "succeeded":
        return answer, RefundRefused(answer.failure_code or DECLINED)
    if answer.amount != refund.amount:
        # payment_service gave back another amount under our key: our bug or theirs, loud.
        logger.error(
            "refund %s of cart %s: payment_service refunded %s, asked %s",
            refund.number,
            cart.id,
            answer.amount,
            refund.amount,
        )
        raise PaymentServiceUnavailable()
    return answer, None


def refund_settle(
    refund: CartRefund, answer: PaymentRefund | None, refused: RefundRefused | None
) -> CartRefund:
    """Record the outcome once (a conditional UPDATE decides between settlers)."""
    succeeded = refused is None
    with transaction.atomic():
        cart = cart_locked(cart_id=refund.cart_id)
        done = CartRefund.objects.filter(pk=refund.pk, status=CartRefund.Status.PENDING).update(
            status=CartRefund.Status.SUCCEEDED if succeeded else CartRefund.Status.FAILED,
            payment_refund_id=answer.id if answer is not None else "",
            failure_code="" if succeeded else refused.reason,  # type: ignore[union-attr]
            settled_at=timezone.now(),
            claimed_until=None,
        )
        if done and succeeded:
            cart.amount_refunded += refund.amount
            fields = ["amount_refunded", "updated_at"]
            if refund.kind == CartRefund.Kind.CANCEL:
                cart.payment_status = PaymentStatus.CANCELLED
                fields.append("payment_status")
                if cart.discount_code and cart.redemption_held:
                    owe_release(cart, cart.discount_code)  # given back by the caller
                    fields += ["redemption_held", "releases_owed"]
            save_fields(cart, fields)
    if done:
        REFUNDS.labels(f"{refund.kind}_{'succeeded' if succeeded else 'failed'}").inc()
        logger.info(
            "refund %d of cart %s (%s %s): %s",
            refund.number,
            refund.cart_id,
            refund.kind,
            refund.amount,
            "succeeded" if succeeded else f"failed, {refused.reason}",  # type: ignore[union-attr]
        )
    return CartRefund.objects.select_related("cart").get(pk=refund.pk)
