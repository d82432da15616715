"""SQL statements per request on the endpoints cart_service calls in every checkout, pinned."""

import uuid

import pytest

from servicekit.testing import statements
from tests.factories import DiscountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def code():
    return DiscountFactory(code="SAVE10").code


def test_the_hot_read_is_one_query(service, code, django_assert_num_queries):
    with django_assert_num_queries(statements(1)):
        assert service.get(f"/api/discounts/{code}/").status_code == 200


def test_redeeming(service, code, django_assert_num_queries):
    # lock the discount, look for the cart's redemption, INSERT it, count it
    with django_assert_num_queries(statements(4, transactions=1)):
        response = service.post(
            f"/api/discounts/{code}/redemptions/", {"cart_id": str(uuid.uuid4())}, format="json"
        )
    assert response.status_code == 201


def test_releasing(service, code, django_assert_num_queries):
    cart_id = str(uuid.uuid4())
    service.post(f"/api/discounts/{code}/redemptions/", {"cart_id": cart_id}, format="json")

    # lock the discount, DELETE the redemption, count it back
    with django_assert_num_queries(statements(3, transactions=1)):
        response = service.delete(f"/api/discounts/{code}/redemptions/{cart_id}/")
    assert response.status_code == 204
