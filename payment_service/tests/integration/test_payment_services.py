"""payment_create's claim protocol where the API cannot reach: failures mid-charge."""

from decimal import Decimal

import pytest

from payments.errors import IdempotencyKeyInUse
from payments.models import IdempotencyKey, Payment
from payments.serializers import render_payment
from payments.services import payment_create

pytestmark = pytest.mark.django_db
REQUEST = {"reference": "cart:1", "amount": Decimal("10.00"), "currency": "USD"}


def test_failure_while_charging_stores_nothing_and_frees_the_key():
    def broken_render(payment):
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        payment_create(caller="service", idempotency_key="k", **REQUEST, render=broken_render)

    assert Payment.objects.count() == IdempotencyKey.objects.count() == 0
    retried = payment_create(
        caller="service", idempotency_key="k", **REQUEST, render=render_payment
    )
    assert retried.status == 201
    assert Payment.objects.count() == 1


def test_claim_taken_over_while_charging_does_not_charge():
    def render_after_a_take_over(payment):
        # Another process judged this claim abandoned and took it, mid-charge.
        IdempotencyKey.objects.filter(key="k").update(
            claim_token="00000000-0000-4000-8000-000000000000"
        )
        return render_payment(payment)

    with pytest.raises(IdempotencyKeyInUse):
        payment_create(
            caller="service", idempotency_key="k", **REQUEST, render=render_after_a_take_over
        )

    assert Payment.objects.count() == 0


def test_replay_returns_the_stored_bytes_not_a_fresh_rendering():
    first = payment_create(
        caller="service", idempotency_key="k", **REQUEST, render=lambda p: b'{"frozen": true}'
    )

    again = payment_create(caller="service", idempotency_key="k", **REQUEST, render=render_payment)

    assert (first.replayed, again.replayed) == (False, True)
    assert again.body == b'{"frozen": true}'
    assert again.status == 201


def test_keys_are_scoped_to_the_caller_that_sent_them():
    # Issue 23: keys were shared by every caller, so one could take another's next key
    # first (with another body) and freeze that caller's checkout. A key is a caller's own.
    ours = payment_create(caller="service", idempotency_key="k", **REQUEST, render=render_payment)
    theirs = payment_create(
        caller="marketplace",
        idempotency_key="k",
        **{**REQUEST, "amount": Decimal("1.00")},
        render=render_payment,
    )
    replayed = payment_create(
        caller="service", idempotency_key="k", **REQUEST, render=render_payment
    )

    assert (ours.status, theirs.status) == (201, 201)
    assert (theirs.replayed, replayed.replayed) == (False, True)
    assert replayed.body == ours.body
    assert Payment.objects.count() == 2
