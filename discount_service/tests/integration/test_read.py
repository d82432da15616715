"""GET /api/discounts/ and GET /api/discounts/{code}/"""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from rest_framework import serializers

from discounts import selectors
from discounts.serializers import DiscountOut
from servicekit.testing import assert_problem
from tests.factories import DiscountFactory, IssuedCodeFactory

pytestmark = pytest.mark.django_db
URL = "/api/discounts/"


@pytest.mark.parametrize("code", ["SAVE10", "save10", "SaVe10", "%20save10%20"])
def test_a_discount_is_found_by_code_in_any_case(service, code):
    DiscountFactory(code="SAVE10")

    response = service.get(f"{URL}{code}/")

    assert response.status_code == 200
    assert response.json()["code"] == "SAVE10"


def test_admin_may_read_a_discount_too(admin):
    DiscountFactory(code="SAVE10")

    assert admin.get(f"{URL}SAVE10/").status_code == 200


@pytest.mark.parametrize("code", ["NOPE", "x", "has.dots", "A" * 40])
def test_an_unknown_code_is_404_discount_not_found(service, code):
    DiscountFactory(code="SAVE10")

    assert_problem(service.get(f"{URL}{code}/"), 404, "discount_not_found")


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({}, "active"),
        ({"starts_at": timezone.now() + timedelta(days=1)}, "scheduled"),
        (
            {
                "ends_at": timezone.now() - timedelta(seconds=1),
                "starts_at": timezone.now() - timedelta(days=2),
            },
            "expired",
        ),
        ({"is_active": False}, "inactive"),
        ({"max_redemptions": 2, "times_redeemed": 2}, "exhausted"),
    ],
)
def test_the_status_is_computed(service, overrides, status):
    DiscountFactory(code="STATUS", **overrides)

    assert service.get(f"{URL}STATUS/").json()["status"] == status


def test_the_list_is_paginated_newest_first(admin):
    for n in range(25):
        DiscountFactory(code=f"CODE{n:02d}", created_at=timezone.now() + timedelta(seconds=n))

    first = admin.get(URL).json()
    second = admin.get(URL, {"page": 2}).json()

    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert first["results"][0]["code"] == "CODE24"
    assert first["previous"] is None
    assert first["next"].endswith("page=2")
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert {d["code"] for d in first["results"] + second["results"]} == {
        f"CODE{n:02d}" for n in range(25)
    }


def test_page_size_is_honoured_and_capped_at_100(admin):
    DiscountFactory.create_batch(105)

    assert len(admin.get(URL, {"page_size": 7}).json()["results"]) == 7
    assert len(admin.get(URL, {"page_size": 500}).json()["results"]) == 100


def test_a_page_past_the_end_is_404(admin):
    DiscountFactory()

    assert_problem(admin.get(URL, {"page": 9}), 404, "not_found")


@pytest.mark.parametrize(("value", "expected"), [("true", {"ON1", "ON2"}), ("false", {"OFF"})])
def test_filter_by_is_active(admin, value, expected):
    DiscountFactory(code="ON1")
    DiscountFactory(code="ON2")
    DiscountFactory(code="OFF", is_active=False)

    results = admin.get(URL, {"is_active": value}).json()["results"]

    assert {d["code"] for d in results} == expected


@pytest.mark.parametrize("search", ["sum", "SUM", " Sum"])
def test_search_is_a_case_insensitive_code_prefix(admin, search):
    DiscountFactory(code="SUMMER10")
    DiscountFactory(code="SUMMER20")
    DiscountFactory(code="XSUMMER")

    results = admin.get(URL, {"search": search}).json()["results"]

    assert {d["code"] for d in results} == {"SUMMER10", "SUMMER20"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"is_active": "yes"}, "is_active"),
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page_size": "-1"}, "page_size"),
        ({"search": "A" * 101}, "search"),
    ],
)
def test_invalid_query_params_are_400(admin, params, field):
    response = admin.get(URL, params)

    assert field in assert_problem(response, 400, "validation_error")["errors"]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"fixed": True, "max_redemptions": 3, "times_redeemed": 2},
        {"ends_at": None, "description": "", "is_active": False},
        {"starts_at": timezone.now() + timedelta(days=2)},
        {
            "currency": "EUR",
            "minimum_subtotal": Decimal("50.00"),
            "minimum_items": 3,
            "skus": ["MUG-1", "MUG-2"],
            "single_use_codes": True,
            "codes_issued": 0,
        },
    ],
    ids=["percent", "fixed-limited", "open-ended-inactive", "scheduled", "rules"],
)
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_the_body_built_once_is_what_drfs_fields_give(overrides, zone):
    """DiscountOut renders with its fields built once (the hot read); DRF's rendering of
    the same fields is the truth."""
    discount = DiscountFactory(**overrides)
    discount.refresh_from_db()
    serializer = DiscountOut(discount)

    with timezone.override(zone):  # DRF writes datetimes in the current time zone
        by_fields = serializers.Serializer.to_representation(serializer, discount)
        assert serializer.data["created_at"] == by_fields["created_at"]

    assert json.loads(json.dumps(serializer.data, cls=DjangoJSONEncoder)) == json.loads(
        json.dumps(by_fields, cls=DjangoJSONEncoder)
    )
    assert list(serializer.data) == list(by_fields)  # same keys, same order


def test_the_body_of_an_issued_code_built_once_is_what_drfs_fields_give(service):
    issued = IssuedCodeFactory(discount=DiscountFactory(promotion=True, minimum_items=2))
    discount = selectors.code_get(code=issued.code)
    serializer = DiscountOut(discount)

    assert serializer.data == serializers.Serializer.to_representation(serializer, discount)
    assert serializer.data["code"] == issued.code
