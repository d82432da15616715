"""factory_boy factories: an active mug priced in USD and EUR unless told otherwise."""

from decimal import Decimal

import factory

from products.models import Price, Product


class ProductFactory(factory.django.DjangoModelFactory):
    """``prices={"USD": "7.50"}`` sets its prices (default: USD 7.50, EUR 6.90)."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    active = True

    @factory.post_generation
    def prices(obj, create, extracted, **kwargs):
        if not create:
            return
        prices = {"USD": "7.50", "EUR": "6.90"} if extracted is None else extracted
        Price.objects.bulk_create(
            Price(product=obj, currency=currency, amount=Decimal(amount))
            for currency, amount in prices.items()
        )


def snapshot() -> list[dict]:
    """Every product with its prices, as stored: what bad input must leave unchanged."""
    return [
        {
            **row,
            "prices": dict(
                Price.objects.filter(product_id=row["id"]).values_list("currency", "amount")
            ),
        }
        for row in Product.objects.order_by("sku").values()
    ]
