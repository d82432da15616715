"""POST /api/products/"""

from decimal import Decimal

import pytest

from products.models import Price, Product
from servicekit.testing import assert_problem
from tests.factories import ProductFactory, snapshot

pytestmark = pytest.mark.django_db
URL = "/api/products/"


def test_create_returns_the_normalised_product_with_its_prices(admin):
    body = {"sku": " mug-1 ", "name": "Mug", "prices": {"USD": "7.50", "EUR": 6.9}}

    response = admin.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data == {
        **data,
        "sku": "MUG-1",
        "name": "Mug",
        "active": True,
        "prices": {"EUR": "6.90", "USD": "7.50"},
    }
    assert data["created_at"] == data["updated_at"]
    assert data["created_at"].endswith("Z")
    assert snapshot()[0]["prices"] == {"EUR": Decimal("6.90"), "USD": Decimal("7.50")}


def test_a_product_may_be_created_inactive_and_unpriced(admin):
    response = admin.post(URL, {"sku": "TV-65", "name": "TV", "active": False}, format="json")

    assert response.status_code == 201
    assert (response.json()["active"], response.json()["prices"]) == (False, {})
    assert Price.objects.count() == 0


def test_a_price_of_zero_is_a_price(admin):
    response = admin.post(
        URL, {"sku": "FREE", "name": "Sticker", "prices": {"GBP": "0"}}, format="json"
    )

    assert response.json()["prices"] == {"GBP": "0.00"}


@pytest.mark.parametrize("sku", ["MUG-1", "mug-1", "  Mug-1 "])
def test_a_taken_sku_is_409_whatever_its_case(admin, sku):
    ProductFactory(sku="MUG-1")
    before = snapshot()

    response = admin.post(URL, {"sku": sku, "name": "Other"}, format="json")

    assert_problem(response, 409, "product_sku_taken")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Mug"}, "sku"),
        ({"sku": "", "name": "Mug"}, "sku"),
        ({"sku": "MUG 1", "name": "Mug"}, "sku"),
        ({"sku": "A" * 200, "name": "Mug"}, "sku"),
        ({"sku": "MUG.1", "name": "Mug"}, "sku"),
        ({"sku": "\u017fku-1", "name": "Mug"}, "sku"),
        ({"sku": "MUG-1"}, "name"),
        ({"sku": "MUG-1", "name": "   "}, "name"),
        ({"sku": "MUG-1", "name": "x" * 201}, "name"),
        ({"sku": "MUG-1", "name": "Mug", "active": "yes"}, "active"),
        ({"sku": "MUG-1", "name": "Mug", "prices": {"USD": "-7.50"}}, "prices.USD"),
        ({"sku": "MUG-1", "name": "Mug", "prices": {"USD": "7.505"}}, "prices.USD"),
        ({"sku": "MUG-1", "name": "Mug", "prices": {"USD": "1" * 20}}, "prices.USD"),
        ({"sku": "MUG-1", "name": "Mug", "prices": {"USD": 10**20}}, "prices.USD"),
        ({"sku": "MUG-1", "name": "Mug", "prices": {"USD": "NaN"}}, "prices.USD"),
        ({"sku": "MUG-1", "name": "Mug", "prices": {"USD": "Infinity"}}, "prices.USD"),
        ({"sku": "MUG-1", "name": "Mug", "prices": {"USD": None}}, "prices.USD"),
        ({"sku": "MUG-1", "name": "Mug", "prices": {"USD": True}}, "prices.USD"),
        ({"sku": "MUG-1", "name": "Mug", "prices": {"XYZ": "1.00"}}, "prices.XYZ"),
        ({"sku": "MUG-1", "name": "Mug", "prices": {"usd": "1.00"}}, "prices.usd"),
        ({"sku": "MUG-1", "name": "Mug", "prices": ["USD", "7.50"]}, "prices"),
        ({"sku": "MUG-1", "name": "Mug", "prices": "7.50"}, "prices"),
        ({"sku": "MUG-1", "name": "Mug", "prices": None}, "prices"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_stores_nothing(admin, body, field):
    ProductFactory(sku="KEEP")
    before = snapshot()

    response = admin.post(URL, body, format="json")

    problem = assert_problem(response, 400, "validation_error")
    assert field in problem["errors"], problem
    assert snapshot() == before


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('{"sku": "MUG-1", "name": "Mug", "prices": {"USD": 7.505}}', "validation_error"),
        ('{"sku": "MUG-1", "name": "Mug", "prices": {"USD": 1e400}}', "validation_error"),
        ('{"sku": "MUG-1", "name": "Mug", "prices": {"USD": NaN}}', "malformed_request"),
        ('{"sku": "MUG-1", "name": "Mug", "prices": {"USD": -Infinity}}', "malformed_request"),
        ('{"sku": "MUG-1",', "malformed_request"),
        ("[1, 2]", "validation_error"),
    ],
)
def test_json_the_serializers_never_see_as_written_is_refused_too(admin, text, code):
    response = admin.post(URL, data=text, content_type="application/json")

    assert_problem(response, 400, code)
    assert Product.objects.count() == 0


def test_a_json_number_with_two_decimals_is_a_price(admin):
    response = admin.post(
        URL,
        data='{"sku": "MUG-1", "name": "Mug", "prices": {"USD": 7.50}}',
        content_type="application/json",
    )

    assert response.json()["prices"] == {"USD": "7.50"}


def test_unknown_fields_are_ignored(admin):
    response = admin.post(URL, {"sku": "MUG-1", "name": "Mug", "colour": "red"}, format="json")

    assert response.status_code == 201
    assert "colour" not in response.json()
