"""Request and response examples for the docs page (/api/docs/), as docs/api.md shows them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

PRODUCT = {
    "sku": "MUG-1",
    "name": "Mug",
    "active": True,
    "prices": {"EUR": "6.90", "USD": "7.50"},
    "created_at": "2026-11-21T10:00:00Z",
    "updated_at": "2026-11-21T10:00:00Z",
}
TV = {
    "sku": "TV-65",
    "name": "65-inch television",
    "active": True,
    "prices": {"USD": "899.00"},
    "created_at": "2026-11-21T10:05:00Z",
    "updated_at": "2026-11-22T08:30:00Z",
}


def _response(name: str, value: dict, *status_codes: str, **kwargs) -> OpenApiExample:
    return OpenApiExample(
        name, value=value, response_only=True, status_codes=status_codes, **kwargs
    )


A_PRODUCT = _response("A mug sold in EUR and USD", PRODUCT, "200")
LISTED = [
    _response(
        "A page, or the answer to a batch read",
        {"count": 2, "next": None, "previous": None, "results": [PRODUCT, TV]},
        "200",
        description="`?sku=MUG-1&sku=TV-65&sku=NOPE`: both products found; the unknown "
        "NOPE is simply absent. Without `sku`, a page of the list.",
    ),
]
CREATE = [
    OpenApiExample(
        "A mug sold in EUR and USD",
        value={"sku": "mug-1", "name": "Mug", "prices": {"USD": "7.50", "EUR": "6.90"}},
        request_only=True,
    ),
    OpenApiExample(
        "Not on sale yet",
        value={"sku": "TV-65", "name": "65-inch television", "active": False, "prices": {}},
        request_only=True,
    ),
    _response("The new product", PRODUCT, "201"),
]
UPDATE = [
    OpenApiExample(
        "Reprice it (the whole map)",
        value={"prices": {"USD": "7.95", "EUR": "7.20", "GBP": "6.50"}},
        request_only=True,
    ),
    OpenApiExample("Deactivate it", value={"active": False}, request_only=True),
    _response(
        "The changed product",
        {
            **PRODUCT,
            "prices": {"EUR": "7.20", "GBP": "6.50", "USD": "7.95"},
            "updated_at": "2026-11-22T09:00:00Z",
        },
        "200",
    ),
]
