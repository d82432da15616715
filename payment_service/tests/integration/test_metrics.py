"""What payment_service counts: payments by status, idempotent replays, key conflicts."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from servicekit.observability.metrics import sample_value
from tests.factories import InProgressKeyFactory

pytestmark = pytest.mark.django_db
URL = "/api/payments/"
BODY = {"reference": "cart:5d1c", "amount": "13.50", "currency": "USD"}


def post(client, body=BODY, key="key-1"):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def payments(status):
    return sample_value("payments_total", {"status": status})


def conflicts(code):
    return sample_value("payment_idempotency_conflicts_total", {"code": code})


def test_payments_are_counted_by_status_and_replays_apart(service):
    succeeded, declined = payments("succeeded"), payments("declined")
    replays = sample_value("payment_idempotent_replays_total")

    post(service, key="a")
    post(service, key="a")  # the replay: no second payment
    post(service, {**BODY, "amount": "25.00"}, key="b")

    assert (payments("succeeded"), payments("declined")) == (succeeded + 1, declined + 1)
    assert sample_value("payment_idempotent_replays_total") == replays + 1


def test_key_conflicts_are_counted_by_code(service):
    in_use, reused = conflicts("idempotency_key_in_use"), conflicts("idempotency_key_reused")
    InProgressKeyFactory(key="k", body={**BODY, "amount": Decimal("13.50")})
    post(service, key="done")

    assert post(service, key="k").status_code == 409
    assert post(service, {**BODY, "amount": "1.00"}, key="done").status_code == 422

    assert conflicts("idempotency_key_in_use") == in_use + 1
    assert conflicts("idempotency_key_reused") == reused + 1


def test_the_scrape_shows_the_payment_counts(service):
    post(service, key="c")

    scraper = APIClient()  # api's own credentials would replace the metrics token
    text = scraper.get("/metrics", HTTP_AUTHORIZATION="Bearer dev-metrics-token").content.decode()

    assert 'payments_total{status="succeeded"}' in text
    assert 'route="/api/payments/"' in text
