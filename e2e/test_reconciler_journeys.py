"""Journey 9: nothing is left behind. Real faults (SIGSTOP, SIGKILL) against real processes,
and cart_service's reconciler running as a process of its own, with small settings.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from e2e.env import COMPOSE_MODE
from harness.api_client import ApiError, DiscountAdminClient, PaymentLedgerClient, StorefrontClient
from harness.tokens import TOKENS

AFTER, INTERVAL, BUDGET = 3.0, 1.0, 3.0  # CART_RECONCILE_*, DOWNSTREAM_TIME_BUDGET
# The bound for a lost answer: CART_RECONCILE_AFTER plus two intervals, counted
# from when the attempt began; plus the pass's own calls and generous slack for this machine.
SETTLE_WITHIN = AFTER + 2 * INTERVAL + BUDGET + 5.0

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(COMPOSE_MODE, reason="needs the process stack"),
]


@pytest.fixture(scope="module")
def reconciling(tmp_path_factory):
    from e2e.process_stack import ProcessStack

    stack = ProcessStack(
        tmp_path_factory.mktemp("reconciler"),
        reconcile={
            "CART_RECONCILE_AFTER": str(AFTER),
            "CART_RECONCILE_INTERVAL": str(INTERVAL),
        },
    )
    try:
        yield stack.start()
    finally:
        stack.stop()


@pytest.fixture
def shop(reconciling):
    yield (
        StorefrontClient(reconciling.url("cart")),
        DiscountAdminClient(reconciling.url("discount"), token=TOKENS["DISCOUNT_ADMIN_TOKEN"]),
        PaymentLedgerClient(reconciling.url("payment"), token=TOKENS["PAYMENT_SERVICE_TOKEN"]),
    )
    reconciling.proxy.delay = 0.0
    for name in ("payment", "discount"):
        reconciling.stack.thaw(name)


def eventually(check, within: float, every: float = 0.2):
    """check()'s first truthy value within ``within`` seconds; errors count as "not yet"."""
    deadline, last = time.monotonic() + within, None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
            last = value
        except (ApiError, requests.RequestException) as exc:
            last = exc
        time.sleep(every)
    pytest.fail(f"not within {within}s; last: {last!r}")


def in_background(fn):
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = fn()
        except Exception as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def paid_with_one_payment(storefront, payments, cart_id):
    cart = storefront.get_cart(cart_id)
    if cart["payment_status"] != "paid":
        return None
    return cart, payments.payments_for(f"cart:{cart_id}")


def test_a_charge_whose_answer_was_lost_is_settled_without_the_shopper(reconciling, shop, new_code):
    storefront, _, payments = shop
    cart = storefront.create_cart(
        "USD", items=[{"sku": "A", "name": "A", "unit_price": "6.00", "quantity": 1}]
    )
    reconciling.stack.freeze("payment")  # the charge waits in its queue, unanswered
    started = time.monotonic()
    try:
        with pytest.raises(ApiError) as unavailable:
            storefront.checkout(cart["id"])
    finally:
        reconciling.stack.thaw("payment")  # it takes the money; nobody reads the answer

    assert (unavailable.value.status, unavailable.value.code) == (
        503,
        "payment_service_unavailable",
    )
    paid, charged = eventually(
        lambda: paid_with_one_payment(storefront, payments, cart["id"]), SETTLE_WITHIN
    )
    elapsed = time.monotonic() - started
    assert [p["status"] for p in charged] == ["succeeded"]
    assert paid["payment"]["id"] == charged[0]["id"]
    assert f"settled cart {cart['id']} attempt 1" in reconciling.log("reconciler")
    print(f"\nlost answer settled by the reconciler {elapsed:.1f}s after the checkout began")


def test_a_use_owed_while_discount_service_was_frozen_is_given_back(reconciling, shop, new_code):
    storefront, discounts, _ = shop
    code = new_code("OWED")
    discounts.create(code=code, kind="percent", value="10.00", max_redemptions=5)
    cart = storefront.create_cart(
        "USD", items=[{"sku": "B", "name": "B", "unit_price": "25.00", "quantity": 1}]
    )
    storefront.apply_discount(cart["id"], code)
    reconciling.proxy.delay = 0.6  # the charge's answer lingers: time to freeze after redeeming

    thread, outcome = in_background(lambda: storefront.checkout(cart["id"]))
    eventually(lambda: discounts.get(code)["times_redeemed"] == 1, 5.0, every=0.05)
    reconciling.stack.freeze("discount")
    try:
        thread.join(timeout=30)
        removed = storefront.remove_discount(cart["id"])  # the release fails again
    finally:
        reconciling.stack.thaw("discount")

    assert outcome["value"]["payment_status"] == "failed"  # declined: 22.50 is over the limit
    assert removed["discount"] is None
    # The releases queued while it was frozen may land first; either way the owed record
    # stays until the reconciler has its own 204, and the count ends right.
    released = f"released discount {code} held by cart {cart['id']}"
    eventually(lambda: released in reconciling.log("reconciler"), AFTER + 2 * INTERVAL + 10)
    assert discounts.get(code)["times_redeemed"] == 0


def test_a_checkout_whose_worker_was_killed_is_settled_with_one_charge(reconciling, shop):
    storefront, _, payments = shop
    cart = storefront.create_cart(
        "USD", items=[{"sku": "C", "name": "C", "unit_price": "7.00", "quantity": 1}]
    )
    reference = f"cart:{cart['id']}"
    reconciling.proxy.delay = 0.8  # below the read timeout: the worker waits for the answer

    thread, outcome = in_background(lambda: storefront.checkout(cart["id"]))
    eventually(lambda: payments.payments_for(reference), 5.0, every=0.05)  # the charge landed
    killed = reconciling.stack.kill_workers("cart")
    thread.join(timeout=30)
    reconciling.proxy.delay = 0.0

    assert killed
    assert "error" in outcome  # the shopper's connection died with the worker
    paid, charged = eventually(
        lambda: paid_with_one_payment(storefront, payments, cart["id"]), SETTLE_WITHIN + 5
    )
    assert [p["status"] for p in charged] == ["succeeded"]
    assert paid["payment"]["id"] == charged[0]["id"]
