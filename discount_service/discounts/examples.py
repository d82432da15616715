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
    "minimum_subtotal": None,
    "minimum_items": None,
    "skus": None,
    "single_use_codes": False,
    "codes_issued": 0,
}
REDEMPTION = {"code": "SAVE10", "cart_id": CART_ID, "created_at": "2026-11-21T10:00:00Z"}
OVER_50 = {
    "code": "OVER50",
    "kind": "percent",
    "value": "10.00",
    "currency": "USD",
    "minimum_subtotal": "50.00",
    "description": "10 % off orders over 50.00 USD",
}
MUGS = {
    "code": "MUGS20",
    "kind": "percent",
    "value": "20.00",
    "skus": ["MUG-1", "MUG-2"],
    "description": "20 % off mugs",
}
NEWSLETTER = {
    "code": "NEWSLETTER",
    "kind": "fixed",
    "value": "5.00",
    "currency": "EUR",
    "single_use_codes": True,
    "max_redemptions": 5000,
    "description": "5 euros off, one code per newsletter reader",
}
CART = {
    "currency": "USD",
    "items": [
        {"sku": "MUG-1", "quantity": 2, "unit_price": "7.50"},
        {"sku": "TEE-3", "quantity": 1, "unit_price": "22.50"},
    ],
}
ISSUED = ["NEWS-7K3MQ9ZD2XWA", "NEWS-2B8RJ4NCV6TE"]


def _problem(code: str, title: str, detail: str, **facts: object) -> dict:
    return {
        "type": f"https://errors.checkout.example/{code.replace('_', '-')}",
        "title": title,
        "status": 422,
        "detail": detail,
        "code": code,
        **facts,
    }


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
    OpenApiExample("10 % off orders over 50.00 USD", value=OVER_50, request_only=True),
    OpenApiExample("20 % off mugs", value=MUGS, request_only=True),
    OpenApiExample("A promotion of single-use codes", value=NEWSLETTER, request_only=True),
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
    OpenApiExample(
        "A cart redeems a promotion's code",
        value={"cart_id": CART_ID, "cart": CART},
        request_only=True,
        description="With the cart as it is checked out: required for a discount with rules.",
    ),
    _response("The redemption", REDEMPTION, "201", "200"),
    _response("Through an issued code", {**REDEMPTION, "code": ISSUED[0]}, "201"),
]
ELIGIBILITY = [
    OpenApiExample("A cart of 37.50 USD", value={"cart": CART}, request_only=True),
    _response(
        "20 % off mugs, for a cart with mugs",
        {**DISCOUNT, **MUGS, "max_redemptions": None, "times_redeemed": 0},
        "200",
    ),
    _response(
        "Below the minimum",
        _problem(
            "discount_minimum_not_met",
            "Discount minimum not met",
            "The discount needs a subtotal of 50.00 USD: add 12.50 more.",
            minimum_subtotal="50.00",
            currency="USD",
            missing="12.50",
        ),
        "422",
    ),
]
ISSUE = [
    OpenApiExample(
        "Ten thousand codes for the newsletter",
        value={"count": 10000, "prefix": "news-"},
        request_only=True,
    ),
    _response(
        "Two codes",
        {
            "discount": {
                **DISCOUNT,
                **NEWSLETTER,
                "times_redeemed": 0,
                "codes_issued": 2,
                "ends_at": None,
            },
            "prefix": "NEWS-",
            "count": 2,
            "codes": ISSUED,
        },
        "201",
    ),
]
ISSUED_CODES = [
    _response(
        "A used code",
        {
            "code": ISSUED[0],
            "status": "used",
            "cart_id": CART_ID,
            "redeemed_at": "2026-12-08T10:00:00Z",
            "created_at": "2026-12-07T09:00:00Z",
        },
        "200",
    ),
]
