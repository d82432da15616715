"""PATCH /api/products/{sku}/"""

from decimal import Decimal

import pytest

from servicekit.testing import assert_problem
from tests.factories import ProductFactory, snapshot

pytestmark = pytest.mark.django_db
URL = "/api/products/MUG-1/"


@pytest.fixture(autouse=True)
def mug():
    return ProductFactory(sku="MUG-1", name="Mug", prices={"USD": "7.50", "EUR": "6.90"})


def test_name_active_and_prices_change(admin, mug):
    response = admin.patch(
        "/api/products/mug-1/",
        {"name": "Big mug", "active": False, "prices": {"USD": "7.95", "GBP": "6.50"}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["name"], data["active"], data["prices"]) == (
        "Big mug",
        False,
        {"GBP": "6.50", "USD": "7.95"},
    )
    assert data["updated_at"] > data["created_at"]
    stored = snapshot()[0]
    assert (stored["name"], stored["active"]) == ("Big mug", False)
    assert stored["prices"] == {"GBP": Decimal("6.50"), "USD": Decimal("7.95")}


def test_prices_replace_the_whole_map(admin):
    response = admin.patch(URL, {"prices": {"EUR": "7.00"}}, format="json")

    assert response.json()["prices"] == {"EUR": "7.00"}
    assert snapshot()[0]["prices"] == {"EUR": Decimal("7.00")}


def test_an_empty_map_takes_it_off_sale_in_every_currency(admin):
    assert admin.patch(URL, {"prices": {}}, format="json").json()["prices"] == {}
    assert snapshot()[0]["prices"] == {}


def test_the_read_after_a_change_shows_it(admin, anon):
    admin.patch(URL, {"prices": {"USD": "8.00"}, "active": False}, format="json")

    data = anon.get(URL).json()

    assert (data["prices"], data["active"]) == ({"USD": "8.00"}, False)


@pytest.mark.parametrize(
    "body", [{}, {"name": "Mug"}, {"active": True}, {"prices": {"USD": "7.5", "EUR": 6.9}}]
)
def test_a_patch_that_changes_nothing_writes_nothing(admin, body):
    before = snapshot()

    response = admin.patch(URL, body, format="json")

    assert response.status_code == 200
    assert snapshot() == before  # updated_at too


@pytest.mark.parametrize(
    "body",
    [
        {"sku": "OTHER"},
        {"sku": "MUG-1"},  # even unchanged
        {"created_at": "2026-01-01T00:00:00Z"},
        {"updated_at": "2026-01-01T00:00:00Z"},
    ],
)
def test_other_fields_of_a_product_cannot_change(admin, body):
    before = snapshot()

    response = admin.patch(URL, {**body, "name": "x"}, format="json")

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == set(body)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"active": "no"}, "active"),
        ({"active": None}, "active"),
        ({"prices": None}, "prices"),
        ({"prices": [["USD", "7.50"]]}, "prices"),
        ({"prices": {"USD": "-0.01"}}, "prices.USD"),
        ({"prices": {"USD": "7.999"}}, "prices.USD"),
        ({"prices": {"USD": "99999999999.00"}}, "prices.USD"),
        ({"prices": {"USD": "NaN"}}, "prices.USD"),
        ({"prices": {"JPY": "100.00"}}, "prices.JPY"),
        ({"prices": {"USD": "8.00", "EUR": "x"}, "name": "New"}, "prices.EUR"),
    ],
)
def test_bad_values_are_400_and_change_nothing(admin, body, field):
    before = snapshot()

    response = admin.patch(URL, body, format="json")

    assert field in assert_problem(response, 400, "validation_error")["errors"]
    assert snapshot() == before


def test_patching_an_unknown_sku_is_404(admin):
    assert_problem(
        admin.patch("/api/products/NOPE/", {"active": False}, format="json"),
        404,
        "product_not_found",
    )
    assert_problem(
        admin.patch("/api/products/NOT%20A%20SKU/", {"active": False}, format="json"),
        404,
        "product_not_found",
    )


def test_a_deactivated_product_comes_back(admin):
    admin.patch(URL, {"active": False}, format="json")

    assert admin.patch(URL, {"active": True}, format="json").json()["active"] is True
