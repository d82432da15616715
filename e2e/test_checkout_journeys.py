"""Journeys 3-5: idempotent checkout, limited redemptions, and paying after a decline."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from harness.api_client import ApiError, StorefrontClient


def _run_together(n: int, fn):
    barrier = threading.Barrier(n)

    def call(i):
        barrier.wait()
        try:
            return fn(i)
        except ApiError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(call, range(n)))


def test_checking_out_twice_charges_once(storefront, payments, product):
    cart = storefront.create_cart("USD", items=[product("5.00")])

    first = storefront.checkout(cart["id"])
    second = storefront.checkout(cart["id"])

    assert first["payment_status"] == second["payment_status"] == "paid"
    assert first["payment"] == second["payment"]
    assert len(payments.payments_for(f"cart:{cart['id']}")) == 1


def test_concurrent_checkouts_charge_once(storefront, urls, payments, product):
    cart = storefront.create_cart("USD", items=[product("5.00")])

    results = _run_together(10, lambda i: StorefrontClient(urls["cart"]).checkout(cart["id"]))

    assert all(not isinstance(r, ApiError) for r in results), results
    assert {r["payment_status"] for r in results} == {"paid"}
    assert len(payments.payments_for(f"cart:{cart['id']}")) == 1


def test_a_limited_discount_is_used_by_exactly_n_carts(
    storefront, urls, discounts, new_code, payments, product
):
    code = new_code("FIVE")
    discounts.create(code=code, kind="percent", value="10.00", max_redemptions=3)
    carts = []
    for _ in range(8):
        cart = storefront.create_cart("USD", items=[product("5.00")])
        carts.append(storefront.apply_discount(cart["id"], code))

    results = _run_together(8, lambda i: StorefrontClient(urls["cart"]).checkout(carts[i]["id"]))

    paid = [r for r in results if not isinstance(r, ApiError)]
    refused = [r for r in results if isinstance(r, ApiError)]
    assert len(paid) == 3
    assert all(r["payment_status"] == "paid" for r in paid)
    assert {(e.status, e.code) for e in refused} == {(422, "discount_exhausted")}
    assert discounts.get(code)["times_redeemed"] == 3
    for cart, result in zip(carts, results, strict=True):
        expected = 0 if isinstance(result, ApiError) else 1
        assert len(payments.payments_for(f"cart:{cart['id']}")) == expected


def test_a_declined_checkout_gives_its_redemption_back(storefront, discounts, new_code, product):
    code = new_code("ONE")
    discounts.create(code=code, kind="fixed", value="1.00", currency="USD", max_redemptions=1)
    cart = storefront.create_cart("USD", items=[product("500.00")])
    storefront.apply_discount(cart["id"], code)

    failed = storefront.checkout(cart["id"])

    assert failed["payment_status"] == "failed"
    assert discounts.get(code)["times_redeemed"] == 0
    other = storefront.create_cart("USD", items=[product("5.00")])
    storefront.apply_discount(other["id"], code)
    assert storefront.checkout(other["id"])["payment_status"] == "paid"
    assert discounts.get(code)["status"] == "exhausted"


def test_a_declined_cart_reduced_below_the_limit_is_paid(storefront, payments, product):
    cart = storefront.create_cart("USD", items=[product("8.00", quantity=3)])
    failed = storefront.checkout(cart["id"])
    assert failed["payment_status"] == "failed"

    storefront.change_quantity(cart["id"], failed["items"][0]["id"], 2)
    paid = storefront.checkout(cart["id"])

    assert paid["payment_status"] == "paid"
    assert paid["total"] == "16.00"
    charges = payments.payments_for(f"cart:{cart['id']}")
    assert sorted(p["status"] for p in charges) == ["declined", "succeeded"]
