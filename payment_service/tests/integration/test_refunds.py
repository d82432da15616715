"""POST/GET /api/payments/{id}/refunds/: money given back, once, never beyond what is left."""

import uuid
from decimal import Decimal

import pytest

from payments.models import IdempotencyKey, Payment, Refund
from servicekit.testing import assert_problem
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def refund(client, payment, body=None, key="refund-1", **headers):
    return client.post(
        f"/api/payments/{payment.id}/refunds/",
        body if body is not None else {},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
        **headers,
    )


def refunded(payment) -> Decimal:
    return Payment.objects.get(pk=payment.pk).amount_refunded


def test_a_refund_without_an_amount_gives_back_all_that_is_left(service):
    payment = PaymentFactory(amount=Decimal("13.50"))

    response = refund(service, payment, {"reason": "order cancelled"})

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "payment_id": str(payment.id),
        "amount": "13.50",
        "currency": "USD",
        "reason": "order cancelled",
        "status": "succeeded",
        "failure_code": None,
        "created_at": body["created_at"],
    }
    shown = service.get(f"/api/payments/{payment.id}/").json()
    assert (shown["amount_refunded"], shown["refund_status"]) == ("13.50", "full")


def test_refunds_in_part_add_up_to_the_amount_and_no_further(service):
    payment = PaymentFactory(amount=Decimal("13.50"))

    first = refund(service, payment, {"amount": "5.00"}, key="r1")
    shown = service.get(f"/api/payments/{payment.id}/").json()
    rest = refund(service, payment, {}, key="r2")
    more = refund(service, payment, {"amount": "0.01"}, key="r3")

    assert (first.status_code, shown["refund_status"], shown["amount_refunded"]) == (
        201,
        "partial",
        "5.00",
    )
    assert rest.json()["amount"] == "8.50"
    assert_problem(more, 422, "refund_exceeds_remaining")
    assert refunded(payment) == Decimal("13.50")
    assert Refund.objects.count() == 2


def test_more_than_what_is_left_is_refused_and_changes_nothing(service):
    payment = PaymentFactory(amount=Decimal("10.00"))
    refund(service, payment, {"amount": "6.00"}, key="r1")

    response = refund(service, payment, {"amount": "4.01"}, key="r2")

    assert_problem(response, 422, "refund_exceeds_remaining")
    assert "4.00" in response.json()["detail"]  # what is left, so the caller can act
    assert refunded(payment) == Decimal("6.00")
    # A refusal leaves the key free: the same key may carry a request that can be honoured.
    assert refund(service, payment, {"amount": "4.00"}, key="r2").status_code == 201


def test_a_declined_payment_is_not_refundable(service):
    payment = PaymentFactory(
        amount=Decimal("25.00"), status="declined", decline_code="insufficient_funds"
    )

    assert_problem(refund(service, payment), 422, "payment_not_refundable")
    assert Refund.objects.count() == 0


def test_a_refund_in_another_currency_is_refused(service):
    payment = PaymentFactory(currency="USD")

    assert_problem(refund(service, payment, {"currency": "EUR"}), 422, "refund_currency_mismatch")
    assert refund(service, payment, {"currency": "USD"}).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "0.00"},
        {"amount": "-1.00"},
        {"amount": "1.001"},
        {"amount": "NaN"},
        {"amount": 1.005},
        {"amount": "1" + "0" * 20},
        {"currency": "XXX"},
        {"reason": "x" * 501},
        {"reason": 5},
    ],
)
def test_bad_input_is_400_and_refunds_nothing(service, body):
    payment = PaymentFactory()

    assert_problem(refund(service, payment, body), 400, "validation_error")
    assert refunded(payment) == 0
    assert Refund.objects.count() == IdempotencyKey.objects.count() == 0


def test_a_refund_needs_an_idempotency_key(service):
    payment = PaymentFactory()
    response = service.post(f"/api/payments/{payment.id}/refunds/", {}, format="json")

    assert_problem(response, 400, "idempotency_key_missing")


def test_the_same_key_and_body_replay_the_refund_once(service):
    payment = PaymentFactory(amount=Decimal("10.00"))
    first = refund(service, payment, {"amount": "3.00"})

    again = refund(service, payment, {"amount": "3.00"})

    assert again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert refunded(payment) == Decimal("3.00")
    assert Refund.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(service):
    payment = PaymentFactory(amount=Decimal("10.00"))
    refund(service, payment, {"amount": "3.00"})

    assert_problem(refund(service, payment, {"amount": "4.00"}), 422, "idempotency_key_reused")
    assert refunded(payment) == Decimal("3.00")


def test_a_payments_key_cannot_be_reused_for_a_refund(service):
    body = {"reference": "cart:1", "amount": "10.00", "currency": "USD"}
    taken = service.post("/api/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    payment = Payment.objects.get(pk=taken.json()["id"])

    assert_problem(refund(service, payment, key="k"), 422, "idempotency_key_reused")


def test_the_failing_amount_makes_a_failed_refund_that_gives_nothing_back(service):
    payment = PaymentFactory(amount=Decimal("20.00"))

    response = refund(service, payment, {"amount": "13.13"})

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["failure_code"]) == (
        "failed",
        "refund_declined",
    )
    assert refunded(payment) == 0
    assert refund(service, payment, {"amount": "13.12"}, key="r2").json()["status"] == "succeeded"


def test_the_ledger_reads_payments_and_refunds_but_moves_no_money(service, ledger):
    payment = PaymentFactory()
    made = refund(service, payment, {"amount": "1.00"}).json()

    assert ledger.get(f"/api/payments/{payment.id}/").status_code == 200
    assert ledger.get("/api/payments/", {"reference": payment.reference}).status_code == 200
    listed = ledger.get(f"/api/payments/{payment.id}/refunds/").json()
    assert [r["id"] for r in listed["results"]] == [made["id"]]
    assert ledger.get(f"/api/payments/{payment.id}/refunds/{made['id']}/").json() == made
    assert_problem(refund(ledger, payment, key="ledger-1"), 403, "permission_denied")
    body = {"reference": "cart:1", "amount": "1.00", "currency": "USD"}
    paid = ledger.post("/api/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="ledger-2")
    assert_problem(paid, 403, "permission_denied")
    assert refunded(payment) == Decimal("1.00")


def test_anonymous_callers_can_do_nothing(anon):
    payment = PaymentFactory()

    assert_problem(refund(anon, payment), 401, "not_authenticated")
    assert_problem(anon.get(f"/api/payments/{payment.id}/refunds/"), 401, "not_authenticated")


@pytest.mark.parametrize("payment_id", [str(uuid.uuid4()), "not-a-uuid", "1"])
def test_refunds_of_an_unknown_payment_are_404(service, payment_id):
    response = service.post(
        f"/api/payments/{payment_id}/refunds/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert_problem(response, 404, "payment_not_found")
    assert_problem(service.get(f"/api/payments/{payment_id}/refunds/"), 404, "payment_not_found")


def test_an_unknown_refund_is_404(service):
    payment, other = PaymentFactory(), PaymentFactory()
    made = refund(service, other).json()

    for refund_id in (str(uuid.uuid4()), "nope", made["id"]):  # another payment's: not this one's
        response = service.get(f"/api/payments/{payment.id}/refunds/{refund_id}/")
        assert_problem(response, 404, "refund_not_found")


def test_a_new_payment_shows_nothing_refunded(service):
    body = {"reference": "cart:1", "amount": "10.00", "currency": "USD"}
    taken = service.post("/api/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert (taken.json()["amount_refunded"], taken.json()["refund_status"]) == ("0.00", "none")
