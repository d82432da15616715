"""SQL statements per request, pinned: a read is the same few queries however many products."""

import pytest

from servicekit.testing import statements
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def products():
    for n in range(30):
        ProductFactory(sku=f"P{n:02d}")


def test_reading_one_product(anon, django_assert_num_queries):
    # the product, its prices
    with django_assert_num_queries(statements(2)):
        assert anon.get("/api/products/P01/").status_code == 200


def test_a_page_of_the_list(anon, django_assert_num_queries):
    # the count, the page of products, their prices
    with django_assert_num_queries(statements(3)):
        assert len(anon.get("/api/products/").json()["results"]) == 20


def test_a_batch_read(anon, django_assert_num_queries):
    # the products, their prices
    with django_assert_num_queries(statements(2)):
        response = anon.get("/api/products/", {"sku": [f"P{n:02d}" for n in range(25)]})
    assert response.json()["count"] == 25


def test_creating(admin, django_assert_num_queries):
    # is the sku taken, INSERT the product, INSERT its prices
    with django_assert_num_queries(statements(3, transactions=1)):
        response = admin.post(
            "/api/products/",
            {"sku": "NEW", "name": "New", "prices": {"USD": "1.00"}},
            format="json",
        )
    assert response.status_code == 201


def test_repricing(admin, django_assert_num_queries):
    # lock the product, read its prices, DELETE the changed and removed ones, INSERT the
    # changed and added ones, UPDATE updated_at
    with django_assert_num_queries(statements(5, transactions=1)):
        response = admin.patch(
            "/api/products/P01/", {"prices": {"USD": "9.00", "GBP": "5.00"}}, format="json"
        )
    assert response.status_code == 200


def test_deactivating(admin, django_assert_num_queries):
    # lock the product, read its prices, UPDATE active and updated_at
    with django_assert_num_queries(statements(3, transactions=1)):
        response = admin.patch("/api/products/P01/", {"active": False}, format="json")
    assert response.status_code == 200
