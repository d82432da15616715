"""The database itself refuses rows that break the rules, whatever code wrote them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from products.models import Price, Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"sku": "mug-1"},
        {"sku": ""},
        {"name": ""},
        {"created_at": timezone.now(), "updated_at": timezone.now() - timedelta(seconds=1)},
    ],
)
def test_invalid_products_cannot_be_stored(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(**{"sku": "MUG-1", "name": "Mug", **fields})

    assert Product.objects.count() == 0


def test_a_sku_is_unique():
    ProductFactory(sku="MUG-1")

    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(sku="MUG-1")


@pytest.mark.parametrize(
    "fields", [{"amount": Decimal("-0.01")}, {"currency": "usd"}, {"currency": "US"}]
)
def test_invalid_prices_cannot_be_stored(fields):
    product = ProductFactory(prices={})

    with pytest.raises(IntegrityError), transaction.atomic():
        Price.objects.create(
            **{"product": product, "currency": "USD", "amount": Decimal("1"), **fields}
        )

    assert Price.objects.count() == 0


def test_a_product_has_one_price_per_currency():
    product = ProductFactory(prices={"USD": "1.00"})

    with pytest.raises(IntegrityError), transaction.atomic():
        Price.objects.create(product=product, currency="USD", amount=Decimal("2.00"))
