"""Product skus, normalised one way for every service that reads them (catalog_service
keeps them; cart_service prices its lines by them).

A sku is normalised exactly as a discount code is (``servicekit.codes``): surrounding
ASCII blanks trimmed, ASCII letters upper-cased, anything else left as it is, so Unicode
never turns into a valid ASCII sku. Only the allowed shape differs.
"""

from __future__ import annotations

import re

from servicekit.codes import normalise_code

SKU_MAX_LENGTH = 64
SKU_PATTERN = re.compile(rf"[A-Z0-9_-]{{1,{SKU_MAX_LENGTH}}}")
SKU_RULE = f"1 to {SKU_MAX_LENGTH} characters of A-Z, 0-9, '-' and '_'."


def normalise_sku(raw: str) -> str:
    """Trim surrounding blanks and upper-case ASCII letters only (as for discount codes)."""
    return normalise_code(raw)


def is_valid_sku(sku: str) -> bool:
    """Whether an already normalised sku has the allowed shape."""
    return SKU_PATTERN.fullmatch(sku) is not None
