import pytest

from servicekit.codes import is_valid_code, normalise_code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" save10 ", "SAVE10"), ("Summer-Sale_2", "SUMMER-SALE_2"), ("\tabc\n", "ABC")],
)
def test_ascii_codes_are_trimmed_and_upper_cased(raw, expected):
    assert normalise_code(raw) == expected
    assert is_valid_code(normalise_code(raw))


@pytest.mark.parametrize(
    "raw",
    [
        "\u017fave10",  # long s: str.upper() makes it "S"
        "sav\u013110",  # dotless i: str.upper() makes it "I"
        "\ufb00-code",  # the ff ligature: str.upper() makes it "FF"
        "\uff33\uff21\uff36\uff25\uff11\uff10",  # fullwidth letters and digits
        "SAVE\u0661\u0660",  # Arabic-Indic digits
        "\u00a0SAVE10",  # a no-break space is not a surrounding blank
        "SAVE10\u200b",  # zero-width space
    ],
)
def test_unicode_never_turns_into_a_valid_ascii_code(raw):
    assert not is_valid_code(normalise_code(raw))


@pytest.mark.parametrize("code", ["AB", "A" * 33, "SAVE 10", "SAVE10\n", "save10"])
def test_the_code_shape_is_checked_on_the_whole_value(code):
    assert not is_valid_code(code)
