"""Truly parallel clients on PostgreSQL: each thread its own connection, started together."""

import functools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from payments.models import IdempotencyKey, Payment, Refund
from servicekit.testing import run_together
from tests.factories import InProgressKeyFactory, PaymentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 20
BODY = {"reference": "cart:race", "amount": "13.50", "currency": "USD"}


def in_parallel(request_for):
    """request_for(client, i) on THREADS threads released at once, each with its own
    authenticated client and connection; the responses in order."""

    def call(i: int):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {settings.PAYMENT_SERVICE_TOKEN}")
        return request_for(client, i)

    results = run_together([functools.partial(call, i) for i in range(THREADS)])
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def test_same_key_and_body_in_parallel_charges_exactly_once():
    responses = in_parallel(
        lambda client, i: client.post(
            "/api/payments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="race-key"
        )
    )

    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    created = [r for r in responses if r.status_code == 201]
    in_use = [r for r in responses if r.status_code == 409]
    assert len(created) + len(in_use) == THREADS, [r.status_code for r in responses]
    assert created, "at least the winner answers 201"
    assert {r.content for r in created} == {created[0].content}
    assert created[0].json()["id"] == str(payment.id)
    assert all(r.json()["code"] == "idempotency_key_in_use" for r in in_use)
    key = IdempotencyKey.objects.get()
    assert (key.state, key.payment_id) == ("completed", payment.id)


def test_distinct_keys_in_parallel_charge_once_each():
    responses = in_parallel(
        lambda client, i: client.post(
            "/api/payments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY=f"key-{i}"
        )
    )

    assert [r.status_code for r in responses] == [201] * THREADS
    assert len({r.json()["id"] for r in responses}) == THREADS
    assert Payment.objects.count() == THREADS
    assert IdempotencyKey.objects.filter(state="completed").count() == THREADS


def test_same_key_with_different_bodies_in_parallel_charges_once():
    responses = in_parallel(
        lambda client, i: client.post(
            "/api/payments/",
            {**BODY, "amount": f"{i + 1}.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="race-key",
        )
    )

    assert Payment.objects.count() == 1
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1
    assert set(statuses) <= {201, 409, 422}


def test_abandoned_claim_taken_over_in_parallel_charges_once():
    InProgressKeyFactory(
        key="race-key",
        body={**BODY, "amount": Decimal(BODY["amount"])},
        created_at=timezone.now() - timedelta(minutes=5),
    )

    responses = in_parallel(
        lambda client, i: client.post(
            "/api/payments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="race-key"
        )
    )

    assert Payment.objects.count() == 1
    created = [r for r in responses if r.status_code == 201]
    assert created
    assert {r.content for r in created} == {created[0].content}
    assert all(r.status_code in (201, 409) for r in responses)
    assert IdempotencyKey.objects.get().state == "completed"


def test_refunds_racing_for_the_last_of_a_payment_give_it_back_once():
    # 10.00 of 15.00 already given back: every thread asks for the last 5.00, each under
    # its own key. One refund is made; every other answer is the documented 422.
    payment = PaymentFactory(amount=Decimal("15.00"), amount_refunded=Decimal("10.00"))

    responses = in_parallel(
        lambda client, i: client.post(
            f"/api/payments/{payment.id}/refunds/",
            {"amount": "5.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"last-five-{i}",
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [422] * (THREADS - 1), statuses
    assert {r.json()["code"] for r in responses if r.status_code == 422} == {
        "refund_exceeds_remaining"
    }
    assert Payment.objects.get(pk=payment.pk).amount_refunded == Decimal("15.00")
    assert Refund.objects.filter(payment=payment).count() == 1


def test_one_refund_sent_by_every_thread_under_one_key_is_made_once():
    payment = PaymentFactory(amount=Decimal("15.00"))

    responses = in_parallel(
        lambda client, i: client.post(
            f"/api/payments/{payment.id}/refunds/",
            {"amount": "4.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="one-refund",
        )
    )

    assert {r.status_code for r in responses} <= {201, 409}
    created = [r for r in responses if r.status_code == 201]
    assert created
    assert {r.content for r in created} == {created[0].content}
    assert Refund.objects.filter(payment=payment).count() == 1
    assert Payment.objects.get(pk=payment.pk).amount_refunded == Decimal("4.00")
