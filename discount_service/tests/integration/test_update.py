"""PATCH /api/discounts/{code}/"""

from datetime import timedelta

import pytest
from django.utils import timezone

from discounts.models import Discount
from servicekit.testing import assert_problem
from tests.factories import DiscountFactory, RedemptionFactory

pytestmark = pytest.mark.django_db


def snapshot(code="SAVE10") -> dict:
    return Discount.objects.filter(code=code).values().get()


def test_the_updatable_fields_change(admin):
    DiscountFactory(code="SAVE10")

    response = admin.patch(
        "/api/discounts/save10/",
        {
            "description": "new",
            "ends_at": "2099-01-01T00:00:00Z",
            "max_redemptions": 3,
            "is_active": False,
        },
        format="json",
    )

    assert response.status_code == 200
    data = response.json()
    assert (data["description"], data["ends_at"], data["max_redemptions"], data["is_active"]) == (
        "new",
        "2099-01-01T00:00:00Z",
        3,
        False,
    )
    assert data["status"] == "inactive"
    discount = Discount.objects.get()
    assert (discount.description, discount.max_redemptions, discount.is_active) == ("new", 3, False)


def test_null_makes_it_unlimited_and_open_ended(admin):
    DiscountFactory(code="SAVE10", max_redemptions=5)

    response = admin.patch(
        "/api/discounts/SAVE10/", {"max_redemptions": None, "ends_at": None}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["max_redemptions"], response.json()["ends_at"]) == (None, None)


def test_an_empty_patch_changes_nothing(admin):
    DiscountFactory(code="SAVE10")
    before = snapshot()

    response = admin.patch("/api/discounts/SAVE10/", {}, format="json")

    assert response.status_code == 200
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"code": "OTHER"},
        {"kind": "fixed"},
        {"value": "20.00"},
        {"currency": "USD"},
        {"starts_at": "2026-01-01T00:00:00Z"},
        {"times_redeemed": 0},
        {"status": "active"},
        {"created_at": "2026-01-01T00:00:00Z"},
        {"minimum_subtotal": "10.00"},
        {"minimum_items": 2},
        {"skus": ["MUG-1"]},
        {"skus": None},
        {"single_use_codes": True},
        {"codes_issued": 3},
        {"minimum_subtotal": None, "minimum_items": None},
    ],
)
def test_other_fields_cannot_change(admin, body):
    DiscountFactory(code="SAVE10")
    before = snapshot()

    response = admin.patch("/api/discounts/SAVE10/", {**body, "description": "x"}, format="json")

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == set(body)
    assert snapshot() == before


def test_max_redemptions_below_times_redeemed_is_400(admin):
    discount = DiscountFactory(code="SAVE10", max_redemptions=5)
    RedemptionFactory.create_batch(3, discount=discount)
    before = snapshot()

    response = admin.patch("/api/discounts/SAVE10/", {"max_redemptions": 2}, format="json")

    assert "max_redemptions" in assert_problem(response, 400, "validation_error")["errors"]
    assert snapshot() == before
    assert (
        admin.patch("/api/discounts/SAVE10/", {"max_redemptions": 3}, format="json").json()[
            "status"
        ]
        == "exhausted"
    )


def test_ends_at_must_stay_after_starts_at(admin):
    discount = DiscountFactory(code="SAVE10")
    before = snapshot()

    response = admin.patch(
        "/api/discounts/SAVE10/",
        {"ends_at": (discount.starts_at - timedelta(seconds=1)).isoformat(), "description": "x"},
        format="json",
    )

    assert "ends_at" in assert_problem(response, 400, "validation_error")["errors"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"is_active": "no"},
        {"max_redemptions": 0},
        {"max_redemptions": 1.5},
        {"description": 5},
        {"ends_at": "never"},
    ],
)
def test_bad_values_are_400_and_change_nothing(admin, body):
    DiscountFactory(code="SAVE10")
    before = snapshot()

    response = admin.patch("/api/discounts/SAVE10/", body, format="json")

    assert set(assert_problem(response, 400, "validation_error")["errors"]) == set(body)
    assert snapshot() == before


def test_patching_an_unknown_code_is_404(admin):
    assert_problem(
        admin.patch("/api/discounts/NOPE/", {"is_active": False}, format="json"),
        404,
        "discount_not_found",
    )


def test_reactivating_an_expired_discount_by_extending_it(admin):
    DiscountFactory(
        code="SAVE10",
        starts_at=timezone.now() - timedelta(days=10),
        ends_at=timezone.now() - timedelta(days=1),
    )

    response = admin.patch(
        "/api/discounts/SAVE10/",
        {"ends_at": (timezone.now() + timedelta(days=1)).isoformat()},
        format="json",
    )

    assert response.json()["status"] == "active"
