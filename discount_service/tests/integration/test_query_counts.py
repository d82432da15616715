"""SQL statements per request on the endpoints cart_service calls in every checkout, pinned."""

import uuid

import pytest
from django.db import connection

from servicekit.testing import statements
from tests.factories import DiscountFactory, IssuedCodeFactory

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


@pytest.fixture
def issued():
    return IssuedCodeFactory(code="NEWS-7K3MQ9ZD2XWA").code


def test_reading_an_issued_code(service, issued, django_assert_num_queries):
    # no discount has the code; the issued code with its promotion and its use, joined
    with django_assert_num_queries(statements(2)):
        assert service.get(f"/api/discounts/{issued}/").status_code == 200


def test_checking_a_cart(service, code, django_assert_num_queries):
    cart = {"currency": "USD", "items": [{"sku": "MUG-1", "quantity": 1, "unit_price": "5.00"}]}

    with django_assert_num_queries(statements(1)):
        response = service.post(
            f"/api/discounts/{code}/eligibility/", {"cart": cart}, format="json"
        )
    assert response.status_code == 200


def test_redeeming_through_an_issued_code(service, issued, django_assert_num_queries):
    # no discount has the code, the issued code, lock its promotion, the cart's use of the
    # promotion, the code's holder, INSERT the use, count it
    with django_assert_num_queries(statements(7, transactions=1)):
        response = service.post(
            f"/api/discounts/{issued}/redemptions/", {"cart_id": str(uuid.uuid4())}, format="json"
        )
    assert response.status_code == 201


@pytest.mark.parametrize("count", [1, 10_000])
def test_a_batch_of_codes_takes_statements_per_thousand_not_per_code(
    admin, count, django_assert_num_queries
):
    DiscountFactory(code="NEWSLETTER", single_use_codes=True)
    per_statement = connection.features.max_query_params  # None: no limit (PostgreSQL)
    checks = 1 if per_statement is None else -(-count // per_statement)
    # IssuedCode's INSERT sends 3 values a row
    inserts = 1 if per_statement is None else -(-count // (per_statement // 3))

    # lock the promotion, look for each chunk of codes among discounts' and issued codes,
    # INSERT them in batches, count them
    with django_assert_num_queries(statements(1 + 2 * checks + inserts + 1, transactions=1)):
        response = admin.post("/api/discounts/NEWSLETTER/codes/", {"count": count}, format="json")
    assert response.status_code == 201
