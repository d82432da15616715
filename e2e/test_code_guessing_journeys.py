"""Guessing discount codes: refusals are throttled per client address and per cart.

The clients connect from their own loopback addresses (127.0.0.2, ...), and each request
opens a new connection, so the attempts of one client land on both gunicorn workers of
cart_service: the counts hold only because the workers share them. Process stack only
(the addresses are this machine's loopback), with the default limits (10 refusals per
cart, 30 per address, per hour).
"""

import pytest

from harness.api_client import ApiError, StorefrontClient
from harness.loopback import session_from

pytestmark = pytest.mark.processes
PER_CART, PER_ADDRESS = 10, 30


def shopper(urls, address: str) -> StorefrontClient:
    return StorefrontClient(urls["cart"], session=session_from(address))


def refused(storefront: StorefrontClient, cart_id: str, code: str) -> ApiError:
    with pytest.raises(ApiError) as raised:
        storefront.apply_discount(cart_id, code)
    return raised.value


@pytest.fixture
def mug(product):
    return product("7.50", quantity=2)


@pytest.fixture
def real_code(discounts, new_code):
    code = new_code("GUESS")
    discounts.create(code=code, kind="percent", value="10.00")
    return code


def test_a_cart_is_closed_to_codes_after_ten_wrong_ones(urls, new_code, real_code, mug):
    guesser, other = shopper(urls, "127.0.0.2"), shopper(urls, "127.0.0.3")
    cart = guesser.create_cart("USD", items=[mug])

    answers = [refused(guesser, cart["id"], new_code("WRONG")).code for _ in range(PER_CART)]
    throttled = refused(guesser, cart["id"], real_code)

    assert answers == ["discount_not_found"] * PER_CART
    assert (throttled.status, throttled.code) == (429, "throttled")
    assert 0 < int(throttled.retry_after) <= 3600
    # another shopper's cart, from another address, is not affected
    mine = other.create_cart("USD", items=[mug])
    assert other.apply_discount(mine["id"], real_code)["discount"]["code"] == real_code


def test_an_address_is_closed_to_codes_after_thirty_wrong_ones(urls, new_code, real_code, mug):
    guesser, other = shopper(urls, "127.0.0.4"), shopper(urls, "127.0.0.5")
    for _ in range(PER_ADDRESS // 6):  # six wrong codes on each of five carts: no cart limit
        cart = guesser.create_cart("USD", items=[mug])
        for _ in range(6):
            assert refused(guesser, cart["id"], new_code("WRONG")).code == "discount_not_found"

    fresh = guesser.create_cart("USD", items=[mug])
    throttled = refused(guesser, fresh["id"], real_code)

    assert (throttled.status, throttled.code) == (429, "throttled")
    assert int(throttled.retry_after) > 0
    assert other.apply_discount(fresh["id"], real_code)["discount"]["code"] == real_code


def test_a_storefront_asking_again_as_the_cart_grows_is_never_closed_out(
    urls, discounts, new_code, product
):
    # "Add 12.50 more": the storefront applies the code after each change of the cart, more
    # often than the cart's limit of refusals, and the shopper who reaches the minimum gets it.
    storefront = shopper(urls, "127.0.0.6")
    code = new_code("OVER50")
    discounts.create(
        code=code, kind="percent", value="10.00", currency="USD", minimum_subtotal="50.00"
    )
    cart = storefront.create_cart("USD", items=[product("4.00")])

    missing = []
    for _ in range(PER_CART + 2):
        answer = refused(storefront, cart["id"], code)
        assert (answer.status, answer.code) == (422, "discount_minimum_not_met")
        missing.append(answer.body["missing"])
        storefront.add_item(cart["id"], **product("3.00"))
    cart = storefront.add_item(cart["id"], **product("20.00"))

    assert (missing[0], missing[-1]) == ("46.00", "13.00")
    cart = storefront.apply_discount(cart["id"], code)
    assert (cart["subtotal"], cart["amount_discounted"]) == ("60.00", "6.00")
