"""Journey 2: fixed and percent discounts, currencies, recomputed totals, replacement."""

from __future__ import annotations

import pytest

from harness.api_client import ApiError


def _cart(storefront, currency="USD", *items):
    return storefront.create_cart(currency, items=list(items))


def test_percent_discount_rounds_half_up(storefront, discounts, new_code):
    code = new_code()
    discounts.create(code=code, kind="percent", value="15.00")
    cart = _cart(storefront, "USD", {"sku": "A", "name": "A", "unit_price": "3.33", "quantity": 1})

    cart = storefront.apply_discount(cart["id"], code)

    # 15% of 3.33 = 0.4995 -> 0.50 (half-up to cents)
    assert (cart["amount_discounted"], cart["total"]) == ("0.50", "2.83")


def test_fixed_discount_in_the_cart_currency(storefront, discounts, new_code):
    code = new_code()
    discounts.create(code=code, kind="fixed", value="5.00", currency="EUR")
    cart = _cart(storefront, "EUR", {"sku": "A", "name": "A", "unit_price": "12.00", "quantity": 1})

    cart = storefront.apply_discount(cart["id"], code)

    assert (cart["amount_discounted"], cart["total"]) == ("5.00", "7.00")


def test_fixed_discount_in_another_currency_is_refused(storefront, discounts, new_code):
    code = new_code()
    discounts.create(code=code, kind="fixed", value="5.00", currency="GBP")
    cart = _cart(storefront, "USD", {"sku": "A", "name": "A", "unit_price": "12.00", "quantity": 1})

    with pytest.raises(ApiError) as refused:
        storefront.apply_discount(cart["id"], code)

    assert (refused.value.status, refused.value.code) == (422, "discount_currency_mismatch")
    assert storefront.get_cart(cart["id"])["total"] == "12.00"


def test_totals_follow_item_changes(storefront, discounts, new_code):
    code = new_code()
    discounts.create(code=code, kind="percent", value="10.00")
    cart = _cart(storefront, "USD", {"sku": "A", "name": "A", "unit_price": "10.00", "quantity": 1})
    cart = storefront.apply_discount(cart["id"], code)
    item_id = cart["items"][0]["id"]

    cart = storefront.change_quantity(cart["id"], item_id, 3)
    assert (cart["subtotal"], cart["amount_discounted"], cart["total"]) == (
        "30.00",
        "3.00",
        "27.00",
    )

    cart = storefront.add_item(cart["id"], sku="B", name="B", unit_price="5.00", quantity=2)
    assert (cart["subtotal"], cart["amount_discounted"], cart["total"]) == (
        "40.00",
        "4.00",
        "36.00",
    )

    cart = storefront.remove_item(cart["id"], item_id)
    assert (cart["subtotal"], cart["amount_discounted"], cart["total"]) == ("10.00", "1.00", "9.00")
    assert cart["items_number"] == 2


def test_a_discount_never_drives_the_total_below_zero(storefront, discounts, new_code):
    code = new_code()
    discounts.create(code=code, kind="fixed", value="50.00", currency="USD")
    cart = _cart(storefront, "USD", {"sku": "A", "name": "A", "unit_price": "12.00", "quantity": 1})

    cart = storefront.apply_discount(cart["id"], code)

    assert (cart["amount_discounted"], cart["total"]) == ("12.00", "0.00")


def test_a_second_code_replaces_the_first(storefront, discounts, new_code):
    first, second = new_code(), new_code()
    discounts.create(code=first, kind="percent", value="10.00")
    discounts.create(code=second, kind="fixed", value="1.00", currency="USD")
    cart = _cart(storefront, "USD", {"sku": "A", "name": "A", "unit_price": "10.00", "quantity": 1})

    storefront.apply_discount(cart["id"], first)
    cart = storefront.apply_discount(cart["id"], second)

    assert cart["discount"]["code"] == second
    assert cart["total"] == "9.00"
    cart = storefront.remove_discount(cart["id"])
    assert (cart["discount"], cart["total"]) == (None, "10.00")
