"""Discount codes: normalised (trimmed, upper-cased), then 3-32 of A-Z 0-9 - _."""

import pytest
from rest_framework import serializers

from discounts.domain import is_valid_code, normalise_code
from discounts.serializers import CodeField


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("save10", "SAVE10"), ("  Save-10_x\t", "SAVE-10_X"), ("ABC", "ABC")],
)
def test_codes_are_trimmed_and_upper_cased(raw, expected):
    assert normalise_code(raw) == expected


def test_non_ascii_letters_are_not_mapped_onto_ascii_ones():
    dotless_i = "\u0131"  # upper-cases to an ASCII "I"
    assert not is_valid_code(normalise_code(f"sav{dotless_i}10"))


@pytest.mark.parametrize("code", ["ABC", "A" * 32, "SAVE-10", "SAVE_10", "123"])
def test_valid_codes(code):
    assert is_valid_code(code)


@pytest.mark.parametrize("code", ["AB", "A" * 33, "SAVE 10", "SAVE.10", "SAVE10!", "", "ÄBC"])
def test_invalid_codes(code):
    assert not is_valid_code(code)


@pytest.mark.parametrize("raw", ["\u00a0SAVE10", "SAVE10\u3000", "\u017fAVE10", "SAVE\uff11\uff10"])
def test_the_serializer_refuses_unicode_look_alikes(raw):
    with pytest.raises(serializers.ValidationError):
        CodeField().to_internal_value(raw)
