"""factory_boy factories: an ordinary, active, never-redeemed discount unless told otherwise."""

import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from discounts.models import Discount, IssuedCode, Redemption


class DiscountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Discount

    code = factory.Sequence(lambda n: f"CODE{n:04d}")
    description = "Ten percent off"
    kind = "percent"
    value = Decimal("10.00")
    currency = None
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    max_redemptions = None
    times_redeemed = 0
    is_active = True

    class Params:
        fixed = factory.Trait(kind="fixed", value=Decimal("5.00"), currency="USD")
        promotion = factory.Trait(single_use_codes=True)


class IssuedCodeFactory(factory.django.DjangoModelFactory):
    """An issued code of a single-use promotion, counted in its codes_issued."""

    class Meta:
        model = IssuedCode
        skip_postgeneration_save = True

    discount = factory.SubFactory(DiscountFactory, promotion=True)
    code = factory.Sequence(lambda n: f"NEWS-{n:012d}")

    @factory.post_generation
    def count_it(obj, create, extracted, **kwargs):
        if create:
            obj.discount.codes_issued += 1
            obj.discount.save(update_fields=["codes_issued"])


class RedemptionFactory(factory.django.DjangoModelFactory):
    """A redemption that keeps the discount's times_redeemed in step."""

    class Meta:
        model = Redemption
        skip_postgeneration_save = True

    discount = factory.SubFactory(DiscountFactory)
    cart_id = factory.LazyFunction(uuid.uuid4)
    issued_code = None

    @factory.post_generation
    def count_it(obj, create, extracted, **kwargs):
        if create:
            obj.discount.times_redeemed += 1
            obj.discount.save(update_fields=["times_redeemed"])


# A cart as cart_service sends it to be checked: 37.50 USD, 3 items, two of MUG-1.
A_CART = {
    "currency": "USD",
    "items": [
        {"sku": "MUG-1", "quantity": 2, "unit_price": "7.50"},
        {"sku": "TEE-3", "quantity": 1, "unit_price": "22.50"},
    ],
}
