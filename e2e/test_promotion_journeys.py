"""Journey: the promotions shops run (issue 26), through the public APIs of the whole system.

A minimum spend a storefront can show ("add 30.00 more"), a discount for some products
only, and a batch of single-use codes capped across the batch: applied by cart_service,
checked and redeemed by discount_service against the cart's own lines, charged by
payment_service exactly what the cart shows.
"""

from __future__ import annotations

import uuid

import pytest

from harness.api_client import ApiError


def _refused(call) -> ApiError:
    with pytest.raises(ApiError) as refused:
        call()
    return refused.value


def _charged(payments, cart: dict) -> list[str]:
    return [p["amount"] for p in payments.payments_for(f"cart:{cart['id']}")]


def test_a_minimum_spend_names_what_is_missing_and_holds_at_checkout(
    storefront, discounts, payments, new_code, product
):
    code = new_code("MIN")
    discounts.create(
        code=code, kind="percent", value="10.00", currency="USD", minimum_subtotal="50.00"
    )
    cart = storefront.create_cart("USD", items=[product("20.00")])

    refused = _refused(lambda: storefront.apply_discount(cart["id"], code))
    assert (refused.status, refused.code) == (422, "discount_minimum_not_met")
    assert (refused.body["missing"], refused.body["minimum_subtotal"]) == ("30.00", "50.00")
    assert storefront.get_cart(cart["id"])["discount"] is None

    cart = storefront.add_item(cart["id"], **product("40.00"))
    cart = storefront.apply_discount(cart["id"], code)
    assert (cart["subtotal"], cart["amount_discounted"], cart["total"]) == (
        "60.00",
        "6.00",
        "54.00",
    )

    # The shopper takes the big item out after applying: the checkout's redemption checks
    # the cart as it is now, so the discount is refused there and nothing is charged.
    big = next(i for i in cart["items"] if i["unit_price"] == "40.00")
    storefront.remove_item(cart["id"], big["id"])
    refused = _refused(lambda: storefront.checkout(cart["id"]))
    assert (refused.status, refused.code) == (422, "discount_minimum_not_met")
    assert _charged(payments, cart) == []
    assert discounts.get(code)["times_redeemed"] == 0


def test_a_discount_for_some_products_takes_off_only_their_lines(
    storefront, discounts, payments, new_code, product
):
    mug, tea = product("7.50", quantity=2, prefix="MUG"), product("4.00", prefix="TEA")
    code = new_code("MUGS")
    discounts.create(code=code, kind="percent", value="20.00", skus=[mug["sku"]])

    only_tea = storefront.create_cart("USD", items=[tea])
    refused = _refused(lambda: storefront.apply_discount(only_tea["id"], code))
    assert (refused.status, refused.code, refused.body["skus"]) == (
        422,
        "discount_not_applicable",
        [mug["sku"]],
    )

    cart = storefront.create_cart("USD", items=[mug, tea])
    cart = storefront.apply_discount(cart["id"], code)
    assert cart["discount"]["skus"] == [mug["sku"]]
    assert {i["sku"]: i["discounted"] for i in cart["items"]} == {
        mug["sku"]: True,
        tea["sku"]: False,
    }
    # 19.00, less 20 % of the mugs' 15.00 only
    assert (cart["amount_discounted"], cart["total"]) == ("3.00", "16.00")

    paid = storefront.checkout(cart["id"])
    assert (paid["payment_status"], paid["total"]) == ("paid", "16.00")
    assert _charged(payments, cart) == ["16.00"]
    assert discounts.get(code)["times_redeemed"] == 1


def test_single_use_codes_redeem_once_and_the_batch_cap_holds(
    storefront, discounts, payments, new_code, product
):
    promotion = new_code("NEWS")
    discounts.create(
        code=promotion,
        kind="fixed",
        value="5.00",
        currency="USD",
        single_use_codes=True,
        max_redemptions=2,
    )
    batch = discounts.issue_codes(promotion, count=3, prefix="NL-")
    first, second, third = batch["codes"]
    assert batch["discount"]["codes_issued"] == 3

    # The promotion's own code is no code a shopper can use.
    cart = storefront.create_cart("USD", items=[product("12.00")])
    refused = _refused(lambda: storefront.apply_discount(cart["id"], promotion))
    assert (refused.status, refused.code) == (422, "discount_not_found")

    paid = storefront.checkout(storefront.apply_discount(cart["id"], first)["id"])
    assert (paid["payment_status"], paid["total"]) == ("paid", "7.00")
    assert _charged(payments, paid) == ["7.00"]

    other = storefront.create_cart("USD", items=[product("12.00")])
    refused = _refused(lambda: storefront.apply_discount(other["id"], first))
    assert (refused.status, refused.code) == (422, "discount_code_used")

    paid_second = storefront.checkout(storefront.apply_discount(other["id"], second)["id"])
    assert paid_second["payment_status"] == "paid"

    # Two uses of the batch's cap of 2 are spent: the third code is refused.
    third_cart = storefront.create_cart("USD", items=[product("12.00")])
    refused = _refused(lambda: storefront.apply_discount(third_cart["id"], third))
    assert (refused.status, refused.code) == (422, "discount_exhausted")

    used = discounts.codes(promotion, status="used", page_size=1000)
    assert sorted((c["code"], c["cart_id"]) for c in used["results"]) == sorted(
        [(first, paid["id"]), (second, paid_second["id"])]
    )
    assert discounts.get(promotion)["times_redeemed"] == 2
    assert str(uuid.UUID(paid["id"])) == paid["id"]
