from decimal import Decimal

import pytest

from servicekit.money import MoneyError, format_money, parse_money, quantize_cents


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("12.50", Decimal("12.50")),
        ("12.5", Decimal("12.50")),
        ("12", Decimal("12.00")),
        (" 7.25 ", Decimal("7.25")),
        (12, Decimal("12.00")),
        (Decimal("10.25"), Decimal("10.25")),
        ("-3.10", Decimal("-3.10")),
        ("9999999999.99", Decimal("9999999999.99")),
    ],
)
def test_money_is_read_from_strings_and_exact_numbers(given, expected):
    assert parse_money(given) == expected
    assert parse_money(given).as_tuple().exponent == -2


@pytest.mark.parametrize(
    "given",
    [
        "12.501",
        Decimal("10.250"),  # written with three decimals: refused, even if equal to 10.25
        "1e3",
        "abc",
        "",
        "12,50",
        "NaN",
        Decimal("NaN"),
        Decimal("Infinity"),
        "10000000000.00",
        10**20,
        True,
        None,
        12.5,  # a float has lost its written precision already
        ["1.00"],
    ],
)
def test_anything_else_is_refused(given):
    with pytest.raises(MoneyError):
        parse_money(given)


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("0.4995", "0.50"), ("2.675", "2.68"), ("1.5", "1.50")],
)
def test_rounding_is_half_up_to_cents(amount, cents):
    assert quantize_cents(Decimal(amount)) == Decimal(cents)


def test_money_is_written_with_two_decimals():
    assert format_money(Decimal("3")) == "3.00"
    assert format_money(Decimal("13.5")) == "13.50"


@pytest.mark.parametrize(
    "given",
    [
        "\u0661\u0660.\u0665\u0660",  # Arabic-Indic digits: Decimal reads 10.50
        "\uff11\uff10.\uff10\uff10",  # fullwidth digits: Decimal reads 10.00
        "\u0967\u0966.\u0966\u0966",  # Devanagari digits
        "10.5\u0660",
        "\u00a010.00",
        "10.00\u3000",
        "1_000.00",
    ],
)
def test_only_ascii_digits_are_money(given):
    with pytest.raises(MoneyError):
        parse_money(given)


@pytest.mark.parametrize("given", ["-0.00", "-0", Decimal("-0.0"), 0])
def test_negative_zero_is_plain_zero(given):
    assert format_money(parse_money(given)) == "0.00"
