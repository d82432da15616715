"""The compiled batch read (servicekit.perf.db.CompiledLookup, ``sku__in``) reads what the
ORM reads: the same products, in the same order, with the same prices."""

from decimal import Decimal

import pytest
from django.db.models import Prefetch

from products import selectors
from products.models import Price, Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def fields(obj) -> dict:
    return {f.name: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def orm_batch(skus: list[str]) -> list[tuple[dict, dict]]:
    """What the ORM reads for a batch: each product's row and its prefetched price map (in
    its order: the body lists prices in it)."""
    products = Product.objects.prefetch_related(
        Prefetch("prices", queryset=Price.objects.order_by())
    ).filter(sku__in=skus)
    return [(fields(p), list(p.price_map.items())) for p in products.order_by("sku")]


@pytest.fixture
def catalog():
    ProductFactory(sku="MUG-1", prices={"USD": "7.50", "EUR": "6.90", "GBP": "5.99"})
    ProductFactory(sku="TV-65", prices={"USD": "899.00"})
    ProductFactory(sku="OLD", active=False)
    ProductFactory(sku="UNPRICED", prices={})
    ProductFactory(sku="B_2", prices={"EUR": "0.00"})
    ProductFactory(sku="B-10", prices={"USD": "1.00"})


@pytest.mark.parametrize(
    "skus",
    [
        ["MUG-1"],
        ["TV-65", "MUG-1"],
        ["OLD", "NOPE", "UNPRICED", "MUG-1"],
        ["B-10", "B_2", "TV-65", "MUG-1", "OLD", "UNPRICED"],
        ["NOPE"],
        [f"X{n}" for n in range(100)] + ["MUG-1"],
    ],
)
def test_a_batch_equals_the_orms_products_and_prices(catalog, skus):
    found = selectors.product_batch(skus=skus)

    assert [(fields(p), list(p.price_map.items())) for p in found] == orm_batch(skus)


def test_batches_of_every_size_share_nothing_they_should_not(catalog):
    # Each number of skus compiles its own SQL; a later batch of another size, or of the
    # same size with other skus, reads its own products.
    for skus in (["MUG-1"], ["TV-65"], ["MUG-1", "TV-65"], ["OLD", "B_2"], ["B-10"]):
        assert [
            (fields(p), list(p.price_map.items())) for p in selectors.product_batch(skus=skus)
        ] == (orm_batch(skus))


def test_a_price_changed_since_the_last_read_is_read(catalog):
    selectors.product_batch(skus=["MUG-1", "TV-65"])
    Price.objects.filter(product__sku="MUG-1", currency="USD").update(amount="8.00")
    Price.objects.filter(product__sku="TV-65").delete()

    found = selectors.product_batch(skus=["MUG-1", "TV-65"])

    assert [list(p.price_map.items()) for p in found] == [
        [("EUR", Decimal("6.90")), ("GBP", Decimal("5.99")), ("USD", Decimal("8.00"))],
        [],
    ]


def test_nothing_asked_is_nothing_read(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors.product_batch(skus=[]) == []
