"""POST /api/carts/{id}/cancel/, POST and GET /api/carts/{id}/refunds/: an operator's."""

import json
import uuid
from decimal import Decimal

import pytest
import responses

from carts.models import Cart, CartRefund
from servicekit.testing import assert_problem
from tests.factories import CartFactory, CartItemFactory

pytestmark = pytest.mark.django_db

PAYMENT_ID = "0b6f3c1e-0000-4000-8000-000000000042"
REFUNDS = f"http://127.0.0.1:8003/api/payments/{PAYMENT_ID}/refunds/"
RELEASE = "http://127.0.0.1:8001/api/discounts/SAVE10/redemptions/"


def _refund(request):
    body = json.loads(request.body)
    refund = {
        "id": str(uuid.uuid4()),
        "payment_id": PAYMENT_ID,
        "amount": body["amount"],
        "currency": "USD",
        "reason": body.get("reason", ""),
        "status": "succeeded",
        "failure_code": None,
        "created_at": "2026-11-22T09:30:00Z",
    }
    return 201, {"Content-Type": "application/json"}, json.dumps(refund)


@pytest.fixture
def paid():
    """A cart paid 13.50 (2 x 7.50 less 10 %) with SAVE10, its use held."""
    cart = CartFactory(
        percent_discount=True,
        payment_status="paid",
        checkout_attempt=1,
        last_payment_id=PAYMENT_ID,
        last_payment_status="succeeded",
        redemption_held=True,
    )
    CartItemFactory(cart=cart, unit_price=Decimal("7.50"), quantity=2)
    return cart


def release_url(cart) -> str:
    return f"{RELEASE}{cart.id}/"


def test_an_operator_cancels_a_paid_cart(admin, mocked, paid):
    mocked.add_callback(responses.POST, REFUNDS, callback=_refund)
    mocked.add(responses.DELETE, release_url(paid), status=204)

    response = admin.post(f"/api/carts/{paid.id}/cancel/", {"reason": "cancelled"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["payment_status"], body["amount_refunded"]) == ("cancelled", "13.50")
    sent = json.loads(next(c for c in mocked.calls if c.request.method == "POST").request.body)
    assert sent == {"amount": "13.50", "reason": "cancelled"}
    assert any(c.request.method == "DELETE" for c in mocked.calls)  # the use given back
    again = admin.post(f"/api/carts/{paid.id}/cancel/", {}, format="json")
    assert again.json()["payment_status"] == "cancelled"
    assert sum(1 for c in mocked.calls if c.request.method == "POST") == 1


def test_an_operator_refunds_part_of_a_cart_and_lists_its_refunds(admin, mocked, paid):
    mocked.add_callback(responses.POST, REFUNDS, callback=_refund)

    made = admin.post(
        f"/api/carts/{paid.id}/refunds/",
        {"amount": "5.00", "reason": "one mug broke"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="op-1",
    )
    again = admin.post(
        f"/api/carts/{paid.id}/refunds/",
        {"amount": "5.00", "reason": "one mug broke"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="op-1",
    )
    listed = admin.get(f"/api/carts/{paid.id}/refunds/")

    assert (made.status_code, again.status_code) == (201, 200)
    assert made.json() == again.json()
    assert (made.json()["amount"], made.json()["status"], made.json()["number"]) == (
        "5.00",
        "succeeded",
        1,
    )
    assert [r["id"] for r in listed.json()["results"]] == [made.json()["id"]]
    assert admin.get(f"/api/carts/{paid.id}/").json()["amount_refunded"] == "5.00"
    assert sum(1 for c in mocked.calls if c.request.method == "POST") == 1


def test_more_than_what_is_left_is_refused_and_sends_nothing(admin, mocked, paid):
    response = admin.post(f"/api/carts/{paid.id}/refunds/", {"amount": "13.51"}, format="json")

    assert_problem(response, 422, "refund_exceeds_paid")
    assert len(mocked.calls) == 0
    assert CartRefund.objects.count() == 0


def test_a_refund_payment_service_declines_is_502_and_gives_nothing_back(admin, mocked, paid):
    def declined(request):
        status, headers, body = _refund(request)
        refund = {**json.loads(body), "status": "failed", "failure_code": "refund_declined"}
        return status, headers, json.dumps(refund)

    mocked.add_callback(responses.POST, REFUNDS, callback=declined)

    response = admin.post(f"/api/carts/{paid.id}/cancel/", {}, format="json")

    assert assert_problem(response, 502, "refund_refused")["reason"] == "refund_declined"
    assert Cart.objects.get(pk=paid.pk).payment_status == "paid"


def test_payment_service_down_is_503_and_the_refund_stays_pending(admin, mocked, paid):
    mocked.add(responses.POST, REFUNDS, status=503)

    response = admin.post(f"/api/carts/{paid.id}/refunds/", {"amount": "1.00"}, format="json")

    assert_problem(response, 503, "payment_service_unavailable")
    assert CartRefund.objects.get().status == "pending"
    assert_problem(
        admin.post(f"/api/carts/{paid.id}/refunds/", {"amount": "1.00"}, format="json"),
        409,
        "refund_in_progress",
    )


@pytest.mark.parametrize(
    "body",
    [{}, {"amount": "0.00"}, {"amount": "-1.00"}, {"amount": "1.001"}, {"amount": 1, "reason": 5}],
)
def test_bad_input_is_400_and_refunds_nothing(admin, mocked, paid, body):
    response = admin.post(f"/api/carts/{paid.id}/refunds/", body, format="json")

    assert_problem(response, 400, "validation_error")
    assert len(mocked.calls) == 0


def test_only_the_operator_may_refund_or_cancel(anon, mocked, paid):
    assert_problem(
        anon.post(f"/api/carts/{paid.id}/cancel/", {}, format="json"), 401, "not_authenticated"
    )
    assert_problem(
        anon.post(f"/api/carts/{paid.id}/refunds/", {"amount": "1.00"}, format="json"),
        401,
        "not_authenticated",
    )
    assert_problem(anon.get(f"/api/carts/{paid.id}/refunds/"), 401, "not_authenticated")
    assert len(mocked.calls) == 0


def test_a_cart_not_paid_cannot_be_cancelled(admin, mocked, cart):
    assert_problem(
        admin.post(f"/api/carts/{cart.id}/cancel/", {}, format="json"), 409, "cart_not_paid"
    )


def test_an_unknown_cart_is_404(admin):
    assert_problem(
        admin.post(f"/api/carts/{uuid.uuid4()}/cancel/", {}, format="json"), 404, "cart_not_found"
    )
    assert_problem(admin.get(f"/api/carts/{uuid.uuid4()}/refunds/"), 404, "cart_not_found")
