"""The reconciler: finishes what checkouts left behind, one pass at a time.

A pass (``reconcile_pass``):

1. settles every attempt unresolved for longer than ``after``: it repeats the same charge
   (same Idempotency-Key and amount; payment_service replays the original outcome), or,
   once the key may have expired at payment_service, looks the payment up by reference;
2. settles every refund pending for longer than ``after`` (carts.refunds): the same refund
   again under its key, then its outcome recorded once;
3. turns every use a cart may hold but no longer needs (a checkout that stopped at the
   redeem step, older than ``after``) into an owed release;
4. gives back every owed release (deleted only on discount_service's 204), a cancelled
   cart's use among them;
5. reports every cart held for an operator (``payment_mismatch``), on every pass.

Work is claimed in short transactions (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL,
then a conditional UPDATE of a lease), and the HTTP calls run after they commit, so two
reconcilers never work on one cart or one release at once. On SQLite there is no row
locking: the database's single write lock serialises the claims and the conditional
UPDATE decides. A provider that is down is a normal outcome: the work stays for the next
pass.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from carts import checkout, refunds, releases, selectors, states
from carts.clients.ports import DiscountProvider, PaymentProvider
from carts.errors import PaymentRefused, PaymentServiceUnavailable
from carts.metrics import reconciler_pass_done
from carts.models import Cart, CartRefund, OwedRelease
from carts.states import PaymentStatus

logger = logging.getLogger(__name__)

BATCH = 100  # claimed per query; a pass loops until nothing is left to claim


def reconcile_pass(
    *,
    discount_client: DiscountProvider,
    payment_client: PaymentProvider,
    after: float | None = None,
    now: datetime | None = None,
) -> Counter:
    """One pass; what it did, by action."""
    now = now or timezone.now()
    after = settings.CART_RECONCILE_AFTER if after is None else after
    cutoff = now - timedelta(seconds=after)
    done: Counter = Counter()
    claimed: set = set()
    while batch := _claim(
        selectors.stale_attempts(cutoff).exclude(pk__in=claimed).prefetch_related("items"), now
    ):
        for cart in batch:
            claimed.add(cart.pk)
            done[_settle(cart, discount_client, payment_client, now)] += 1
            Cart.objects.filter(pk=cart.pk).update(reconcile_claimed_until=None)
    refunded: set = set()
    while batch := _claim(selectors.stale_refunds(cutoff).exclude(pk__in=refunded), now):
        for refund in batch:
            refunded.add(refund.pk)
            done[_settle_refund(refund, payment_client, now)] += 1
    done["uses_owed"] += _owe_unneeded_uses(cutoff)
    tried: set = set()
    while batch := _claim(OwedRelease.objects.exclude(pk__in=tried), now):
        for row in batch:
            tried.add(row.pk)
            released, _ = releases.releases_give_back(
                cart_id=row.cart_id, discount_client=discount_client, owed=[row], claimed=True
            )
            done["released" if released else "release_failed"] += 1
    for cart in Cart.objects.filter(states.HELD_FOR_OPERATOR).order_by("updated_at"):
        logger.error(
            "cart %s is held (%s): payment %s does not match the cart's %s %s; "
            "an operator must settle it",
            cart.id,
            cart.checkout_problem,
            cart.last_payment_id,
            cart.totals().total,
            cart.currency,
        )
        done["held_for_operator"] += 1
    reconciler_pass_done(done)
    logger.info(
        "reconcile pass: %s",
        ", ".join(f"{k}={v}" for k, v in sorted(done.items()) if v) or "nothing to do",
    )
    return done


def settle_carts(
    *,
    cart_ids: list,
    discount_client: DiscountProvider,
    payment_client: PaymentProvider,
    now: datetime | None = None,
) -> dict[object, str]:
    """The pass's work for the chosen carts only, without waiting ``after`` (an operator's
    "settle now"): each unresolved attempt, pending refund and owed release of theirs, each
    claimed with the reconciler's lease first, so a reconciler working on one of them at
    that moment is left to it. What was done, per cart (as the pass counts it; ``busy``:
    a reconciler holds it, ``nothing_to_settle``)."""
    now = now or timezone.now()
    done: dict[object, list[str]] = {pk: [] for pk in cart_ids}
    carts = Cart.objects.filter(pk__in=cart_ids)
    for cart in _claim(carts.filter(states.UNRESOLVED).prefetch_related("items"), now):
        done[cart.pk].append(_settle(cart, discount_client, payment_client, now))
        Cart.objects.filter(pk=cart.pk).update(reconcile_claimed_until=None)
    pending = CartRefund.objects.filter(cart_id__in=cart_ids, status=CartRefund.Status.PENDING)
    for refund in _claim(pending.select_related("cart"), now):
        done[refund.cart_id].append(_settle_refund(refund, payment_client, now))
    for row in _claim(OwedRelease.objects.filter(cart_id__in=cart_ids), now):
        released, _ = releases.releases_give_back(
            cart_id=row.cart_id, discount_client=discount_client, owed=[row], claimed=True
        )
        done[row.cart_id].append("released" if released else "release_failed")
    # Work left that we could not claim: a reconciler (or a checkout) is on it right now.
    busy = set(
        carts.filter(states.UNRESOLVED | states.USES_OWED | states.REFUNDING).values_list(
            "pk", flat=True
        )
    )
    return {
        pk: ", ".join(actions) or ("busy" if pk in busy else "nothing_to_settle")
        for pk, actions in done.items()
    }


def _claim(queryset: models.QuerySet, now: datetime) -> list:
    """Take up to BATCH rows nobody works on, with a lease, in one short transaction."""
    field = _lease_field(queryset)
    free = releases.lease_free(field, now)
    with transaction.atomic():
        rows = list(queryset.filter(free).select_for_update(skip_locked=True)[:BATCH])
        taken = [
            row
            for row in rows
            if queryset.filter(free, pk=row.pk).update(**{field: releases.lease_end(now)})
        ]
    return taken


def _lease_field(queryset: models.QuerySet) -> str:
    return "reconcile_claimed_until" if queryset.model is Cart else "claimed_until"


def _settle_refund(refund: CartRefund, payment_client: PaymentProvider, now: datetime) -> str:
    """Finish a refund whose outcome was lost: the same key, amount and reason again
    (payment_service answers with the refund it made, or makes it now). The use a cancel
    owes back is given back with the owed releases below."""
    age = (now - refund.started_at).total_seconds()
    if age >= settings.CART_REPLAY_LIMIT:
        # payment_service may have forgotten the key: a repeat could refund twice. Only an
        # operator, looking at the payment's refunds, can tell.
        logger.error(
            "refund %d of cart %s pending for %.0fs, past what payment_service keeps keys "
            "for: an operator must settle it",
            refund.number,
            refund.cart_id,
            age,
        )
        return "refund_held_for_operator"
    try:
        answer, refused = refunds.refund_attempt(refund, payment_client)
    except PaymentServiceUnavailable:
        logger.warning(
            "refund %d of cart %s: payment_service cannot tell its outcome yet; next pass",
            refund.number,
            refund.cart_id,
        )
        CartRefund.objects.filter(pk=refund.pk).update(claimed_until=None)
        return "refund_unresolved"
    settled = refunds.refund_settle(refund, answer, refused)
    return f"refund_settled_{settled.status}"


def _settle(
    cart: Cart, discount_client: DiscountProvider, payment_client: PaymentProvider, now: datetime
) -> str:
    """Finish the cart's unresolved attempt if payment_service can tell its outcome."""
    attempt = checkout.attempt_of(cart)
    payment, refused = None, None
    age = (now - (cart.attempt_started_at or cart.updated_at)).total_seconds()
    try:
        if attempt.total == 0:
            pass  # nothing to charge: a fully discounted cart is paid as is
        elif age < settings.CART_REPLAY_LIMIT:
            payment = checkout.attempt_charge(attempt=attempt, payment_client=payment_client)
            if payment is None:
                logger.warning("cart %s attempt %d: no payment yet", cart.id, attempt.number)
                return "unresolved"
        else:
            # The key may be gone at payment_service: a replay could charge again. Only look.
            payment = checkout.attempt_payment_by_reference(
                attempt=attempt, payment_client=payment_client
            )
            if payment is None:
                refused = PaymentRefused("No payment was taken before the key expired.")
    except PaymentRefused as exc:
        refused = exc
    except PaymentServiceUnavailable:
        logger.warning(
            "cart %s attempt %d: payment_service cannot tell its outcome yet; next pass",
            cart.id,
            attempt.number,
        )
        return "unresolved"
    settled, here = checkout.attempt_settle(
        attempt=attempt, payment=payment, refused=refused, discount_client=discount_client
    )
    if not here:
        return "settled_elsewhere"  # a checkout settled it meanwhile
    outcome = settled.checkout_problem or (
        "refused" if refused else str(PaymentStatus(settled.payment_status).value)
    )
    logger.info(
        "settled cart %s attempt %d (begun %.0fs ago): %s, payment %s",
        cart.id,
        attempt.number,
        age,
        outcome,
        settled.last_payment_id or "none",
    )
    return f"settled_{outcome}"


def _owe_unneeded_uses(cutoff: datetime) -> int:
    """Carts whose checkout stopped at the redeem step: the use they may hold becomes owed."""
    owed = 0
    while True:
        with transaction.atomic():
            carts = list(
                selectors.unneeded_uses(cutoff).select_for_update(skip_locked=True)[:BATCH]
            )
            for cart in carts:
                if cart.discount_code:
                    releases.owe_release(cart, cart.discount_code)
                cart.redemption_held = False
                cart.save(update_fields=["redemption_held", "releases_owed"])
                logger.info(
                    "cart %s stopped at the redeem step: its use of %s is owed back",
                    cart.id,
                    cart.discount_code,
                )
        owed += len(carts)
        if len(carts) < BATCH:
            return owed
