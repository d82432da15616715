"""The database itself refuses rows that break the rules, whatever code wrote them."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from discounts.models import Discount, IssuedCode, Redemption
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
        {"minimum_subtotal": Decimal("50.00")},  # a percent minimum names its currency
        {"minimum_subtotal": Decimal("0.00"), "currency": "USD"},
        {"fixed": True, "minimum_subtotal": Decimal("-1.00")},
        {"minimum_items": 0},
        {"minimum_items": 10_001},
        {"codes_issued": 1},  # only a single-use promotion issues codes
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


def test_a_percent_discount_may_carry_a_currency_with_its_minimum():
    DiscountFactory(currency="USD", minimum_subtotal=Decimal("50.00"))

    assert Discount.objects.count() == 1


def test_an_issued_code_is_held_by_one_cart_at_most():
    promotion = DiscountFactory(single_use_codes=True, codes_issued=1)
    issued = IssuedCode.objects.create(discount=promotion, code="NEWS-7K3MQ9ZD2XWA")
    Redemption.objects.create(discount=promotion, cart_id=uuid.uuid4(), issued_code=issued)

    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.create(discount=promotion, cart_id=uuid.uuid4(), issued_code=issued)


@pytest.mark.parametrize("code", ["news-7k3mq9zd2xwa", "AB"])
def test_an_issued_code_is_stored_normalised(code):
    promotion = DiscountFactory(single_use_codes=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedCode.objects.create(discount=promotion, code=code)
