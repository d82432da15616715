"""The database itself refuses rows that break the rules, whatever code wrote them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from discounts.models import Discount, Redemption
from tests.factories import DiscountFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "overrides",
    [
        {"code": "lower"},
        {"code": "AB"},
        {"value": Decimal("0")},
        {"value": Decimal("100.01")},
        {"currency": "USD"},
        {"kind": "fixed", "currency": None},
        {"kind": "weird"},
        {"ends_at": timezone.now() - timedelta(days=2)},
        {"max_redemptions": 0},
        {"max_redemptions": 2, "times_redeemed": 3},
    ],
)
def test_invalid_discounts_cannot_be_stored(overrides):
    with pytest.raises(IntegrityError), transaction.atomic():
        DiscountFactory(**overrides)

    assert Discount.objects.count() == 0


def test_a_cart_holds_one_redemption_per_discount():
    redemption = Redemption.objects.create(
        discount=DiscountFactory(), cart_id="5d1c0b6f-1111-4222-8333-444455556666"
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.create(discount=redemption.discount, cart_id=redemption.cart_id)
