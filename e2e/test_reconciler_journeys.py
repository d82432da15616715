"""Journey 9: nothing is left behind. Real faults (SIGSTOP, SIGKILL) against real processes,
and cart_service's reconciler running as a process of its own, with small settings.

Each fault lands in the state it is meant for, whatever the host's speed: a request is
caught in flight by holding back payment_service's answer to it at the proxy (the charge is
taken, cart_service has not read the answer) until the fault is in place; what follows is
waited for as a state (a cart paid, a log line), with a deadline only a broken system meets.
"""

from __future__ import annotations

import time

import pytest

from e2e.env import COMPOSE_MODE
from e2e.waiting import InBackground, until
from harness.api_client import (
    ApiError,
    CatalogAdminClient,
    DiscountAdminClient,
    PaymentLedgerClient,
    StorefrontClient,
)
from harness.tokens import TOKENS

AFTER, INTERVAL = 3.0, 1.0  # CART_RECONCILE_*

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
def catalog(reconciling):
    """This module's stack's own catalog (the product fixture puts products on sale in it)."""
    return CatalogAdminClient(reconciling.url("catalog"), token=TOKENS["CATALOG_ADMIN_TOKEN"])


@pytest.fixture
def shop(reconciling):
    yield (
        StorefrontClient(reconciling.url("cart")),
        DiscountAdminClient(reconciling.url("discount"), token=TOKENS["DISCOUNT_ADMIN_TOKEN"]),
        PaymentLedgerClient(reconciling.url("payment"), token=TOKENS["PAYMENT_SERVICE_TOKEN"]),
    )
    reconciling.proxy.release_all()
    for name in ("payment", "discount"):
        reconciling.stack.thaw(name)


def paid_with_its_payments(storefront, payments, cart_id):
    cart = storefront.get_cart(cart_id)
    if cart["payment_status"] != "paid":
        return None
    return cart, payments.payments_for(f"cart:{cart_id}")


def test_a_charge_whose_answer_was_lost_is_settled_without_the_shopper(
    reconciling, shop, new_code, product
):
    storefront, _, payments = shop
    cart = storefront.create_cart("USD", items=[product("6.00")])
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
    paid, charged = until(
        lambda: paid_with_its_payments(storefront, payments, cart["id"]),
        "the cart paid by the reconciler",
    )
    elapsed = time.monotonic() - started
    assert [p["status"] for p in charged] == ["succeeded"]
    assert paid["payment"]["id"] == charged[0]["id"]
    assert f"settled cart {cart['id']} attempt 1" in reconciling.log("reconciler")
    print(f"\nlost answer settled by the reconciler {elapsed:.1f}s after the checkout began")


def test_a_use_owed_while_discount_service_was_frozen_is_given_back(
    reconciling, shop, new_code, product
):
    storefront, discounts, _ = shop
    code = new_code("OWED")
    discounts.create(code=code, kind="percent", value="10.00", max_redemptions=5)
    cart = storefront.create_cart("USD", items=[product("25.00")])
    storefront.apply_discount(cart["id"], code)

    # The charge's answer (a decline) is held back until discount_service is frozen: by
    # then cart_service has had the redemption's answer (it charges only after it), and
    # the use it holds can be given back only to a frozen discount_service.
    with reconciling.proxy.hold(f"cart:{cart['id']}") as charge:
        checkout = InBackground(lambda: storefront.checkout(cart["id"]), "the checkout")
        charge.wait_for_answer()
        reconciling.stack.freeze("discount")
    try:
        answered = checkout.answer()
        removed = storefront.remove_discount(cart["id"])  # the release fails again
    finally:
        reconciling.stack.thaw("discount")

    assert answered["payment_status"] == "failed"  # declined: 22.50 is over the limit
    assert removed["discount"] is None
    # The releases queued while it was frozen may land first; either way the owed record
    # stays until the reconciler has its own 204, and the count ends right.
    released = f"released discount {code} held by cart {cart['id']}"
    until(lambda: released in reconciling.log("reconciler"), f"the reconciler's {released!r}")
    assert discounts.get(code)["times_redeemed"] == 0


def test_a_checkout_whose_worker_was_killed_is_settled_with_one_charge(reconciling, shop, product):
    storefront, _, payments = shop
    cart = storefront.create_cart("USD", items=[product("7.00")])
    reference = f"cart:{cart['id']}"

    # The worker waits for the charge's answer, held back: payment_service has taken the
    # money, cart_service has not read that it did, when the worker dies.
    with reconciling.proxy.hold(reference) as charge:
        checkout = InBackground(lambda: storefront.checkout(cart["id"]), "the checkout")
        charge.wait_for_answer()
        killed = reconciling.stack.kill_workers("cart")
        died = checkout.error()

    assert killed
    assert not isinstance(died, ApiError), died  # the shopper's connection died with the worker
    assert payments.payments_for(reference)  # the charge landed
    paid, charged = until(
        lambda: paid_with_its_payments(storefront, payments, cart["id"]),
        "the cart paid by the reconciler",
    )
    assert [p["status"] for p in charged] == ["succeeded"]
    assert paid["payment"]["id"] == charged[0]["id"]
