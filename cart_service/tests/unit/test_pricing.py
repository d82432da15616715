"""Every line priced by the catalog (carts.pricing), and prices that move before checkout."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from carts import services
from carts.checkout import cart_checkout
from carts.errors import (
    CatalogServiceUnavailable,
    PaymentServiceUnavailable,
    PriceChanged,
    PricesChanged,
    ProductInactive,
    ProductNotFound,
    ProductNotSoldInCurrency,
)
from carts.models import Cart, CartItem
from tests.factories import CartFactory, CartItemFactory

pytestmark = pytest.mark.django_db


def create(catalog, *items, currency="USD"):
    return services.cart_create(currency=currency, items=list(items), catalog_client=catalog)


def item(sku="MUG-1", quantity=1, **more):
    return {"sku": sku, "quantity": quantity, **more}


def check_out(cart, catalog, discounts, payments):
    return cart_checkout(
        cart_id=cart.id, discount_client=discounts, payment_client=payments, catalog_client=catalog
    )


def priced_long_ago(cart):
    Cart.objects.filter(pk=cart.pk).update(
        prices_checked_at=timezone.now() - timedelta(seconds=301)  # CART_PRICE_MAX_AGE 300
    )


# -- adding lines ---------------------------------------------------------------------------


def test_a_line_takes_its_name_and_price_from_the_catalog(catalog):
    cart = create(catalog, item("MUG-1", 2))

    line = cart.lines[0]
    assert (line.sku, line.name, line.unit_price, line.quantity) == (
        "MUG-1",
        "Mug",
        Decimal("7.50"),
        2,
    )
    assert cart.totals().total == Decimal("15.00")
    assert catalog.calls == [["MUG-1"]]


def test_the_price_is_the_one_of_the_carts_currency(catalog):
    cart = create(catalog, item(), currency="EUR")

    assert cart.lines[0].unit_price == Decimal("6.90")


def test_a_price_the_shopper_sends_is_only_the_price_they_saw(catalog):
    # The TV-for-0.01 finding: a price from the shopper never becomes the line's.
    with pytest.raises(PriceChanged) as changed:
        create(catalog, item(unit_price=Decimal("0.01")))

    assert changed.value.extra == {"sku": "MUG-1", "unit_price": "7.50"}
    assert not Cart.objects.exists()
    assert create(catalog, item(unit_price=Decimal("7.50"))).lines[0].unit_price == Decimal("7.50")


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda c: None, ProductNotFound),
        (lambda c: c.add("TV-65", "TV", active=False), ProductInactive),
        (lambda c: c.add("TV-65", "TV", {"EUR": "999.00"}), ProductNotSoldInCurrency),
    ],
)
def test_a_product_the_catalog_cannot_sell_adds_nothing(catalog, setup, error):
    setup(catalog)
    cart = create(catalog, item())

    with pytest.raises(error) as refused:
        services.cart_item_add(cart_id=cart.id, sku="TV-65", quantity=1, catalog_client=catalog)
    with pytest.raises(error):
        create(catalog, item(), item("TV-65"))

    assert refused.value.extra == {"sku": "TV-65"}
    assert [line.sku for line in Cart.objects.get(pk=cart.pk).items.all()] == ["MUG-1"]
    assert Cart.objects.count() == 1


def test_the_catalog_unreachable_adds_nothing(catalog):
    cart = create(catalog, item())
    catalog.outages = 2

    with pytest.raises(CatalogServiceUnavailable):
        services.cart_item_add(cart_id=cart.id, sku="MUG-1", quantity=1, catalog_client=catalog)
    with pytest.raises(CatalogServiceUnavailable):
        create(catalog, item())

    assert CartItem.objects.get().quantity == 1
    assert Cart.objects.count() == 1


def test_several_items_are_priced_in_one_read_and_one_sku_is_one_line(catalog):
    catalog.add("TV-65", "TV", {"USD": "499.00"})

    cart = create(catalog, item("MUG-1", 1), item("TV-65", 1), item("MUG-1", 2))

    assert [(line.sku, line.quantity) for line in cart.lines] == [("MUG-1", 3), ("TV-65", 1)]
    assert catalog.calls == [["MUG-1", "TV-65", "MUG-1"]]


def test_adding_a_sku_again_re_prices_its_line_at_the_catalogs_price_now(catalog):
    cart = create(catalog, item("MUG-1", 1))
    catalog.add("MUG-1", "Mug", {"USD": "8.00"})

    cart = services.cart_item_add(cart_id=cart.id, sku="MUG-1", quantity=1, catalog_client=catalog)

    assert [(line.unit_price, line.quantity) for line in cart.lines] == [(Decimal("8.00"), 2)]


# -- prices that move before checkout ---------------------------------------------------------


def test_a_cart_priced_recently_is_checked_out_without_asking_the_catalog(
    catalog, discounts, payments
):
    cart = create(catalog, item("MUG-1", 2))
    catalog.calls.clear()

    assert check_out(cart, catalog, discounts, payments).payment_status == "paid"
    assert catalog.calls == []
    assert payments.calls[0]["amount"] == Decimal("15.00")


def test_prices_that_moved_re_price_the_cart_and_charge_nothing(catalog, discounts, payments):
    cart = create(catalog, item("MUG-1", 2))
    priced_long_ago(cart)
    catalog.add("MUG-1", "Mug", {"USD": "9.00"})

    with pytest.raises(PricesChanged) as changed:
        check_out(cart, catalog, discounts, payments)

    assert changed.value.extra == {"skus": ["MUG-1"]}
    assert changed.value.cart.totals().total == Decimal("18.00")  # what the shopper is shown
    assert payments.calls == []
    assert discounts.calls == []  # nothing redeemed either
    # The shopper saw 18.00; checking out again charges exactly that.
    assert check_out(cart, catalog, discounts, payments).payment_status == "paid"
    assert [call["amount"] for call in payments.calls] == [Decimal("18.00")]


def test_prices_that_did_not_move_are_confirmed_and_the_cart_paid(catalog, discounts, payments):
    cart = create(catalog, item("MUG-1", 2))
    priced_long_ago(cart)
    catalog.calls.clear()

    assert check_out(cart, catalog, discounts, payments).payment_status == "paid"
    assert catalog.calls == [["MUG-1"]]
    checked = Cart.objects.get(pk=cart.pk).prices_checked_at
    assert timezone.now() - checked < timedelta(seconds=60)


def test_a_renamed_product_is_renamed_in_the_cart_without_stopping_the_checkout(
    catalog, discounts, payments
):
    cart = create(catalog, item())
    priced_long_ago(cart)
    catalog.add("MUG-1", "Big mug", {"USD": "7.50"})

    assert check_out(cart, catalog, discounts, payments).payment_status == "paid"
    assert CartItem.objects.get().name == "Big mug"


@pytest.mark.parametrize(
    ("now", "error"),
    [
        ({"active": False}, ProductInactive),
        ({"prices": {"EUR": "6.90"}}, ProductNotSoldInCurrency),
    ],
)
def test_a_line_the_catalog_stopped_selling_stops_the_checkout(
    catalog, discounts, payments, now, error
):
    cart = create(catalog, item())
    priced_long_ago(cart)
    catalog.add("MUG-1", "Mug", **now)

    with pytest.raises(error):
        check_out(cart, catalog, discounts, payments)

    assert payments.calls == []
    assert CartItem.objects.get().unit_price == Decimal("7.50")


def test_the_catalog_unreachable_for_a_stale_cart_charges_nothing(catalog, discounts, payments):
    cart = create(catalog, item())
    priced_long_ago(cart)
    catalog.outages = 1

    with pytest.raises(CatalogServiceUnavailable):
        check_out(cart, catalog, discounts, payments)

    assert payments.calls == []


def test_a_fixed_discount_over_the_re_priced_subtotal_never_goes_below_zero(
    catalog, discounts, payments
):
    discounts.add("FIVEOFF", "fixed", "5.00", currency="USD")
    cart = CartFactory(fixed_discount=True)
    CartItemFactory(cart=cart, sku="MUG-1", name="Mug", unit_price=Decimal("7.50"), quantity=1)
    priced_long_ago(cart)
    catalog.add("MUG-1", "Mug", {"USD": "3.00"})

    with pytest.raises(PricesChanged) as changed:
        check_out(cart, catalog, discounts, payments)

    totals = changed.value.cart.totals()
    assert (totals.subtotal, totals.amount_discounted, totals.total) == (
        Decimal("3.00"),
        Decimal("3.00"),
        Decimal("0.00"),
    )
    assert check_out(cart, catalog, discounts, payments).payment_status == "paid"
    assert payments.calls == []  # nothing to charge


def test_an_attempt_being_settled_keeps_its_amount_whatever_the_catalog_says(
    catalog, discounts, payments
):
    cart = create(catalog, item("MUG-1", 2))
    payments.outages = 1
    with pytest.raises(PaymentServiceUnavailable):
        check_out(cart, catalog, discounts, payments)
    priced_long_ago(cart)
    catalog.add("MUG-1", "Mug", {"USD": "9.00"})

    assert check_out(cart, catalog, discounts, payments).payment_status == "paid"
    assert {call["amount"] for call in payments.calls} == {Decimal("15.00")}
