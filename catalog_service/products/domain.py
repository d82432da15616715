"""Catalog rules with no database: sku normalisation, batch reads, what a price change is."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal

# One rule for skus, written in servicekit and shared with cart_service.
from servicekit.skus import SKU_MAX_LENGTH, SKU_RULE, is_valid_sku, normalise_sku  # noqa: F401

# The most skus one batch read (GET /api/products/?sku=...&sku=...) may name.
MAX_BATCH_SKUS = 100
NAME_MAX_LENGTH = 200


class PriceChange(enum.StrEnum):
    ADDED = "added"  # now sold in a currency it was not sold in
    CHANGED = "changed"  # a new amount in a currency it was sold in
    REMOVED = "removed"  # no longer sold in that currency


def price_changes(
    before: Mapping[str, Decimal], after: Mapping[str, Decimal]
) -> dict[str, PriceChange]:
    """What replacing the price map ``before`` with ``after`` changes, per currency."""
    changes = {c: PriceChange.REMOVED for c in before if c not in after}
    for currency, amount in after.items():
        if currency not in before:
            changes[currency] = PriceChange.ADDED
        elif before[currency] != amount:
            changes[currency] = PriceChange.CHANGED
    return dict(sorted(changes.items()))


def batch_size_problem(count: int) -> str | None:
    """Why one batch read may not name ``count`` skus; None when it may."""
    if count > MAX_BATCH_SKUS:
        return f"At most {MAX_BATCH_SKUS} skus in one request; {count} were sent."
    return None


def well_formed_batch(raw: list[str]) -> list[str] | None:
    """The normalised skus of a batch read that has none of the problems the API refuses
    (too many, a malformed sku, one named twice); None if it has any."""
    if not raw or batch_size_problem(len(raw)) is not None:
        return None
    skus = [normalise_sku(sku) for sku in raw]
    if not all(map(is_valid_sku, skus)) or len(set(skus)) != len(skus):
        return None
    return skus


def repeated_skus(skus: list[str]) -> list[str]:
    """The (normalised) skus named more than once, each once, sorted."""
    return sorted(sku for sku, times in Counter(skus).items() if times > 1)
