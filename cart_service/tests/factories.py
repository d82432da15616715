from decimal import Decimal

import factory
from django.utils import timezone

from carts.models import Cart, CartItem
from carts.states import PaymentStatus


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart

    currency = "USD"
    payment_status = PaymentStatus.PENDING
    # Priced by the catalog just now (carts.pricing): a checkout does not ask again.
    prices_checked_at = factory.LazyFunction(timezone.now)

    class Params:
        percent_discount = factory.Trait(
            discount_code="SAVE10", discount_kind="percent", discount_value=Decimal("10.00")
        )
        fixed_discount = factory.Trait(
            discount_code="FIVEOFF",
            discount_kind="fixed",
            discount_value=Decimal("5.00"),
            discount_currency="USD",
        )
        paid = factory.Trait(
            payment_status=PaymentStatus.PAID,
            checkout_attempt=1,
            last_payment_id="0b6f5c1e-8a52-4d0e-9b8e-0b8f1f0c1a11",
            last_payment_status="succeeded",
        )


class CartItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartItem

    cart = factory.SubFactory(CartFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = factory.Faker("word")
    unit_price = Decimal("7.50")
    quantity = 2


def cart_with(total="15.00", **traits) -> Cart:
    """A cart of one item at ``total`` (factory traits apply, e.g. percent_discount=True)."""
    cart = CartFactory(**traits)
    CartItemFactory(cart=cart, unit_price=Decimal(total), quantity=1)
    return cart
