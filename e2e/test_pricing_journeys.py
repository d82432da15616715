"""Journey 2: fixed and percent discounts, currencies, recomputed totals, replacement."""

from __future__ import annotations

import time

import pytest

from e2e.env import COMPOSE_MODE, PRICE_MAX_AGE
from harness.api_client import ApiError


def _cart(storefront, currency="USD", *items):
    return storefront.create_cart(currency, items=list(items))


def test_percent_discount_rounds_half_up(storefront, discounts, new_code, product):
    code = new_code()
    discounts.create(code=code, kind="percent", value="15.00")
    cart = _cart(storefront, "USD", product("3.33"))

    cart = storefront.apply_discount(cart["id"], code)

    # 15% of 3.33 = 0.4995 -> 0.50 (half-up to cents)
    assert (cart["amount_discounted"], cart["total"]) == ("0.50", "2.83")


def test_fixed_discount_in_the_cart_currency(storefront, discounts, new_code, product):
    code = new_code()
    discounts.create(code=code, kind="fixed", value="5.00", currency="EUR")
    cart = _cart(storefront, "EUR", product("12.00"))

    cart = storefront.apply_discount(cart["id"], code)

    assert (cart["amount_discounted"], cart["total"]) == ("5.00", "7.00")


def test_fixed_discount_in_another_currency_is_refused(storefront, discounts, new_code, product):
    code = new_code()
    discounts.create(code=code, kind="fixed", value="5.00", currency="GBP")
    cart = _cart(storefront, "USD", product("12.00"))

    with pytest.raises(ApiError) as refused:
        storefront.apply_discount(cart["id"], code)

    assert (refused.value.status, refused.value.code) == (422, "discount_currency_mismatch")
    assert storefront.get_cart(cart["id"])["total"] == "12.00"


def test_totals_follow_item_changes(storefront, discounts, new_code, product):
    code = new_code()
    discounts.create(code=code, kind="percent", value="10.00")
    cart = _cart(storefront, "USD", product("10.00"))
    cart = storefront.apply_discount(cart["id"], code)
    item_id = cart["items"][0]["id"]

    cart = storefront.change_quantity(cart["id"], item_id, 3)
    assert (cart["subtotal"], cart["amount_discounted"], cart["total"]) == (
        "30.00",
        "3.00",
        "27.00",
    )

    cart = storefront.add_item(cart["id"], **product("5.00", quantity=2))
    assert (cart["subtotal"], cart["amount_discounted"], cart["total"]) == (
        "40.00",
        "4.00",
        "36.00",
    )

    cart = storefront.remove_item(cart["id"], item_id)
    assert (cart["subtotal"], cart["amount_discounted"], cart["total"]) == ("10.00", "1.00", "9.00")
    assert cart["items_number"] == 2


def test_a_discount_never_drives_the_total_below_zero(storefront, discounts, new_code, product):
    code = new_code()
    discounts.create(code=code, kind="fixed", value="50.00", currency="USD")
    cart = _cart(storefront, "USD", product("12.00"))

    cart = storefront.apply_discount(cart["id"], code)

    assert (cart["amount_discounted"], cart["total"]) == ("12.00", "0.00")


def test_a_second_code_replaces_the_first(storefront, discounts, new_code, product):
    first, second = new_code(), new_code()
    discounts.create(code=first, kind="percent", value="10.00")
    discounts.create(code=second, kind="fixed", value="1.00", currency="USD")
    cart = _cart(storefront, "USD", product("10.00"))

    storefront.apply_discount(cart["id"], first)
    cart = storefront.apply_discount(cart["id"], second)

    assert cart["discount"]["code"] == second
    assert cart["total"] == "9.00"
    cart = storefront.remove_discount(cart["id"])
    assert (cart["discount"], cart["total"]) == (None, "10.00")


# -- prices are the shop's (issue 24) ---------------------------------------------------------


def test_a_shopper_cannot_set_the_price_of_a_65_inch_tv(storefront, catalog, product, payments):
    tv = product(prices={"USD": "1299.00"}, name="65 inch TV")
    cart = storefront.create_cart("USD")

    with pytest.raises(ApiError) as refused:
        storefront.add_item(cart["id"], **tv, unit_price="0.01")

    assert (refused.value.status, refused.value.code) == (409, "price_changed")
    assert refused.value.body["unit_price"] == "1299.00"
    assert storefront.get_cart(cart["id"])["items"] == []
    priced = storefront.add_item(cart["id"], **tv)
    assert (priced["items"][0]["unit_price"], priced["items"][0]["name"]) == (
        "1299.00",
        "65 inch TV",
    )


@pytest.mark.processes
@pytest.mark.skipif(COMPOSE_MODE, reason="prices stay confirmed 300 s as shipped")
def test_a_price_that_moved_is_shown_before_it_is_charged(storefront, catalog, product, payments):
    mug = product("10.00", quantity=2)
    cart = storefront.create_cart("USD", items=[mug])
    catalog.update(mug["sku"], prices={"USD": "8.00"})
    time.sleep(PRICE_MAX_AGE + 0.5)  # the cart's prices are now older than the bound

    with pytest.raises(ApiError) as changed:
        storefront.checkout(cart["id"])

    assert (changed.value.status, changed.value.code) == (409, "prices_changed")
    shown = changed.value.body["cart"]
    assert (shown["items"][0]["unit_price"], shown["total"]) == ("8.00", "16.00")
    assert payments.payments_for(f"cart:{cart['id']}") == []  # nothing charged
    paid = storefront.checkout(cart["id"])
    assert paid["payment_status"] == "paid"
    assert [p["amount"] for p in payments.payments_for(f"cart:{cart['id']}")] == ["16.00"]


@pytest.mark.processes
@pytest.mark.skipif(COMPOSE_MODE, reason="prices stay confirmed 300 s as shipped")
def test_a_product_withdrawn_from_sale_stops_the_checkout(storefront, catalog, product, payments):
    lamp = product("12.00")
    cart = storefront.create_cart("USD", items=[lamp])
    catalog.update(lamp["sku"], active=False)
    time.sleep(PRICE_MAX_AGE + 0.5)

    with pytest.raises(ApiError) as refused:
        storefront.checkout(cart["id"])

    assert (refused.value.status, refused.value.code) == (422, "product_inactive")
    assert refused.value.body["sku"] == lamp["sku"]
    assert payments.payments_for(f"cart:{cart['id']}") == []
