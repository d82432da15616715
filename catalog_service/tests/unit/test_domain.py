"""Catalog rules without a database: price changes, batch reads, skus."""

from decimal import Decimal

import pytest
from rest_framework import serializers

from products.domain import (
    MAX_BATCH_SKUS,
    PriceChange,
    batch_size_problem,
    normalise_sku,
    price_changes,
    repeated_skus,
)
from products.serializers import SkuField

D = Decimal


def test_price_changes_name_each_currency_added_changed_or_removed():
    before = {"USD": D("7.50"), "EUR": D("6.90"), "GBP": D("6.00")}
    after = {"USD": D("7.95"), "EUR": D("6.90"), "JPY": D("1000.00")}

    assert price_changes(before, after) == {
        "GBP": PriceChange.REMOVED,
        "JPY": PriceChange.ADDED,
        "USD": PriceChange.CHANGED,
    }


def test_the_same_amount_written_otherwise_is_no_change():
    assert price_changes({"USD": D("7.5")}, {"USD": D("7.50")}) == {}


def test_creating_adds_every_price():
    assert price_changes({}, {"USD": D("1.00"), "EUR": D("0.00")}) == {
        "EUR": PriceChange.ADDED,
        "USD": PriceChange.ADDED,
    }


def test_a_batch_of_up_to_the_limit_is_fine_and_one_more_is_not():
    assert batch_size_problem(MAX_BATCH_SKUS) is None
    assert "At most 100 skus" in batch_size_problem(MAX_BATCH_SKUS + 1)


def test_repeated_skus_are_named_once_each():
    assert repeated_skus(["A", "B", "A", "C", "B", "A"]) == ["A", "B"]
    assert repeated_skus(["A", "B"]) == []


@pytest.mark.parametrize(("raw", "expected"), [(" mug-1 ", "MUG-1"), ("Tv_65", "TV_65")])
def test_skus_are_trimmed_and_upper_cased(raw, expected):
    assert normalise_sku(raw) == expected
    assert SkuField().to_internal_value(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "MUG 1", "A" * 65, "A" * 200, "MUG.1", "\u00a0MUG-1", "\u017fKU", 12, None],
)
def test_the_sku_field_refuses_what_is_not_a_sku(raw):
    with pytest.raises(serializers.ValidationError):
        SkuField().run_validation(raw)
