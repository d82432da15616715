"""Journeys of a dishonest shopper (issue 23: OWASP API6, business flows nobody can game),
through the public APIs, with real faults where the flow needs one.
"""

from __future__ import annotations

import pytest

from e2e.env import COMPOSE_MODE
from e2e.waiting import until
from harness.api_client import ApiError


@pytest.mark.processes
@pytest.mark.skipif(COMPOSE_MODE, reason="freezes discount_service: needs the process stack")
def test_a_staged_use_cannot_be_spent_after_the_shop_switched_the_code_off(
    stack, storefront, discounts, payments, new_code, product
):
    code = new_code("STAGE")
    discounts.create(code=code, kind="percent", value="50.00", max_redemptions=2)
    item = product("15.00")
    staged = storefront.create_cart("USD", items=[item])
    storefront.apply_discount(staged["id"], code)

    # Stage a use: the checkout's redeem waits in a frozen discount_service's queue until
    # the checkout gives up (503); thawed, discount_service takes the use for the cart.
    # (A connection the thawed service drops, kept alive across the freeze, is "not yet".)
    stack.stack.freeze("discount")
    try:
        with pytest.raises(ApiError) as unavailable:
            storefront.checkout(staged["id"])
    finally:
        stack.stack.thaw("discount")
    assert (unavailable.value.status, unavailable.value.code) == (
        503,
        "discount_service_unavailable",
    )
    until(lambda: discounts.get(code)["times_redeemed"] == 1, "the queued redeem landed")

    # The shop switches the promotion off. A new cart is refused, as ever.
    discounts.update(code, is_active=False)
    control = storefront.create_cart("USD", items=[item])
    with pytest.raises(ApiError) as refused:
        storefront.apply_discount(control["id"], code)
    assert (refused.value.status, refused.value.code) == (422, "discount_inactive")

    # The staged cart must not spend its use either: refused, nothing charged, use back.
    with pytest.raises(ApiError) as spent:
        storefront.checkout(staged["id"])
    assert (spent.value.status, spent.value.code) == (422, "discount_inactive")
    assert payments.payments_for(f"cart:{staged['id']}") == []
    assert discounts.get(code)["times_redeemed"] == 0  # given back in the same step
    cart = storefront.get_cart(staged["id"])
    assert cart["payment_status"] == "pending"
