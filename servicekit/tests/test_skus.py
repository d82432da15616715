import pytest

from servicekit.skus import SKU_MAX_LENGTH, is_valid_sku, normalise_sku


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" mug-1 ", "MUG-1"), ("Tv_65", "TV_65"), ("\tx\n", "X"), ("7", "7")],
)
def test_ascii_skus_are_trimmed_and_upper_cased(raw, expected):
    assert normalise_sku(raw) == expected
    assert is_valid_sku(normalise_sku(raw))


@pytest.mark.parametrize("sku", ["A", "A" * SKU_MAX_LENGTH, "MUG-1", "TV_65", "123"])
def test_valid_skus(sku):
    assert is_valid_sku(sku)


@pytest.mark.parametrize(
    "sku",
    ["", "A" * (SKU_MAX_LENGTH + 1), "A" * 200, "MUG 1", "MUG.1", "MUG-1\n", "mug-1", "M/1"],
)
def test_the_sku_shape_is_checked_on_the_whole_value(sku):
    assert not is_valid_sku(sku)


@pytest.mark.parametrize(
    "raw",
    [
        "\u017fku-1",  # long s: str.upper() makes it "S"
        "\uff2d\uff35\uff27",  # fullwidth letters
        "\u00a0MUG-1",  # a no-break space is not a surrounding blank
        "MUG-1\u200b",  # zero-width space
        "MUG\u0661",  # an Arabic-Indic digit
    ],
)
def test_unicode_never_turns_into_a_valid_ascii_sku(raw):
    assert not is_valid_sku(normalise_sku(raw))
