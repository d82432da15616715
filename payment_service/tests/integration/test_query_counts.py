"""SQL statements per request of POST /api/payments/, the call in every checkout, pinned."""

import re

import pytest

from servicekit.testing import statements

pytestmark = pytest.mark.django_db

BODY = {"reference": "cart:1", "amount": "13.50", "currency": "USD"}


def test_a_new_payment_claims_the_key_then_charges(service, django_assert_num_queries):
    # claim: INSERT the key; charge: INSERT the payment, complete the key. Inside the test's
    # transaction the claim runs under a savepoint too; without one, in autocommit (below).
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


def _statements_of(service, body, key):
    """Each statement of one POST, with whether it ran inside a transaction."""
    from django.db import connection

    seen = []

    def record(execute, sql, params, many, context):
        verb = sql.split()[0].upper()
        if verb != "BEGIN":  # SQLite's BEGIN IMMEDIATE; psycopg sends PostgreSQL's itself
            table = re.search(r'(?:INTO|UPDATE|FROM)\s+"?(\w+)', sql)
            seen.append((verb, table and table.group(1), connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = service.post("/api/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    return response, seen


@pytest.mark.django_db(transaction=True)
def test_the_claim_is_one_statement_committed_at_once_and_the_charge_one_transaction(service):
    # No test transaction around the request, as in production: the claim's INSERT runs
    # in autocommit (no BEGIN/COMMIT round trips), the charge's two writes in one atomic.
    response, seen = _statements_of(service, BODY, "k-autocommit")

    assert response.status_code == 201
    assert seen == [
        ("INSERT", "payments_idempotencykey", False),
        ("INSERT", "payments_payment", True),
        ("UPDATE", "payments_idempotencykey", True),
    ]
    # A repeat: the claim is refused by the unique key, and the connection, in no
    # transaction, reads the stored answer.
    response, seen = _statements_of(service, BODY, "k-autocommit")

    assert response["Idempotent-Replayed"] == "true"
    assert [atomic for *_, atomic in seen] == [False, False]


def test_a_refund_claims_the_key_then_refunds_under_the_payments_lock(
    service, django_assert_num_queries
):
    from tests.factories import PaymentFactory

    payment = PaymentFactory()
    # claim: INSERT the key; refund, in one transaction: lock the payment, INSERT the refund,
    # UPDATE what the payment has given back, complete the key. Inside the test's
    # transaction the claim runs under a savepoint too.
    with django_assert_num_queries(statements(5, transactions=2)):
        response = service.post(
            f"/api/payments/{payment.id}/refunds/",
            {"amount": "1.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="r-new",
        )
    assert response.status_code == 201
