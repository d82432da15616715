"""Journey 1, from the original tutorial: discounts, carts, codes and paying."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harness.api_client import ApiError


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def test_discounts_are_created_listed_and_retrieved(discounts, new_code):
    code = new_code("LIST")

    created = discounts.create(
        code=code.lower(), kind="percent", value="10.00", description="Ten percent off"
    )
    listed = discounts.list(search=code[:8])
    fetched = discounts.get(code.lower())

    assert created["code"] == code
    assert code in [d["code"] for d in listed["results"]]
    assert fetched["status"] == "active"
    assert fetched["value"] == "10.00"


def test_a_cart_is_created_and_retrieved(storefront, product):
    cart = storefront.create_cart("USD", items=[product("7.50", quantity=2)])

    again = storefront.get_cart(cart["id"])

    assert again["items_number"] == 2
    assert again["subtotal"] == again["total"] == "15.00"
    assert again["payment_status"] == "pending"


def test_a_valid_code_updates_the_totals(storefront, discounts, new_code, product):
    code = new_code()
    discounts.create(code=code, kind="percent", value="10.00")
    cart = storefront.create_cart("USD", items=[product("7.50", quantity=2)])

    cart = storefront.apply_discount(cart["id"], code)

    assert cart["discount"] == {"code": code, "kind": "percent", "value": "10.00", "skus": None}
    assert cart["amount_discounted"] == "1.50"
    assert cart["total"] == "13.50"


def test_an_expired_code_is_refused(storefront, discounts, new_code, product):
    code = new_code("OLD")
    now = datetime.now(UTC)
    discounts.create(
        code=code,
        kind="percent",
        value="10.00",
        starts_at=iso(now - timedelta(days=10)),
        ends_at=iso(now - timedelta(days=1)),
    )
    cart = storefront.create_cart("USD", items=[product("7.50")])

    with pytest.raises(ApiError) as refused:
        storefront.apply_discount(cart["id"], code)

    assert (refused.value.status, refused.value.code) == (422, "discount_expired")
    assert storefront.get_cart(cart["id"])["discount"] is None


def test_an_unknown_code_is_refused(storefront, new_code):
    cart = storefront.create_cart("USD")

    with pytest.raises(ApiError) as refused:
        storefront.apply_discount(cart["id"], new_code("NOPE"))

    assert (refused.value.status, refused.value.code) == (422, "discount_not_found")


def test_a_cart_under_the_approval_limit_is_paid(storefront, payments, product):
    cart = storefront.create_cart("USD", items=[product("19.99")])

    paid = storefront.checkout(cart["id"])

    assert paid["payment_status"] == "paid"
    assert paid["payment"]["status"] == "succeeded"
    [payment] = payments.payments_for(f"cart:{cart['id']}")
    assert payment["amount"] == "19.99"


def test_a_cart_at_the_approval_limit_fails(storefront, payments, product):
    cart = storefront.create_cart("USD", items=[product("20.00")])

    failed = storefront.checkout(cart["id"])

    assert failed["payment_status"] == "failed"
    assert failed["payment"]["decline_code"] == "insufficient_funds"
    [payment] = payments.payments_for(f"cart:{cart['id']}")
    assert payment["status"] == "declined"
