"""Validation rules of a discount's terms (its promotion's minimums too) and of what may
change later."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from discounts.domain import Terms, max_redemptions_error, terms_errors

START = datetime(2026, 1, 1, tzinfo=UTC)


def terms(**overrides) -> Terms:
    values = {
        "kind": "percent",
        "value": Decimal("10.00"),
        "currency": None,
        "starts_at": START,
        "ends_at": START + timedelta(days=30),
    }
    values.update(overrides)
    return Terms(**values)


def test_ordinary_percent_and_fixed_terms_hold():
    assert terms_errors(terms()) == {}
    assert terms_errors(terms(kind="fixed", value=Decimal("5.00"), currency="USD")) == {}


@pytest.mark.parametrize("value", ["0.01", "100.00"])
def test_percent_value_boundaries_are_allowed(value):
    assert terms_errors(terms(value=Decimal(value))) == {}


@pytest.mark.parametrize("value", ["0.00", "100.01", "-1.00"])
def test_percent_value_outside_0_to_100_is_refused(value):
    assert "value" in terms_errors(terms(value=Decimal(value)))


def test_percent_with_a_currency_is_refused():
    assert "currency" in terms_errors(terms(currency="USD"))


def test_fixed_without_a_currency_is_refused():
    assert "currency" in terms_errors(terms(kind="fixed", value=Decimal("5.00")))


def test_fixed_may_exceed_100():
    assert terms_errors(terms(kind="fixed", value=Decimal("250.00"), currency="EUR")) == {}


@pytest.mark.parametrize("ends_at", [START, START - timedelta(seconds=1)])
def test_ends_at_must_be_after_starts_at(ends_at):
    assert "ends_at" in terms_errors(terms(ends_at=ends_at))


def test_open_ended_terms_hold():
    assert terms_errors(terms(ends_at=None)) == {}


def test_max_redemptions_cannot_drop_below_what_was_redeemed():
    assert max_redemptions_error(2, times_redeemed=3) is not None
    assert max_redemptions_error(3, times_redeemed=3) is None
    assert max_redemptions_error(None, times_redeemed=3) is None


# -- a promotion's minimums -------------------------------------------------------------------


def test_a_percent_discount_with_a_minimum_counts_it_in_a_currency():
    assert terms_errors(terms(currency="USD", minimum_subtotal=Decimal("50.00"))) == {}


def test_a_percent_discount_with_a_minimum_and_no_currency_is_refused_naming_currency():
    assert list(terms_errors(terms(minimum_subtotal=Decimal("50.00")))) == ["currency"]


def test_a_percent_discount_with_a_currency_and_no_minimum_is_still_refused():
    assert list(terms_errors(terms(currency="USD"))) == ["currency"]


def test_a_fixed_discount_minimum_is_in_its_own_currency():
    fixed = terms(kind="fixed", value=Decimal("5.00"), currency="EUR")

    assert terms_errors(fixed) == {}
    assert terms_errors(terms(**{**fixed.__dict__, "minimum_subtotal": Decimal("20.00")})) == {}


@pytest.mark.parametrize("minimum", ["0.00", "-1.00"])
def test_a_minimum_subtotal_at_or_below_zero_is_refused(minimum):
    errors = terms_errors(terms(currency="USD", minimum_subtotal=Decimal(minimum)))

    assert list(errors) == ["minimum_subtotal"]


@pytest.mark.parametrize(
    ("items", "valid"), [(0, False), (1, True), (10_000, True), (10_001, False)]
)
def test_minimum_items_is_from_1_to_10000(items, valid):
    assert ("minimum_items" not in terms_errors(terms(minimum_items=items))) is valid
