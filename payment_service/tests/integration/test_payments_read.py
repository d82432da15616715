"""GET /api/payments/{id}/ and GET /api/payments/?reference=…"""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from servicekit.testing import assert_problem
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def test_get_payment_answers_what_the_post_answered(service):
    created = service.post(
        "/api/payments/",
        {"reference": "cart:9", "amount": "20.00", "currency": "GBP"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    response = service.get(f"/api/payments/{created.json()['id']}/")

    assert response.status_code == 200
    assert response.json() == created.json()
    assert response.json()["decline_code"] == "insufficient_funds"


@pytest.mark.parametrize("payment_id", [str(uuid.uuid4()), "not-a-uuid", "123", "%20"])
def test_unknown_or_malformed_id_is_payment_not_found(service, payment_id):
    PaymentFactory()

    assert_problem(service.get(f"/api/payments/{payment_id}/"), 404, "payment_not_found")


def test_get_payment_needs_the_service_token(anon):
    payment = PaymentFactory()

    assert_problem(anon.get(f"/api/payments/{payment.id}/"), 401, "not_authenticated")
    anon.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert_problem(anon.get(f"/api/payments/{payment.id}/"), 401, "not_authenticated")


def test_list_by_reference_shows_only_its_payments_newest_first(service):
    now = timezone.now()
    older = PaymentFactory(reference="cart:a", created_at=now - timedelta(minutes=2))
    newer = PaymentFactory(
        reference="cart:a",
        created_at=now - timedelta(minutes=1),
        amount="30.00",
        status="declined",
        decline_code="insufficient_funds",
    )
    PaymentFactory(reference="cart:b")

    response = service.get("/api/payments/", {"reference": "cart:a"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [p["id"] for p in body["results"]] == [str(newer.id), str(older.id)]
    assert body["results"][0]["amount"] == "30.00"


def test_list_by_unknown_reference_is_an_empty_page(service):
    PaymentFactory(reference="cart:a")

    body = service.get("/api/payments/", {"reference": "cart:zzz"}).json()

    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_list_without_reference_lists_every_payment(service):
    PaymentFactory.create_batch(3)

    assert service.get("/api/payments/").json()["count"] == 3


def test_list_is_paginated(service):
    now = timezone.now()
    payments = [
        PaymentFactory(reference="r", created_at=now - timedelta(seconds=i)) for i in range(5)
    ]

    first = service.get("/api/payments/", {"reference": "r", "page_size": 2}).json()
    last = service.get("/api/payments/", {"reference": "r", "page_size": 2, "page": 3}).json()

    assert first["count"] == 5
    assert [p["id"] for p in first["results"]] == [str(p.id) for p in payments[:2]]
    assert first["previous"] is None
    assert "page=2" in first["next"]
    assert [p["id"] for p in last["results"]] == [str(payments[4].id)]
    assert last["next"] is None


def test_page_size_is_capped_at_100_and_defaults_to_20(service):
    PaymentFactory.create_batch(105, reference="r")

    assert len(service.get("/api/payments/", {"page_size": 500}).json()["results"]) == 100
    assert len(service.get("/api/payments/").json()["results"]) == 20


def test_empty_reference_is_a_validation_error(service):
    body = assert_problem(service.get("/api/payments/?reference="), 400, "validation_error")

    assert "reference" in body["errors"]


def test_page_past_the_end_is_not_found(service):
    PaymentFactory()

    assert_problem(service.get("/api/payments/", {"page": 9}), 404, "not_found")


def test_list_needs_the_service_token(anon):
    assert_problem(anon.get("/api/payments/"), 401, "not_authenticated")
