"""What an operator sees at /metrics after checkouts: outcomes, provider calls, the backlog."""

from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from servicekit.observability.metrics import sample_value
from tests.factories import CartFactory, CartItemFactory

pytestmark = pytest.mark.django_db

PAYMENTS = "http://127.0.0.1:8003/api/payments/"
METRICS_TOKEN = {"HTTP_AUTHORIZATION": "Bearer dev-metrics-token"}
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def payment(cart, status="succeeded"):
    return {
        "id": "p-1",
        "reference": f"cart:{cart.id}",
        "amount": "15.00",
        "currency": "USD",
        "status": status,
        "decline_code": None if status == "succeeded" else "insufficient_funds",
        "created_at": "2026-11-21T10:00:00Z",
    }


def checkouts(outcome):
    return sample_value("cart_checkouts_total", {"outcome": outcome})


def calls(outcome):
    labels = {"provider": "payment_service", "method": "POST", "outcome": outcome}
    return sample_value("downstream_requests_total", labels)


def test_a_paid_checkout_is_counted_with_its_payment_call(anon, cart, mocked):
    mocked.post(PAYMENTS, status=201, json=payment(cart))
    paid, ok = checkouts("paid"), calls("ok")

    assert anon.post(f"/api/carts/{cart.id}/checkout/").status_code == 200

    assert checkouts("paid") == paid + 1
    assert calls("ok") == ok + 1


def test_a_declined_payment_is_a_failed_checkout(anon, cart, mocked):
    mocked.post(PAYMENTS, status=201, json=payment(cart, "declined"))
    failed, paid = checkouts("failed"), checkouts("paid")

    anon.post(f"/api/carts/{cart.id}/checkout/")

    assert (checkouts("failed"), checkouts("paid")) == (failed + 1, paid)


def test_a_payment_service_answering_5xx_is_retried_then_unavailable(anon, cart, mocked):
    mocked.post(PAYMENTS, status=503, json={})
    unavailable, errors = checkouts("unavailable"), calls("5xx")
    retries = sample_value("downstream_retries_total", {"provider": "payment_service"})

    assert anon.post(f"/api/carts/{cart.id}/checkout/").status_code == 503

    assert checkouts("unavailable") == unavailable + 1
    assert calls("5xx") == errors + 3  # the first try and DOWNSTREAM_RETRIES=2 more
    assert sample_value("downstream_retries_total", {"provider": "payment_service"}) == retries + 2


def test_a_refused_connection_is_its_own_outcome(anon, cart, mocked):
    mocked.post(PAYMENTS, body=requests.ConnectionError("refused"))
    refused = calls("refused")

    anon.post(f"/api/carts/{cart.id}/checkout/")

    assert calls("refused") == refused + 3


def test_an_empty_cart_is_a_rejected_checkout(anon, mocked):
    rejected = checkouts("rejected")

    assert anon.post(f"/api/carts/{CartFactory().id}/checkout/").status_code == 422

    assert checkouts("rejected") == rejected + 1


def test_the_traceparent_goes_on_to_the_providers(anon, cart, mocked):
    mocked.post(PAYMENTS, status=201, json=payment(cart))

    anon.post(f"/api/carts/{cart.id}/checkout/", HTTP_TRACEPARENT=TRACEPARENT)

    assert mocked.calls[0].request.headers["traceparent"] == TRACEPARENT


def test_metrics_shows_the_reconciler_backlog_and_route_templates(anon, cart, mocked):
    mocked.post(PAYMENTS, status=201, json=payment(cart))
    anon.post(f"/api/carts/{cart.id}/checkout/")
    stuck = CartFactory(attempt_unresolved=True, checkout_attempt=1, payment_status="pending")
    CartItemFactory(cart=stuck, unit_price=Decimal("1.00"), quantity=1)
    type(stuck).objects.filter(pk=stuck.pk).update(
        attempt_started_at=timezone.now() - timedelta(hours=1)
    )

    response = anon.get("/metrics", **METRICS_TOKEN)

    text = response.content.decode()
    assert response.status_code == 200
    assert 'cart_reconciler_backlog{kind="unresolved_attempts"} 1.0' in text
    assert 'cart_reconciler_backlog{kind="held_for_operator"} 0.0' in text
    assert 'route="/api/carts/{cart_id}/checkout/"' in text
    assert str(cart.id) not in text


def test_metrics_is_not_public(anon):
    response = anon.get("/metrics")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
