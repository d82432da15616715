"""SQL statements per request of POST /api/payments/, the call in every checkout, pinned."""

import pytest

from servicekit.testing import statements

pytestmark = pytest.mark.django_db

BODY = {"reference": "cart:1", "amount": "13.50", "currency": "USD"}


def test_a_new_payment_claims_the_key_then_charges(service, django_assert_num_queries):
    # claim: INSERT the key (committed); charge: INSERT the payment, complete the key
    with django_assert_num_queries(statements(3, transactions=2)):
        response = service.post("/api/payments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-new")
    assert response.status_code == 201


def test_a_replay_reads_the_stored_answer(service, django_assert_num_queries):
    service.post("/api/payments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-replay")

    # the claim's INSERT is refused by the unique key (rolled back), then one read
    with django_assert_num_queries(statements(2, transactions=1) + 1):  # + ROLLBACK TO
        response = service.post(
            "/api/payments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-replay"
        )
    assert response.status_code == 201
    assert response["Idempotent-Replayed"] == "true"
