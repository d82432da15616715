"""Input validation of the request bodies, without a database."""

from decimal import Decimal

import pytest

from discounts.serializers import (
    DiscountCreateIn,
    DiscountUpdateIn,
    RedemptionCreateIn,
)


def create_errors(**body) -> dict:
    data = {"code": "SAVE10", "kind": "percent", "value": "10.00", **body}
    serializer = DiscountCreateIn(data={k: v for k, v in data.items() if v is not ...})
    return {} if serializer.is_valid() else serializer.errors


def test_a_minimal_percent_discount_is_valid_and_normalised():
    serializer = DiscountCreateIn(data={"code": " save10 ", "kind": "percent", "value": 10})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["code"] == "SAVE10"
    assert serializer.validated_data["value"] == Decimal("10.00")
    assert serializer.validated_data["starts_at"] is not None
    assert serializer.validated_data["is_active"] is True


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "AB"),
        ("code", 12345),
        ("code", "SAVE 10"),
        ("code", ...),
        ("kind", "weird"),
        ("value", "10.001"),
        ("value", "NaN"),
        ("value", "abc"),
        ("value", 1.5),  # a float: precision unknown
        ("value", "-5.00"),
        ("value", "99999999999.00"),
        ("value", ...),
        ("currency", "usd"),
        ("max_redemptions", 0),
        ("max_redemptions", "5"),
        ("max_redemptions", True),
        ("max_redemptions", 2**40),
        ("is_active", "yes"),
        ("starts_at", "tomorrow"),
        ("description", 7),
    ],
)
def test_bad_fields_are_named(field, value):
    assert field in create_errors(**{field: value})


def test_unknown_fields_are_ignored():
    assert create_errors(colour="red") == {}


def test_update_refuses_frozen_fields_and_names_them():
    serializer = DiscountUpdateIn(data={"code": "X", "value": "1.00", "is_active": False})

    assert not serializer.is_valid()
    assert set(serializer.errors) == {"code", "value"}


def test_update_reports_frozen_and_invalid_fields_together():
    serializer = DiscountUpdateIn(data={"kind": "fixed", "max_redemptions": 0})

    assert not serializer.is_valid()
    assert set(serializer.errors) == {"kind", "max_redemptions"}


@pytest.mark.parametrize("cart_id", ["not-a-uuid", 123, None, ""])
def test_redemption_needs_a_uuid_string(cart_id):
    assert not RedemptionCreateIn(data={"cart_id": cart_id}).is_valid()
