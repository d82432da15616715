"""Request and response examples for the docs page (/api/docs/), as docs/api.md shows them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

CART_ID = "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

DISCOUNT = {
    "code": "SAVE10",
    "description": "Ten percent off",
    "kind": "percent",
    "value": "10.00",
    "currency": None,
    "starts_at": "2026-01-01T00:00:00Z",
    "ends_at": "2026-12-31T23:59:59Z",
    "max_redemptions": 100,
    "times_redeemed": 3,
    "is_active": True,
    "status": "active",
    "created_at": "2026-01-01T00:00:00Z",
}
REDEMPTION = {"code": "SAVE10", "cart_id": CART_ID, "created_at": "2026-11-21T10:00:00Z"}


def _response(name: str, value: dict, *status_codes: str) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=status_codes)


A_DISCOUNT = _response("A percent discount", DISCOUNT, "200", "201")
CREATE = [
    OpenApiExample(
        "Ten percent off for 100 uses",
        value={
            "code": "save10",
            "kind": "percent",
            "value": "10.00",
            "description": "Ten percent off",
            "ends_at": "2026-12-31T23:59:59Z",
            "max_redemptions": 100,
        },
        request_only=True,
    ),
    OpenApiExample(
        "Five euros off",
        value={"code": "FIVE-EUR", "kind": "fixed", "value": "5.00", "currency": "EUR"},
        request_only=True,
    ),
    _response("A percent discount", {**DISCOUNT, "times_redeemed": 0}, "201"),
]
UPDATE = [
    OpenApiExample(
        "Pause a discount", value={"is_active": False}, request_only=True, summary="Pause it"
    ),
    OpenApiExample(
        "Extend and raise the limit",
        value={"ends_at": "2027-03-31T23:59:59Z", "max_redemptions": 500},
        request_only=True,
    ),
    _response(
        "The changed discount", {**DISCOUNT, "is_active": False, "status": "inactive"}, "200"
    ),
]
REDEEM = [
    OpenApiExample("A cart redeems the code", value={"cart_id": CART_ID}, request_only=True),
    _response("The redemption", REDEMPTION, "201", "200"),
]
