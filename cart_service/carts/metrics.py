"""cart_service's business metrics (the HTTP, downstream and DB ones are servicekit's)."""

from __future__ import annotations

from collections import Counter as Tally
from contextlib import contextmanager

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from carts.errors import PaymentRefused
from carts.selectors import reconciler_backlog
from servicekit import dbfaults
from servicekit.errors import ServiceUnavailable

CHECKOUT_OUTCOMES = ("paid", "failed", "unavailable", "rejected")
CHECKOUTS = Counter(
    "cart_checkouts_total",
    "Checkout requests by outcome: paid; failed (payment declined or refused, the cart may "
    "be checked out again); unavailable (a provider or the database could not answer: "
    "checkout again); rejected "
    "(empty cart, refused discount, held for an operator, unknown cart).",
    ["outcome"],
)
for _outcome in CHECKOUT_OUTCOMES:
    CHECKOUTS.labels(_outcome)  # every outcome is a series from the start, at 0

REFUNDS = Counter(
    "cart_refunds_total",
    "Refunds of paid carts settled, by kind and outcome: partial_succeeded, partial_failed, "
    "cancel_succeeded (the cart cancelled), cancel_failed (refused for good: still paid).",
    ["outcome"],
)
for _kind in ("partial", "cancel"):
    for _result in ("succeeded", "failed"):
        REFUNDS.labels(f"{_kind}_{_result}")

RECONCILER_PASSES = Counter("cart_reconciler_passes_total", "Reconciler passes completed.")
RECONCILER_ACTIONS = Counter(
    "cart_reconciler_actions_total",
    "What reconciler passes did, by action (settled_paid, settled_failed, unresolved, "
    "uses_owed, released, release_failed, held_for_operator, ...).",
    ["action"],
)


@contextmanager
def checkout_counted():
    """Count one checkout request by how it ended::

    with checkout_counted() as counted:
        cart = counted(checkout.cart_checkout(...))
    """
    try:
        yield _count_answered
    except PaymentRefused:
        CHECKOUTS.labels("failed").inc()
        raise
    except ServiceUnavailable:
        CHECKOUTS.labels("unavailable").inc()
        raise
    except Exception as exc:
        CHECKOUTS.labels("unavailable" if dbfaults.is_unavailable(exc) else "rejected").inc()
        raise


def _count_answered(cart):
    """A checkout answered with the cart: paid, or failed (a declined payment)."""
    CHECKOUTS.labels("paid" if cart.payment_status == "paid" else "failed").inc()
    return cart


def reconciler_pass_done(done: Tally) -> None:
    RECONCILER_PASSES.inc()
    for action, count in done.items():
        if count:
            RECONCILER_ACTIONS.labels(action).inc(count)


class ReconcilerBacklog(Collector):
    """``cart_reconciler_backlog{kind}``, counted in the database at each scrape.

    Read by the web service, not the reconciler: the backlog grows most visibly when
    the reconciler is not running at all.
    """

    def collect(self):
        gauge = GaugeMetricFamily(
            "cart_reconciler_backlog",
            "Work waiting for the reconciler, by kind: unresolved_attempts (older than "
            "CART_RECONCILE_AFTER), unresolved_refunds (likewise), unneeded_uses (held by "
            "carts that no longer need them), owed_releases, held_for_operator "
            "(payment_mismatch carts), refunds_held_for_operator (pending past "
            "CART_REPLAY_LIMIT).",
            labels=["kind"],
        )
        for kind, count in reconciler_backlog().items():
            gauge.add_metric([kind], count)
        yield gauge
