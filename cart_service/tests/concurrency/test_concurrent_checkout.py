"""Concurrent checkouts of one cart on PostgreSQL: truly parallel connections."""

import functools
import time
from decimal import Decimal

import pytest

from carts import checkout, services
from carts.models import Cart, OwedRelease
from servicekit.testing import run_together
from tests.factories import CartFactory, CartItemFactory
from tests.fakes import FakeCatalogClient, FakeDiscountClient, FakePaymentClient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def test_twenty_concurrent_checkouts_of_one_cart_charge_once():
    cart = CartFactory(percent_discount=True)
    CartItemFactory(cart=cart, unit_price=Decimal("7.50"), quantity=2)
    discounts = FakeDiscountClient()
    discounts.add("SAVE10", "percent", "10.00")
    payments = FakePaymentClient()

    results = run_together(
        [
            lambda: (
                checkout.cart_checkout(
                    cart_id=cart.id,
                    discount_client=discounts,
                    payment_client=payments,
                    catalog_client=FakeCatalogClient(),
                ).payment_status
            )
        ]
        * THREADS
    )

    assert results == ["paid"] * THREADS
    # No lock is held while payment_service is called, so checkouts that resumed the one
    # attempt may each have sent its charge: all under its key, for its amount, and the
    # provider answers them all with the one payment.
    cart = Cart.objects.get(pk=cart.pk)
    assert {call["idempotency_key"] for call in payments.calls} == {cart.idempotency_key}
    assert {call["amount"] for call in payments.calls} == {Decimal("13.50")}
    assert len(payments.payments) == 1
    assert (cart.payment_status, cart.checkout_attempt, cart.attempt_unresolved) == (
        "paid",
        1,
        False,
    )
    assert cart.last_payment_id == next(iter(payments.payments.values())).id


def test_concurrent_checkouts_of_a_declined_cart_never_reuse_a_key():
    cart = CartFactory()
    CartItemFactory(cart=cart, unit_price=Decimal("30.00"), quantity=1)
    payments = FakePaymentClient()

    results = run_together(
        [
            lambda: (
                checkout.cart_checkout(
                    cart_id=cart.id,
                    discount_client=FakeDiscountClient(),
                    payment_client=payments,
                    catalog_client=FakeCatalogClient(),
                ).payment_status
            )
        ]
        * 10
    )

    # A checkout that finds an attempt in flight resumes it (same key, same amount: the
    # fake fails on a key reused with another body); one that finds the last attempt
    # settled as failed starts the next. Every attempt started was charged, each once at
    # the provider, under its own key.
    assert set(results) == {"failed"}
    attempts = Cart.objects.get(pk=cart.pk).checkout_attempt
    assert sorted(set(payments.keys)) == sorted(cart.attempt_key(n) for n in range(1, attempts + 1))
    assert len(payments.payments) == attempts


def test_edits_racing_a_checkout_never_change_the_charged_amount():
    cart = CartFactory()
    item = CartItemFactory(cart=cart, unit_price=Decimal("5.00"), quantity=1)
    payments = FakePaymentClient()

    def act(i):
        if i == 0:
            return checkout.cart_checkout(
                cart_id=cart.id,
                discount_client=FakeDiscountClient(),
                payment_client=payments,
                catalog_client=FakeCatalogClient(),
            ).payment_status
        try:
            services.cart_item_update(cart_id=cart.id, item_id=item.id, quantity=2)
        except Exception as exc:
            return type(exc).__name__
        return "edited"

    results = run_together([functools.partial(act, i) for i in range(THREADS)])

    cart = Cart.objects.get(pk=cart.pk)
    assert cart.payment_status == "paid"
    assert len(payments.calls) == 1
    # whatever the interleaving, the charge equals the cart's total at the moment it froze
    assert payments.calls[0]["amount"] == cart.totals().total
    assert set(results) <= {"paid", "edited", "CartNotEditable"}


class SlowRedeem(FakeDiscountClient):
    """A discount_service that takes a moment to answer a redeem: a shopper's other request
    (here, removing the only item) lands meanwhile on most rounds."""

    def redeem(self, code, cart_id, cart):
        time.sleep(0.02)
        return super().redeem(code, cart_id, cart)


def test_a_checkout_raced_by_removing_the_only_item_never_leaves_a_use_held():
    # Issue 23: a checkout and a removal of the cart's only item sent at the same moment.
    # Whatever the interleaving, discount_service holds a use only for a cart that is paid;
    # a checkout that ends without a charge gives back the use its redeem took.
    discounts = SlowRedeem()
    discounts.add("SAVE10", "percent", "10.00")
    payments = FakePaymentClient()
    outcomes = []
    for _ in range(10):
        cart = CartFactory(percent_discount=True)
        item = CartItemFactory(cart=cart, unit_price=Decimal("7.50"), quantity=2)

        def check_out(cart=cart):
            return checkout.cart_checkout(
                cart_id=cart.id,
                discount_client=discounts,
                payment_client=payments,
                catalog_client=FakeCatalogClient(),
            ).payment_status

        def remove(cart=cart, item=item):
            return services.cart_item_remove(cart_id=cart.id, item_id=item.id).payment_status

        done, removed = run_together([check_out, remove])
        outcomes.append((_name(done), _name(removed)))
        cart = Cart.objects.get(pk=cart.pk)
        held = ("SAVE10", str(cart.id)) in discounts.redemptions
        assert held == (cart.payment_status == "paid"), (outcomes[-1], cart.redemption_held)
        assert not cart.releases_owed
        assert not OwedRelease.objects.filter(cart=cart).exists()
    # Each outcome is one a shopper can act on: paid (the removal came too late: 409), or
    # the cart emptied first (422 cart_empty, nothing charged).
    assert set(outcomes) <= {("paid", "CartNotEditable"), ("CartEmpty", "pending")}
    assert len(payments.payments) == sum(1 for done, _ in outcomes if done == "paid")


def _name(result):
    return type(result).__name__ if isinstance(result, Exception) else result
