"""catalog_service's business metrics (the HTTP and DB ones are servicekit's)."""

from django.conf import settings
from prometheus_client import Counter

from products.domain import PriceChange

PRODUCT_WRITES = Counter(
    "catalog_product_writes_total",
    "What admins did to products, by action: created; and per PATCH that changed it, "
    "renamed, repriced (its price map), deactivated, reactivated.",
    ["action"],
)
PRICE_CHANGES = Counter(
    "catalog_price_changes_total",
    "Prices written, by currency and change: added (now sold in it, a create included), "
    "changed (a new amount), removed (no longer sold in it).",
    ["currency", "change"],
)
SKU_LOOKUPS = Counter(
    "catalog_sku_lookups_total",
    "Skus asked for by sku (one product, or a batch read), by result: found (active), "
    "inactive, not_found.",
    ["result"],
)
for _action in ("created", "renamed", "repriced", "deactivated", "reactivated"):
    PRODUCT_WRITES.labels(_action)
for _currency in settings.CURRENCIES:
    for _change in PriceChange:
        PRICE_CHANGES.labels(_currency, _change.value)
for _result in ("found", "inactive", "not_found"):
    SKU_LOOKUPS.labels(_result)
