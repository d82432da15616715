"""Reads of products, each with its prices (one more query, however many products)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q, QuerySet

from products.domain import is_valid_sku, normalise_sku
from products.errors import ProductNotFound
from products.metrics import SKU_LOOKUPS
from products.models import Price, Product, amounts_by_currency
from servicekit.perf.db import CompiledLookup


def _products() -> QuerySet[Product]:
    return Product.objects.prefetch_related("prices").order_by("sku")


def product_list(*, active: bool | None = None, search: str = "") -> QuerySet[Product]:
    """Products by sku; ``search`` is a sku prefix or a part of the name, any case."""
    products = _products()
    if active is not None:
        products = products.filter(active=active)
    if text := search.strip():
        # Skus are stored upper-cased, so a plain prefix match is case-insensitive.
        products = products.filter(Q(sku__startswith=normalise_sku(text)) | Q(name__icontains=text))
    return products


def product_batch(*, skus: list[str]) -> list[Product]:
    """The products with these (normalised) skus, by sku; unknown skus are simply absent.

    cart_service's read of a cart's skus, on the checkout path: the two queries that
    ``_products().filter(sku__in=skus)`` runs, compiled once (``servicekit.perf.db``).
    """
    found = _by_skus(skus)
    _with_prices(found)
    _count_lookups(found, asked=len(skus))
    return found


# The batch read's queries: the products, by sku (the queryset's order, as _products()),
# then their prices; each compiled once per number of skus or products.
_by_skus = CompiledLookup(lambda: Product.objects.order_by("sku"), "sku__in")
_prices_of = CompiledLookup(lambda: Price.objects.order_by(), "product__in")


def _with_prices(products: list[Product]) -> None:
    """Each product's ``price_map`` in one query, as prefetching ``prices`` builds it."""
    if not products:
        return
    prices: dict[int, list[Price]] = defaultdict(list)
    for price in _prices_of([p.pk for p in products]):
        prices[price.product_id].append(price)
    for product in products:
        product.price_map = amounts_by_currency(prices[product.pk])


def product_get(*, sku: str) -> Product:
    """The product with this sku, looked up the way skus are stored (trimmed, upper-case)."""
    normalised = normalise_sku(sku)
    product = _products().filter(sku=normalised).first() if is_valid_sku(normalised) else None
    _count_lookups([product] if product else [], asked=1)
    if product is None:
        raise ProductNotFound(f"No product with sku {normalised!r}.")
    return product


def product_locked(*, sku: str) -> Product:
    """The product row, locked until the surrounding transaction ends (call inside one)."""
    normalised = normalise_sku(sku)
    product = (
        Product.objects.select_for_update().filter(sku=normalised).first()
        if is_valid_sku(normalised)
        else None
    )
    if product is None:
        raise ProductNotFound(f"No product with sku {normalised!r}.")
    return product


def _count_lookups(found: list[Product], *, asked: int) -> None:
    inactive = sum(1 for p in found if not p.active)
    SKU_LOOKUPS.labels("found").inc(len(found) - inactive)
    SKU_LOOKUPS.labels("inactive").inc(inactive)
    SKU_LOOKUPS.labels("not_found").inc(asked - len(found))
