"""The checkout's settle step when cart_service's own database fails after the charge.

The payment was taken: the shopper is answered the paid cart if the settle write goes
through within its small budget of tries, else 503 payment_being_confirmed (never a 500);
the cart ends paid with that payment at the next checkout, charged once.
"""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection

from carts import checkout as checkout_module
from carts.checkout import cart_checkout
from carts.errors import PaymentBeingConfirmed
from carts.models import Cart
from servicekit import dbfaults
from servicekit.testing import FailingQueries
from tests.factories import cart_with
from tests.fakes import FakeCatalogClient

# autocommit, as the service runs: a failed connection is replaced between tries
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_waits(monkeypatch):
    monkeypatch.setattr(checkout_module, "SETTLE_WAIT", 0)


@pytest.fixture
def faults():
    faults = FailingQueries()
    with connection.execute_wrapper(faults):
        yield faults
    connection.close()


@pytest.fixture
def charged_then(payments, faults):
    """The database fails for the next ``n`` queries right after the first charge."""

    def after_charge(n: int) -> None:
        charge = payments.charge

        def charge_then_fail(**kwargs):
            payment = charge(**kwargs)
            if not payments.calls[1:]:
                faults.fail_next(n)
            return payment

        payments.charge = charge_then_fail

    return after_charge


def checkout(cart, discounts, payments):
    return cart_checkout(
        cart_id=cart.id,
        discount_client=discounts,
        payment_client=payments,
        catalog_client=FakeCatalogClient(),
    )


def test_a_settle_that_fails_once_is_tried_again_and_the_cart_answered_paid(
    discounts, payments, faults, charged_then
):
    cart = cart_with("15.00")
    charged_then(1)

    result = checkout(cart, discounts, payments)

    assert faults.failed == 1
    assert result.payment_status == "paid"
    assert Cart.objects.get(pk=cart.pk).payment_status == "paid"


def test_a_settle_the_database_never_takes_is_503_payment_being_confirmed_then_paid(
    discounts, payments, faults, charged_then
):
    cart = cart_with("15.00")
    charged_then(checkout_module.SETTLE_TRIES)

    with pytest.raises(PaymentBeingConfirmed) as raised:
        checkout(cart, discounts, payments)

    assert raised.value.status == 503
    assert raised.value.headers() == {"Retry-After": "2"}
    assert faults.failed == checkout_module.SETTLE_TRIES
    stored = Cart.objects.get(pk=cart.pk)
    assert (stored.attempt_unresolved, stored.payment_status) == (True, "pending")
    (payment,) = payments.payments.values()

    result = checkout(cart, discounts, payments)  # the shopper checks out again

    assert (result.payment_status, result.last_payment_id) == ("paid", payment.id)
    assert len(payments.payments) == 1  # the same attempt, the same key: charged once
    assert Cart.objects.get(pk=cart.pk).payment_status == "paid"


def test_a_decline_the_database_could_not_record_is_database_unavailable(
    discounts, payments, faults, charged_then
):
    cart = cart_with("25.00")  # at or above the fake's approval limit: declined
    charged_then(checkout_module.SETTLE_TRIES)

    with pytest.raises(DatabaseError) as raised:
        checkout(cart, discounts, payments)

    assert dbfaults.is_unavailable(raised.value)  # 503 database_unavailable, not 500
    assert Cart.objects.get(pk=cart.pk).attempt_unresolved
    assert checkout(cart, discounts, payments).payment_status == "failed"
    assert {p.amount for p in payments.payments.values()} == {Decimal("25.00")}
