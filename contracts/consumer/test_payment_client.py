"""cart_service → payment_service, driven through cart_service's real PaymentClient.

The charge requests carry exact amounts: they are what tells the interactions
apart when these pacts serve as payment_service's stand-in (`pact stub`) while
cart_service is verified (13.50 is paid, 25.00 is declined; see README).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from pact import match

from carts import errors
from carts.clients.payment import PaymentClient
from contracts.common import PROBLEM_JSON, TOKENS, bearer, money, problem, timestamp

TOKEN = TOKENS["PAYMENT_SERVICE_TOKEN"]
CART_ID = "5d1c2f4e-8b9a-4c3d-9e1f-2a3b4c5d6e7f"
REFERENCE = f"cart:{CART_ID}"
# cart_service's keys: the cart, the attempt, and the cart's own random secret.
SECRET = "7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c2e"
KEY = f"cart-{CART_ID}-attempt-1-{SECRET}"
PAYMENT_ID = "0b6f3a52-7c1d-4e8f-9a2b-3c4d5e6f7a8b"
REFERENCE_RE = r"^cart:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
KEY_RE = r"^[\x21-\x7e][\x20-\x7e]{0,254}$"


def client(srv) -> PaymentClient:
    return PaymentClient(str(srv.url), TOKEN, retries=0, time_budget=10.0)


def payment_body(*, amount: str, status: str, decline_code, payment_id=None) -> dict:
    return {
        "id": payment_id or match.uuid(PAYMENT_ID),
        "reference": match.str(REFERENCE),
        "amount": money(amount),
        "currency": match.regex("USD", regex=r"^[A-Z]{3}$"),
        "status": status,
        "decline_code": decline_code,
        "created_at": timestamp(),
    }


def charge_request(pact, description: str, *, amount: str, key: str = KEY, reference=None):
    return (
        pact.upon_receiving(description)
        .with_request("POST", "/api/payments/")
        .with_header("Authorization", bearer(TOKEN))
        .with_header("Idempotency-Key", match.regex(key, regex=KEY_RE))
        .with_body(
            {
                "reference": reference or match.regex(REFERENCE, regex=REFERENCE_RE),
                "amount": amount,  # exact: see the module docstring
                "currency": "USD",
            },
            content_type="application/json",
        )
    )


def charge(srv, amount: str, key: str = KEY):
    return client(srv).charge(
        reference=REFERENCE, amount=Decimal(amount), currency="USD", idempotency_key=key
    )


def test_a_payment_below_the_limit_succeeds(payment_pact):
    (
        charge_request(payment_pact, "a charge of 13.50 USD", amount="13.50")
        .given("payments can be taken")
        .will_respond_with(201)
        .with_body(
            payment_body(amount="13.50", status="succeeded", decline_code=None),
            content_type="application/json",
        )
    )
    with payment_pact.serve() as srv:
        payment = charge(srv, "13.50")
    assert (payment.status, payment.amount, payment.decline_code) == (
        "succeeded",
        Decimal("13.50"),
        None,
    )


def test_a_payment_at_or_above_the_limit_is_declined(payment_pact):
    (
        charge_request(payment_pact, "a charge of 25.00 USD", amount="25.00")
        .given("payments can be taken")
        .will_respond_with(201)
        .with_body(
            payment_body(amount="25.00", status="declined", decline_code="insufficient_funds"),
            content_type="application/json",
        )
    )
    with payment_pact.serve() as srv:
        payment = charge(srv, "25.00")
    assert (payment.status, payment.decline_code) == ("declined", "insufficient_funds")


REPLAY_KEY = f"cart-{CART_ID}-attempt-2-{SECRET}"


def test_a_replay_with_the_same_key_and_body_answers_the_original_payment(payment_pact):
    (
        charge_request(
            payment_pact,
            "a replayed charge with the same key and body",
            amount="10.00",
            key=REPLAY_KEY,
        )
        .given(
            "a payment exists",
            id=PAYMENT_ID,
            idempotency_key=REPLAY_KEY,
            reference=REFERENCE,
            amount="10.00",
            currency="USD",
        )
        .will_respond_with(201)
        .with_body(
            # The id is exact: a replay answers the original payment, never a new one.
            payment_body(
                amount="10.00", status="succeeded", decline_code=None, payment_id=PAYMENT_ID
            ),
            content_type="application/json",
        )
    )
    with payment_pact.serve() as srv:
        payment = charge(srv, "10.00", key=REPLAY_KEY)
    assert payment.id == PAYMENT_ID


REUSED_KEY = f"cart-{CART_ID}-attempt-3-{SECRET}"


def test_a_key_reused_with_another_body_is_refused(payment_pact):
    (
        charge_request(
            payment_pact,
            "a charge reusing a key with another body",
            amount="12.00",
            key=REUSED_KEY,
        )
        .given(
            "a payment exists",
            id=PAYMENT_ID,
            idempotency_key=REUSED_KEY,
            reference=REFERENCE,
            amount="10.00",
            currency="USD",
        )
        .will_respond_with(422)
        .with_body(problem(422, "idempotency_key_reused"), content_type=PROBLEM_JSON)
    )
    # The cart never does this; if it did it is a bug: checkout and the reconciler then
    # settle the attempt by the payments listed under the reference.
    with payment_pact.serve() as srv, pytest.raises(errors.PaymentKeyReused):
        charge(srv, "12.00", key=REUSED_KEY)


def test_list_the_payments_of_a_reference(payment_pact):
    (
        payment_pact.upon_receiving("a request for the payments of a reference")
        .given(
            "a payment exists", id=PAYMENT_ID, reference=REFERENCE, amount="13.50", currency="USD"
        )
        .with_request("GET", "/api/payments/")
        .with_query_parameter("reference", REFERENCE)
        .with_query_parameter("page_size", "100")
        .with_header("Authorization", bearer(TOKEN))
        .will_respond_with(200)
        .with_body(
            {
                "count": match.int(1),
                "next": None,
                "previous": None,
                "results": match.each_like(
                    payment_body(amount="13.50", status="succeeded", decline_code=None), min=1
                ),
            },
            content_type="application/json",
        )
    )
    with payment_pact.serve() as srv:
        payments = client(srv).list_by_reference(REFERENCE)
    assert [p.id for p in payments] == [PAYMENT_ID]


# -- refunds (issue 25): what cart_service sends when an operator refunds or cancels -------------

PAYMENT_PATH_RE = (
    r"^/api/payments/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/refunds/$"
)
REFUND_KEY = f"cart-{CART_ID}-refund-1-{SECRET}"


def refund_request(pact, description: str, *, amount: str, key: str = REFUND_KEY):
    """The amount is exact (the stand-in picks the interaction by it); the payment's id, the
    key and the reason are the cart's own."""
    return (
        pact.upon_receiving(description)
        .with_request(
            "POST", match.regex(f"/api/payments/{PAYMENT_ID}/refunds/", regex=PAYMENT_PATH_RE)
        )
        .with_header("Authorization", bearer(TOKEN))
        .with_header("Idempotency-Key", match.regex(key, regex=KEY_RE))
        .with_body(
            {"amount": amount, "reason": match.like("one mug arrived broken")},
            content_type="application/json",
        )
    )


def refund_body(amount: str, *, status: str = "succeeded", failure_code=None) -> dict:
    return {
        "id": match.uuid("3c2d1e0f-9a8b-4c7d-8e6f-5a4b3c2d1e0f"),
        "payment_id": match.uuid(PAYMENT_ID),
        "amount": money(amount),
        "currency": "USD",
        "status": status,  # exact: the cart branches on it
        "failure_code": failure_code,
    }


def refund(srv, amount: str, key: str = REFUND_KEY):
    return client(srv).refund(
        payment_id=PAYMENT_ID,
        amount=Decimal(amount),
        reason="one mug arrived broken",
        idempotency_key=key,
    )


@pytest.mark.parametrize("amount", ["5.00", "15.00"])
def test_a_refund_of_part_or_all_of_a_payment(payment_pact, amount):
    (
        refund_request(payment_pact, f"a refund of {amount} of a 15.00 payment", amount=amount)
        .given("a payment exists", id=PAYMENT_ID, amount="15.00", status="succeeded")
        .will_respond_with(201)
        .with_body(refund_body(amount), content_type="application/json")
    )
    with payment_pact.serve() as srv:
        made = refund(srv, amount)
    assert (made.status, made.amount) == ("succeeded", Decimal(amount))


def test_a_refund_sent_again_under_its_key_is_the_same_refund(payment_pact):
    replay_key = f"cart-{CART_ID}-refund-2-{SECRET}"
    (
        refund_request(
            payment_pact, "a refund sent again under its key", amount="4.00", key=replay_key
        )
        .given(
            "a payment with a refund exists",
            payment_id=PAYMENT_ID,
            amount="15.00",
            refund_amount="4.00",
            reason="one mug arrived broken",
            idempotency_key=replay_key,
        )
        .will_respond_with(201)
        .with_body(refund_body("4.00"), content_type="application/json")
    )
    with payment_pact.serve() as srv:
        assert refund(srv, "4.00", key=replay_key).amount == Decimal("4.00")


def test_a_refund_beyond_what_is_left_is_refused_for_good(payment_pact):
    (
        refund_request(payment_pact, "a refund of more than what is left", amount="20.00")
        .given("a payment exists", id=PAYMENT_ID, amount="15.00", status="succeeded")
        .will_respond_with(422)
        .with_body(problem(422, "refund_exceeds_remaining"), content_type=PROBLEM_JSON)
    )
    with payment_pact.serve() as srv, pytest.raises(errors.RefundRefused) as refused:
        refund(srv, "20.00")
    assert refused.value.reason == "refund_exceeds_remaining"


def test_a_refund_the_processor_declines(payment_pact):
    (
        refund_request(payment_pact, "a refund the processor declines", amount="13.13")
        .given("a payment exists", id=PAYMENT_ID, amount="15.00", status="succeeded")
        .will_respond_with(201)
        .with_body(
            refund_body("13.13", status="failed", failure_code="refund_declined"),
            content_type="application/json",
        )
    )
    with payment_pact.serve() as srv:
        made = refund(srv, "13.13")
    assert (made.status, made.failure_code) == ("failed", "refund_declined")
