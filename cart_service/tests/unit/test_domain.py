"""The cart's money math (carts/domain.py), without a database."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from carts import domain
from carts.errors import DiscountCurrencyMismatch

D = Decimal


@dataclass
class Line:
    unit_price: Decimal
    quantity: int


def totals(lines, discount=None, currency="USD"):
    return domain.cart_totals(lines, discount=discount, currency=currency)


def percent(value):
    return domain.AppliedDiscount(kind="percent", value=D(value))


def fixed(value, currency="USD"):
    return domain.AppliedDiscount(kind="fixed", value=D(value), currency=currency)


def test_line_total_is_unit_price_times_quantity():
    assert domain.line_total(D("7.50"), 2) == D("15.00")


def test_items_number_is_the_sum_of_quantities():
    assert domain.items_number([Line(D("1.00"), 2), Line(D("3.00"), 5)]) == 7


def test_subtotal_is_the_sum_of_line_totals():
    assert domain.subtotal([Line(D("7.50"), 2), Line(D("0.99"), 3)]) == D("17.97")


def test_an_empty_cart_totals_zero():
    result = totals([])

    assert result == domain.Totals(0, D("0.00"), D("0.00"), D("0.00"))


def test_the_api_example_ten_percent_of_fifteen():
    result = totals([Line(D("7.50"), 2)], percent("10.00"))

    assert (result.subtotal, result.amount_discounted, result.total) == (
        D("15.00"),
        D("1.50"),
        D("13.50"),
    )


@pytest.mark.parametrize(
    ("subtotal", "rate", "expected"),
    [
        ("0.05", "10.00", "0.01"),  # 0.005 rounds half-up, not to even
        ("3.33", "15.00", "0.50"),  # 0.4995
        ("0.15", "10.00", "0.02"),  # 0.015
        ("0.25", "10.00", "0.03"),  # 0.025: banker's rounding would give 0.02
        ("19.99", "33.33", "6.66"),  # 6.662667
        ("10.00", "100.00", "10.00"),
    ],
)
def test_percent_discount_rounds_half_up_to_cents(subtotal, rate, expected):
    result = totals([Line(D(subtotal), 1)], percent(rate))

    assert result.amount_discounted == D(expected)
    assert result.total == D(subtotal) - D(expected)


def test_fixed_discount_is_taken_off_the_subtotal():
    result = totals([Line(D("12.00"), 1)], fixed("5.00"))

    assert (result.amount_discounted, result.total) == (D("5.00"), D("7.00"))


def test_fixed_discount_larger_than_the_subtotal_leaves_a_zero_total():
    result = totals([Line(D("3.00"), 1)], fixed("5.00"))

    assert (result.amount_discounted, result.total) == (D("3.00"), D("0.00"))


def test_fixed_discount_on_an_empty_cart_discounts_nothing():
    result = totals([], fixed("5.00"))

    assert (result.amount_discounted, result.total) == (D("0.00"), D("0.00"))


def test_fixed_discount_in_another_currency_is_refused():
    with pytest.raises(DiscountCurrencyMismatch):
        totals([Line(D("12.00"), 1)], fixed("5.00", currency="EUR"), currency="USD")


def test_percent_discount_ignores_currency():
    result = totals([Line(D("10.00"), 1)], percent("50.00"), currency="GBP")

    assert result.total == D("5.00")


def test_total_is_never_below_zero():
    result = totals([Line(D("0.01"), 1)], fixed("9999.00"))

    assert result.total == D("0.00")
