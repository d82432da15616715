"""POST /api/discounts/"""

from decimal import Decimal

import pytest

from discounts.models import Discount
from servicekit.testing import assert_problem
from tests.factories import DiscountFactory

pytestmark = pytest.mark.django_db
URL = "/api/discounts/"


def test_create_percent_discount_returns_it_with_computed_fields(admin):
    body = {
        "code": " save10 ",
        "description": "Ten percent off",
        "kind": "percent",
        "value": "10.00",
        "starts_at": "2026-01-01T00:00:00Z",
        "ends_at": "2099-12-31T23:59:59+00:00",
        "max_redemptions": 100,
    }

    response = admin.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data == {
        **data,
        "code": "SAVE10",
        "description": "Ten percent off",
        "kind": "percent",
        "value": "10.00",
        "currency": None,
        "starts_at": "2026-01-01T00:00:00Z",
        "ends_at": "2099-12-31T23:59:59Z",
        "max_redemptions": 100,
        "times_redeemed": 0,
        "is_active": True,
        "status": "active",
    }
    assert data["created_at"].endswith("Z")
    assert Discount.objects.get().code == "SAVE10"


def test_create_fixed_discount_with_number_value(admin):
    response = admin.post(
        URL, {"code": "FIVE", "kind": "fixed", "value": 5, "currency": "EUR"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["value"] == "5.00"
    assert response.json()["currency"] == "EUR"
    assert Discount.objects.get().value == Decimal("5.00")


def test_create_accepts_a_json_number_with_two_decimals(admin):
    response = admin.post(
        URL,
        data='{"code": "HALF", "kind": "percent", "value": 12.50}',
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["value"] == "12.50"


def test_starts_at_defaults_to_now_and_ends_at_to_open_ended(admin):
    response = admin.post(URL, {"code": "OPEN", "kind": "percent", "value": "5"}, format="json")

    data = response.json()
    assert data["ends_at"] is None
    discount = Discount.objects.get()
    assert discount.starts_at <= discount.created_at
    assert data["status"] == "active"


def test_a_future_discount_is_created_scheduled(admin):
    response = admin.post(
        URL,
        {"code": "LATER", "kind": "percent", "value": "5", "starts_at": "2099-01-01T00:00:00Z"},
        format="json",
    )

    assert response.json()["status"] == "scheduled"


@pytest.mark.parametrize("code", ["SAVE10", "save10", "  Save10 "])
def test_a_taken_code_is_409_whatever_its_case(admin, code):
    DiscountFactory(code="SAVE10")

    response = admin.post(URL, {"code": code, "kind": "percent", "value": "10"}, format="json")

    assert_problem(response, 409, "discount_code_taken")
    assert Discount.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "percent", "value": "10"}, "code"),
        ({"code": "AB", "kind": "percent", "value": "10"}, "code"),
        ({"code": "BAD CODE", "kind": "percent", "value": "10"}, "code"),
        ({"code": "OK1", "value": "10"}, "kind"),
        ({"code": "OK1", "kind": "weird", "value": "10"}, "kind"),
        ({"code": "OK1", "kind": "percent"}, "value"),
        ({"code": "OK1", "kind": "percent", "value": "10.001"}, "value"),
        ({"code": "OK1", "kind": "percent", "value": "abc"}, "value"),
        ({"code": "OK1", "kind": "percent", "value": "Infinity"}, "value"),
        ({"code": "OK1", "kind": "percent", "value": "0"}, "value"),
        ({"code": "OK1", "kind": "percent", "value": "100.01"}, "value"),
        ({"code": "OK1", "kind": "fixed", "value": "-1.00", "currency": "USD"}, "value"),
        ({"code": "OK1", "kind": "fixed", "value": "1" * 20, "currency": "USD"}, "value"),
        ({"code": "OK1", "kind": "fixed", "value": "5.00"}, "currency"),
        ({"code": "OK1", "kind": "fixed", "value": "5.00", "currency": "XYZ"}, "currency"),
        ({"code": "OK1", "kind": "fixed", "value": "5.00", "currency": "usd"}, "currency"),
        ({"code": "OK1", "kind": "percent", "value": "5", "currency": "USD"}, "currency"),
        (
            {
                "code": "OK1",
                "kind": "percent",
                "value": "5",
                "starts_at": "2026-02-01T00:00:00Z",
                "ends_at": "2026-01-01T00:00:00Z",
            },
            "ends_at",
        ),
        ({"code": "OK1", "kind": "percent", "value": "5", "ends_at": "soon"}, "ends_at"),
        ({"code": "OK1", "kind": "percent", "value": "5", "max_redemptions": 0}, "max_redemptions"),
        (
            {"code": "OK1", "kind": "percent", "value": "5", "max_redemptions": "x"},
            "max_redemptions",
        ),
        (
            {"code": "OK1", "kind": "percent", "value": "5", "max_redemptions": 10**12},
            "max_redemptions",
        ),
        ({"code": "OK1", "kind": "percent", "value": "5", "is_active": "maybe"}, "is_active"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_stores_nothing(admin, body, field):
    response = admin.post(URL, body, format="json")

    problem = assert_problem(response, 400, "validation_error")
    assert field in problem["errors"], problem
    assert Discount.objects.count() == 0


def test_more_than_two_decimals_as_a_json_number_is_400(admin):
    response = admin.post(
        URL,
        data='{"code": "OK1", "kind": "percent", "value": 10.005}',
        content_type="application/json",
    )

    assert "value" in assert_problem(response, 400, "validation_error")["errors"]
    assert Discount.objects.count() == 0


def test_malformed_json_is_400(admin):
    response = admin.post(URL, data='{"code": "OK1",', content_type="application/json")

    assert_problem(response, 400, "malformed_request")
    assert Discount.objects.count() == 0


def test_nan_literal_in_json_is_400(admin):
    response = admin.post(
        URL,
        data='{"code": "OK1", "kind": "percent", "value": NaN}',
        content_type="application/json",
    )

    assert_problem(response, 400, "malformed_request")
    assert Discount.objects.count() == 0


def test_a_body_that_is_not_an_object_is_400(admin):
    response = admin.post(URL, data="[1, 2]", content_type="application/json")

    assert_problem(response, 400, "validation_error")
    assert Discount.objects.count() == 0


def test_unknown_fields_are_ignored(admin):
    response = admin.post(
        URL, {"code": "OK1", "kind": "percent", "value": "5", "colour": "red"}, format="json"
    )

    assert response.status_code == 201
    assert "colour" not in response.json()
