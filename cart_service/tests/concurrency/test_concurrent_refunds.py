"""Operators refunding one paid cart at once, on PostgreSQL: truly parallel connections."""

import functools
from decimal import Decimal

import pytest

from carts import refunds
from carts.checkout import cart_checkout
from carts.models import Cart, CartRefund
from servicekit.testing import run_together
from tests.factories import cart_with
from tests.fakes import FakeCatalogClient, FakeDiscountClient, FakePaymentClient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 10


def _paid(discounts, payments):
    cart = cart_with("15.00", percent_discount=True)  # 13.50 paid
    cart_checkout(
        cart_id=cart.id,
        discount_client=discounts,
        payment_client=payments,
        catalog_client=FakeCatalogClient(),
    )
    return cart


def _name(result):
    return type(result).__name__ if isinstance(result, Exception) else result


def test_cancels_sent_at_once_refund_the_cart_once():
    discounts, payments = FakeDiscountClient(), FakePaymentClient()
    discounts.add("SAVE10", "percent", "10.00")
    cart = _paid(discounts, payments)

    def cancel():
        return refunds.cart_cancel(
            cart_id=cart.id, payment_client=payments, discount_client=discounts
        ).payment_status

    results = run_together([cancel] * THREADS)

    # Each cancel either made the refund, finished or found it, or found it in flight (409).
    assert set(map(_name, results)) <= {"cancelled", "RefundInProgress"}, results
    assert "cancelled" in results
    assert len(payments.refunds) == 1
    assert payments.refunded(Cart.objects.get(pk=cart.pk).last_payment_id) == Decimal("13.50")
    assert CartRefund.objects.filter(cart=cart, status="succeeded").count() == 1
    assert discounts.redemptions == {}


def test_refunds_racing_for_the_last_of_a_cart_give_it_back_once():
    discounts, payments = FakeDiscountClient(), FakePaymentClient()
    discounts.add("SAVE10", "percent", "10.00")
    cart = _paid(discounts, payments)

    def refund(i):
        return refunds.cart_refund(
            cart_id=cart.id,
            amount=Decimal("13.50"),
            operator_key=f"op-{i}",
            payment_client=payments,
            discount_client=discounts,
        ).refund.status

    results = run_together([functools.partial(refund, i) for i in range(THREADS)])

    # One refund of all of it; the others found it in flight or nothing left.
    assert sorted(map(_name, results)).count("succeeded") == 1, results
    assert set(map(_name, results)) <= {"succeeded", "RefundInProgress", "RefundExceedsPaid"}
    assert len(payments.refunds) == 1
    assert Cart.objects.get(pk=cart.pk).amount_refunded == Decimal("13.50")
