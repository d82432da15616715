"""Checkout: redeem the cart's code, charge its total, record the outcome; never twice.

The steps, and why no transaction is open while a provider is called, are in
``cart_checkout`` and in the README ("Checkout"). The reconciler (carts.reconciler)
finishes attempts through ``attempt_charge``, ``attempt_payment_by_reference`` and
``attempt_settle``.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_fixed

from carts import pricing, states
from carts.clients.discount import CartTerms
from carts.clients.payment import Payment
from carts.clients.ports import CatalogProvider, DiscountProvider, PaymentProvider
from carts.errors import (
    CartCancelled,
    CartEmpty,
    CartNotEditable,
    DiscountRefused,
    DiscountServiceUnavailable,
    PaymentBeingConfirmed,
    PaymentKeyReused,
    PaymentMismatch,
    PaymentRefused,
    PaymentServiceUnavailable,
    PricesChanged,
)
from carts.models import Cart, CartItem, OwedRelease
from carts.releases import owe_release, owe_release_of, releases_give_back
from carts.selectors import cart_for_checkout, cart_locked
from carts.states import PaymentStatus
from servicekit import dbfaults
from servicekit.perf.db import save_fields, update_where

logger = logging.getLogger(__name__)

ATTEMPT_FIELDS = [
    "checkout_attempt",
    "attempt_unresolved",
    "attempt_started_at",
    "payment_status",
    "redemption_held",
    "updated_at",
]
# What owing the cart's use back changes (releases.owe_release).
OWED_FIELDS = ["redemption_held", "releases_owed", "updated_at"]
# The payment found by reference for an attempt may carry a timestamp from another clock.
CLOCK_SKEW = timedelta(seconds=5)
# A settle write the database could not take is tried again this often, within this many
# seconds (a restarted PostgreSQL takes connections again within about a second), before
# the checkout answers 503 payment_being_confirmed.
SETTLE_TRIES, SETTLE_BUDGET, SETTLE_WAIT = 4, 1.5, 0.3


@dataclass(frozen=True)
class Attempt:
    """What one checkout attempt charges: fixed when it starts, the same on every retry."""

    cart: Cart  # as locked by the begin step, with its lines
    number: int
    code: str
    total: Decimal
    currency: str
    reference: str
    idempotency_key: str


def attempt_of(cart: Cart) -> Attempt:
    """The cart's current attempt; its amount is the total, frozen while it is unresolved."""
    return Attempt(
        cart=cart,
        number=cart.checkout_attempt,
        code=cart.discount_code,
        total=cart.totals().total,
        currency=cart.currency,
        reference=cart.payment_reference,
        idempotency_key=cart.idempotency_key,
    )


class Next(enum.Enum):
    """What a checkout does after its begin step."""

    CHARGE = "charge"  # the attempt is begun (or resumed): charge it
    PAID = "paid"  # a concurrent checkout paid the cart meanwhile: answer it
    AGAIN = "again"  # the cart changed while we redeemed: look again
    EMPTY = "empty"  # its items were removed while we redeemed: the use is owed back


@dataclass(frozen=True)
class Begun:
    next: Next
    cart: Cart
    attempt: Attempt | None = None


def _ensure_no_problem(cart: Cart) -> None:
    if states.is_held_for_operator(cart):
        raise PaymentMismatch()


def cart_checkout(
    *,
    cart_id: object,
    discount_client: DiscountProvider,
    payment_client: PaymentProvider,
    catalog_client: CatalogProvider,
) -> Cart:
    """Redeem the discount, charge the total, record the outcome. See README "Checkout".

    Short writes around the provider calls, no transaction open during a call:

    0. prices: a cart priced longer than CART_PRICE_MAX_AGE ago asks the catalog again;
       if any price moved, the cart is re-priced and nothing is charged (carts.pricing);
    1. give back first any use of the cart's code that is owed back (else that late
       release would take the new attempt's use); record "a use may be held" before
       redeeming, so a crash during the call leaves a trace the reconciler follows;
       redeem the cart's code (idempotent per cart) unless the unresolved attempt being
       resumed already holds it, sending the cart's lines (a promotion's rules are checked
       against them);
    2. begin: under the row lock, start attempt n+1 (or resume the unresolved
       attempt n) and COMMIT "attempt n is unresolved" with its amount fixed by
       the (now frozen) cart and its start time, before any money moves (if its lines are
       no longer the ones the redemption was checked against, redeem again), so that
       neither a crash nor an error can make the attempt number be reused for a
       different amount, and the reconciler can finish it;
    3. charge attempt n under its Idempotency-Key. Concurrent checkouts (and the
       reconciler) that resume the same attempt send the same key and amount, and
       payment_service answers them with the one payment;
    4. settle: record the outcome only if attempt n is still the unresolved one (a
       concurrent checkout may have recorded it already). One attempt, one charge.
    """
    for _ in range(3):
        cart = cart_for_checkout(cart_id=cart_id)
        if states.is_paid(cart):
            return cart
        if states.is_cancelled(cart):
            raise CartCancelled()
        _ensure_no_problem(cart)
        if not cart.has_items:  # type: ignore[attr-defined] # annotated by cart_for_checkout()
            raise CartEmpty()
        if not cart.attempt_unresolved and pricing.is_stale(cart.prices_checked_at):
            _confirm_prices(cart, catalog_client)  # the amount of an attempt never moves
        code = cart.discount_code
        if code and cart.releases_owed and not cart.attempt_unresolved:
            _, owed = releases_give_back(
                cart_id=cart.id, discount_client=discount_client, code=code
            )
            if owed:
                raise DiscountServiceUnavailable()
        redeemed: CartTerms | None = None  # the cart the redemption was checked against
        # Resuming an attempt whose redemption was confirmed: it is still held (the
        # cart cannot change meanwhile), and the discount may have expired since.
        if code and not (cart.attempt_unresolved and cart.redemption_held):
            terms = CartTerms.of(cart.currency, cart.lines)
            if not _redeem(cart, code, terms, discount_client):
                continue  # the cart changed since we read it: nothing redeemed, look again
            redeemed = terms
        begun = _checkout_begin(cart_id=cart.id, code=code, redeemed=redeemed)
        if begun.next is Next.PAID:
            return begun.cart  # paid meanwhile by a concurrent checkout
        if begun.next is Next.CHARGE:
            assert begun.attempt is not None
            return _checkout_charge(
                attempt=begun.attempt,
                discount_client=discount_client,
                payment_client=payment_client,
            )
        if begun.next is Next.EMPTY:
            if code:  # the use was owed back by the begin step: give it back now
                releases_give_back(cart_id=cart.id, discount_client=discount_client, code=code)
            raise CartEmpty()
        # The code changed, or a use of it became owed, while we redeemed: what we may hold
        # and nobody needs is owed; give it back (else the reconciler does), then look again.
        if redeemed:
            releases_give_back(cart_id=cart.id, discount_client=discount_client, code=code)
    raise CartNotEditable("The cart kept changing during checkout; try again.")


def _confirm_prices(cart: Cart, catalog_client: CatalogProvider) -> None:
    """Ask the catalog for every line's price; re-price the lines that moved.

    Raises a ProductRefused (a line's product is gone, inactive or not sold in the cart's
    currency: nothing changed) or PricesChanged (lines re-priced, nothing charged: the
    shopper sees the new total before paying it). Otherwise the cart's prices are recorded
    as confirmed when the catalog was asked, and the checkout goes on.
    """
    asked = timezone.now()
    products = catalog_client.products(line.sku for line in cart.lines)
    current = {line.sku: pricing.priced(products, line.sku, cart.currency) for line in cart.lines}
    with transaction.atomic():
        locked = cart_locked(cart_id=cart.pk)
        if not states.is_editable(locked):
            return  # paid or being settled meanwhile: the checkout's own steps decide
        moved, renamed = [], []
        for line in locked.lines:
            now = current.get(line.sku)
            if now is None:
                continue  # added since we asked: priced when it was added, after that
            if line.unit_price != now.unit_price:
                moved.append(line)
            elif line.name != now.name:
                renamed.append(line)
            line.unit_price, line.name = now.unit_price, now.name
        if moved or renamed:
            CartItem.objects.bulk_update([*moved, *renamed], ["unit_price", "name"])
        locked.prices_checked_at = asked
        save_fields(locked, ["prices_checked_at", "updated_at"])
    if moved:
        raise PricesChanged(locked, sorted({line.sku for line in moved}))


def _redeem(cart: Cart, code: str, terms: CartTerms, discount_client: DiscountProvider) -> bool:
    """Redeem ``code`` for the cart, recorded as "may be held" before the call.

    False, and nothing redeemed, when that record finds the cart changed since it was read
    (another code applied, an attempt begun): a use redeemed then would be held by
    discount_service with nothing in the cart to say so, and never given back.
    """
    if not cart.redemption_held:
        # Written ahead: if we die during the call, discount_service may hold a use that
        # only this flag tells the reconciler about. Its time is the reconciler's clock:
        # editing the cart afterwards does not move it.
        now = timezone.now()
        written = update_where(
            Cart,
            {"pk": cart.pk, "discount_code": code, "attempt_unresolved": False},
            {"redemption_held": True, "redemption_held_at": now, "updated_at": now},
        )
        if not written:
            return False
    try:
        discount_client.redeem(code, str(cart.id), terms)
    except DiscountRefused:
        if not _refusal_stands(cart.pk, code):
            return False  # paid, being settled or changed meanwhile: look again
        releases_give_back(cart_id=cart.pk, discount_client=discount_client, code=code)
        raise
    # DiscountServiceUnavailable: "may be held" stays recorded (the cart is stopped at the
    # redeem step); if the shopper does not check out again, the reconciler gives the use
    # back CART_RECONCILE_AFTER after the redeem was sent.
    return True


def _refusal_stands(cart_id: object, code: str) -> bool:
    """After discount_service refused to redeem ``code``: whether the refusal is the answer.

    Under the row lock. A cart paid, being settled or given another code meanwhile is
    decided again from its new state: a concurrent checkout's attempt may hold the use, and
    that use is the attempt's. Otherwise whatever use the cart may hold of the code (one
    taken while the discount was usable, by this checkout's write-ahead or an earlier one)
    is owed back in this same step: a refusal can come with a use still held (a discount
    switched off since), and releasing a use that is not held is a no-op.
    """
    with transaction.atomic():
        cart = cart_locked(cart_id=cart_id)
        if not states.is_editable(cart) or cart.discount_code != code:
            return False
        if cart.redemption_held:
            owe_release(cart, code)
            save_fields(cart, OWED_FIELDS)
    return True


def _checkout_begin(*, cart_id: object, code: str, redeemed: CartTerms | None) -> Begun:
    """Start or resume the attempt, unless the cart was paid or changed meanwhile.
    ``redeemed``: the cart the redemption was checked against, if this checkout redeemed."""
    with transaction.atomic():
        cart = cart_locked(cart_id=cart_id)
        if states.is_paid(cart):
            return Begun(Next.PAID, cart)
        if states.is_cancelled(cart):
            raise CartCancelled()
        _ensure_no_problem(cart)
        if cart.discount_code != code:
            if redeemed:
                # Replaced while we redeemed it: whoever replaced it owed the use back, and
                # may have given it back before our redeem landed. Owed again, so it is
                # given back after our redeem (a use not held is released as a no-op).
                owe_release_of(cart, code)
            return Begun(Next.AGAIN, cart)
        if not cart.lines:
            # Its items were removed while we redeemed: the checkout ends without a charge,
            # so the use it may hold is owed back in this same step (issue 23: a use held
            # by an editable cart could be spent after the code was switched off).
            if code and cart.redemption_held:
                owe_release(cart, code)
                save_fields(cart, OWED_FIELDS)
            return Begun(Next.EMPTY, cart)
        if redeemed and CartTerms.of(cart.currency, cart.lines) != redeemed:
            # Edited while we redeemed: the promotion's rules were checked against other
            # lines (a minimum met by an item since removed). Redeem again, against these.
            return Begun(Next.AGAIN, cart)
        if (
            code
            and cart.releases_owed
            and OwedRelease.objects.filter(cart_id=cart.pk, code=code).exists()
        ):
            return Begun(Next.AGAIN, cart)  # a release of this code is owed: given back first
        if redeemed and not cart.redemption_held and not cart.attempt_unresolved:
            # Our redeem was answered, but the use has since been owed back (a reconciler
            # found it held by a checkout that had stopped, or a concurrent attempt was
            # declined) and may be given back already: redeem again, written ahead.
            return Begun(Next.AGAIN, cart)
        if redeemed:
            cart.redemption_held = True
        if not cart.attempt_unresolved:
            cart.checkout_attempt += 1
            cart.attempt_unresolved = True
            cart.attempt_started_at = timezone.now()
            cart.payment_status = PaymentStatus.PENDING
        save_fields(cart, ATTEMPT_FIELDS)
        return Begun(Next.CHARGE, cart, attempt_of(cart))


def _checkout_charge(
    *, attempt: Attempt, discount_client: DiscountProvider, payment_client: PaymentProvider
) -> Cart:
    payment, refused = None, None
    if attempt.total != 0:  # payment_service refuses 0: a fully discounted cart is paid as is
        try:
            payment = attempt_charge(attempt=attempt, payment_client=payment_client)
        except PaymentRefused as exc:
            refused = exc
        # PaymentServiceUnavailable: the outcome is unknown, the attempt stays unresolved,
        # and the next checkout (or the reconciler) repeats it with the same key and amount.
        if payment is None and refused is None:
            raise PaymentServiceUnavailable()
    try:
        cart = _settle_retried(attempt, payment, refused, discount_client)
    except Exception as exc:
        if payment is not None and payment.status == "succeeded" and dbfaults.is_unavailable(exc):
            # Charged, not recorded: the attempt stays unresolved, and the next checkout or
            # the reconciler settles it with this same payment (same key). Not a 500.
            logger.warning(
                "cart %s attempt %d: payment %s succeeded but the database could not record it: %s",
                attempt.cart.id,
                attempt.number,
                payment.id,
                exc,
            )
            raise PaymentBeingConfirmed() from exc
        raise  # a decline not recorded is database_unavailable: nothing was charged
    if refused is not None:
        raise refused
    _ensure_no_problem(cart)
    return cart


def _settle_retried(
    attempt: Attempt,
    payment: Payment | None,
    refused: PaymentRefused | None,
    discount_client: DiscountProvider,
) -> Cart:
    """``attempt_settle``, tried again within a small budget while the database is
    unavailable, each time on a new connection (the failed one is discarded). A settle whose
    answer was lost after it committed finds the attempt settled: the same outcome."""
    for try_ in Retrying(
        retry=retry_if_exception(dbfaults.is_unavailable),
        stop=stop_after_attempt(SETTLE_TRIES) | stop_after_delay(SETTLE_BUDGET),
        wait=wait_fixed(SETTLE_WAIT),
        before_sleep=lambda _: connection.close_if_unusable_or_obsolete(),
        reraise=True,
    ):
        with try_:
            cart, _ = attempt_settle(
                attempt=attempt, payment=payment, refused=refused, discount_client=discount_client
            )
    return cart


def attempt_charge(*, attempt: Attempt, payment_client: PaymentProvider) -> Payment | None:
    """Charge (or replay) the attempt; None when a reused key has no payment to show yet.

    Raises PaymentRefused (nothing charged, for good) and PaymentServiceUnavailable.
    """
    try:
        return payment_client.charge(
            reference=attempt.reference,
            amount=attempt.total,
            currency=attempt.currency,
            idempotency_key=attempt.idempotency_key,
        )
    except PaymentKeyReused:
        # The key holds another body: whatever it charged is listed under the reference.
        return attempt_payment_by_reference(attempt=attempt, payment_client=payment_client)


def attempt_payment_by_reference(
    *, attempt: Attempt, payment_client: PaymentProvider
) -> Payment | None:
    """The payment of this attempt among the cart's payments, or None if there is none.

    Attempts of one cart never overlap (a new one begins only once the last is settled),
    so the attempt's payment is the one created since it began, other than the payment
    the previous attempt settled with. Two candidates: logged, left for an operator.
    """
    cart = attempt.cart
    since = (cart.attempt_started_at or cart.created_at) - CLOCK_SKEW
    candidates = [
        p
        for p in payment_client.list_by_reference(attempt.reference)
        if p.id != cart.last_payment_id and (p.created_at is None or p.created_at >= since)
    ]
    if len(candidates) > 1:
        logger.error(
            "cart %s attempt %d: %d payments could be its own (%s); settle it by hand",
            cart.id,
            attempt.number,
            len(candidates),
            ", ".join(p.id for p in candidates),
        )
        raise PaymentServiceUnavailable()
    return candidates[0] if candidates else None


def attempt_settle(
    *,
    attempt: Attempt,
    payment: Payment | None,
    refused: PaymentRefused | None = None,
    discount_client: DiscountProvider,
) -> tuple[Cart, bool]:
    """Record the attempt's outcome if it is still unresolved; the cart, and whether we did.

    One conditional UPDATE: the attempt number and ``attempt_unresolved`` in its WHERE
    clause decide between concurrent settlers (checkouts and reconcilers), so no lock is
    needed. The answer is the cart from the begin step (it cannot change while the attempt
    is unresolved) with the outcome applied. A settler that lost the race holds the same
    payment (same key), so its answer is the same outcome.

    A decline or refusal records the use of the code as owed in the same transaction, then
    gives it back (outside it). A succeeded payment of another amount or currency is not
    taken as paid: the cart is held with ``checkout_problem = payment_mismatch``.
    """
    cart = attempt.cart
    outcome = {
        "attempt_unresolved": False,
        "payment_status": PaymentStatus.PAID,
        "last_payment_id": "",
        "last_payment_status": "",
        "last_payment_decline_code": "",
        "updated_at": timezone.now(),
    }
    if payment is not None:
        outcome.update(
            last_payment_id=payment.id,
            last_payment_status=payment.status,
            last_payment_decline_code=payment.decline_code or "",
        )
        if payment.status != "succeeded":
            outcome["payment_status"] = PaymentStatus.FAILED
        elif payment.amount != attempt.total or payment.currency != attempt.currency:
            logger.error(
                "payment %s of cart %s is %s %s, expected %s %s: held for an operator",
                payment.id,
                cart.id,
                payment.amount,
                payment.currency,
                attempt.total,
                attempt.currency,
            )
            outcome.update(
                payment_status=PaymentStatus.PENDING, checkout_problem="payment_mismatch"
            )
    elif refused is not None:
        logger.error("cart %s attempt %d: %s", cart.id, attempt.number, refused.detail)
        outcome.update(payment_status=PaymentStatus.FAILED)
    owe = outcome["payment_status"] == PaymentStatus.FAILED and cart.redemption_held
    if owe:
        outcome.update(redemption_held=False, releases_owed=True)
    unresolved = {"pk": cart.pk, "checkout_attempt": attempt.number, "attempt_unresolved": True}
    if owe:
        with transaction.atomic():
            settled = update_where(Cart, unresolved, outcome)
            if settled:
                OwedRelease.objects.bulk_create(
                    [OwedRelease(cart=cart, code=attempt.code)], ignore_conflicts=True
                )
    else:
        settled = update_where(Cart, unresolved, outcome)
    for field, value in outcome.items():
        setattr(cart, field, value)
    if settled and owe:
        # Given back now if discount_service answers; otherwise the reconciler does it.
        releases_give_back(cart_id=cart.pk, discount_client=discount_client)
    return cart, bool(settled)
