"""Money is Decimal end to end: one parser, one quantizer, one formatter."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
# Only ASCII blanks are trimmed: Unicode spaces in a value are not "surrounding blanks".
ASCII_BLANKS = " \t\r\n"
# 12 digits with 2 decimals: up to 9,999,999,999.99, the column size of every amount.
MAX_DIGITS = 12
MAX_AMOUNT = Decimal("9999999999.99")
# ASCII digits only: \d would also take Arabic-Indic or fullwidth digits, which Decimal
# reads as their ASCII values.
_MONEY_STRING = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?", re.ASCII)


class MoneyError(ValueError):
    """The value is not an amount of money with at most two fraction digits."""


def parse_money(value: object) -> Decimal:
    """Parse a JSON money value: a string like "12.50" or a number with <= 2 decimals.

    Floats are refused: JSON numbers arrive as ``Decimal`` through the services'
    parser, so their written precision is still known.
    """
    if isinstance(value, bool) or value is None:
        raise MoneyError('Enter an amount such as "12.50".')
    if isinstance(value, str):
        text = value.strip(ASCII_BLANKS)
        if not _MONEY_STRING.fullmatch(text):
            raise MoneyError('Enter an amount with at most two decimal places, such as "12.50".')
        amount = Decimal(text)
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    else:
        raise MoneyError('Enter an amount as a string, such as "12.50".')
    try:
        if not amount.is_finite():
            raise MoneyError("Enter a finite amount.")
        exponent = amount.as_tuple().exponent  # an int: the amount is finite
        if isinstance(exponent, int) and exponent < -2:
            raise MoneyError("Enter an amount with at most two decimal places.")
        amount = amount.quantize(CENT)
    except InvalidOperation as exc:
        raise MoneyError("Enter a valid amount.") from exc
    if amount.is_zero():
        amount = amount.copy_abs()  # "-0.00" would be stored and shown with its sign
    if abs(amount) > MAX_AMOUNT:
        raise MoneyError(f"Enter an amount of at most {MAX_AMOUNT}.")
    return amount


def quantize_cents(amount: Decimal) -> Decimal:
    """Round half-up to cents, the one rounding rule of the system."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal) -> str:
    return str(amount.quantize(CENT))
