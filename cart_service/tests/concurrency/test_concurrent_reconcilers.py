"""Reconcilers running at once on PostgreSQL: each cart and each release is worked on once."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from carts import checkout
from carts.errors import PaymentServiceUnavailable
from carts.models import Cart, OwedRelease
from carts.reconciler import reconcile_pass
from servicekit.testing import run_together
from tests.factories import CartFactory, CartItemFactory
from tests.fakes import FakeCatalogClient, FakeDiscountClient, FakePaymentClient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CARTS = 30
RECONCILERS = 4


def test_reconcilers_running_at_once_charge_and_release_each_once():
    discounts = FakeDiscountClient()
    discounts.add("SAVE10", "percent", "10.00")
    payments = FakePaymentClient(lost_responses=CARTS)
    carts = []
    for _ in range(CARTS):
        cart = CartFactory(percent_discount=True)
        CartItemFactory(cart=cart, unit_price=Decimal("10.00"), quantity=1)
        with pytest.raises(PaymentServiceUnavailable):  # charged, answer lost
            checkout.cart_checkout(
                cart_id=cart.id,
                discount_client=discounts,
                payment_client=payments,
                catalog_client=FakeCatalogClient(),
            )
        carts.append(cart)
    owed = CartFactory()
    for code in ("OLD1", "OLD2", "OLD3"):
        OwedRelease.objects.create(cart=owed, code=code)
    later = timezone.now() + timedelta(seconds=120)

    results = run_together(
        [lambda: reconcile_pass(discount_client=discounts, payment_client=payments, now=later)]
        * RECONCILERS
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    # one charge from each checkout, one replay from exactly one reconciler per cart
    assert Counter(Counter(payments.keys).values()) == {2: CARTS}
    assert sum(r["settled_paid"] for r in results) == CARTS
    assert set(
        Cart.objects.filter(pk__in=[c.pk for c in carts]).values_list("payment_status", flat=True)
    ) == {"paid"}
    assert sorted(c[1] for c in discounts.calls if c[0] == "release") == ["OLD1", "OLD2", "OLD3"]
    assert not OwedRelease.objects.exists()
