"""Client of catalog_service: the products a cart's lines name, with their prices."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from carts import errors
from carts.clients.http import ProviderClient
from carts.clients.replies import Money, Reply, Text
from carts.clients.wiring import shared_client

logger = logging.getLogger(__name__)

# Skus per batch read: 50 of the longest (64 characters) fit catalog_service's request line
# (gunicorn's 4,094 bytes: 28 for the path and version, each sku its length plus 5).
BATCH = 50


class Product(Reply):
    sku: Text
    name: Text
    active: bool
    prices: dict[str, Money]  # by currency; a currency absent: not sold in it


class ProductBatch(Reply):
    results: list[Product]


class CatalogClient(ProviderClient):
    provider = "catalog_service"
    unavailable = errors.CatalogServiceUnavailable

    def products(self, skus: Iterable[str]) -> dict[str, Product]:
        """The products with these skus (normalised), by sku; an unknown sku is absent.

        One batch read per BATCH skus (``GET /api/products/?sku=…&sku=…``).
        """
        wanted = list(dict.fromkeys(skus))
        found: dict[str, Product] = {}
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            response = self.request(
                "GET",
                self.url("api", "products"),
                idempotent=True,
                params=[("sku", sku) for sku in chunk],
            )
            if response.status_code != 200:
                self.fail(response, f"unexpected HTTP {response.status_code}")
            for product in self.reply(ProductBatch, response).results:
                found[product.sku] = product
        return found


def from_settings() -> CatalogClient:
    """This process's client, configured from Django settings (read now, not at import)."""
    from django.conf import settings

    return shared_client(CatalogClient, settings.CATALOG_SERVICE_URL, "")
