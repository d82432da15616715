"""Request and response examples for the docs page (/api/docs/), as docs/api.md shows them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

CART_ID = "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ITEM_ID = "9a7e6d5c-4b3a-4f2e-8d1c-0b9a8f7e6d5c"
ITEM = {
    "id": ITEM_ID,
    "sku": "MUG-1",
    "name": "Mug",
    "unit_price": "7.50",
    "quantity": 2,
    "line_total": "15.00",
}
EMPTY = {
    "id": CART_ID,
    "currency": "USD",
    "items": [],
    "items_number": 0,
    "subtotal": "0.00",
    "discount": None,
    "amount_discounted": "0.00",
    "total": "0.00",
    "payment_status": "pending",
    "payment": None,
    "amount_refunded": "0.00",
    "created_at": "2026-11-21T10:00:00Z",
    "updated_at": "2026-11-21T10:00:00Z",
}
WITH_ITEM = {
    **EMPTY,
    "items": [ITEM],
    "items_number": 2,
    "subtotal": "15.00",
    "total": "15.00",
    "updated_at": "2026-11-21T10:01:00Z",
}
DISCOUNTED = {
    **WITH_ITEM,
    "discount": {"code": "SAVE10", "kind": "percent", "value": "10.00"},
    "amount_discounted": "1.50",
    "total": "13.50",
    "updated_at": "2026-11-21T10:02:00Z",
}
PAID = {
    **DISCOUNTED,
    "payment_status": "paid",
    "payment": {
        "id": "0b6f7c2e-1d3a-4f5b-9c8d-7e6f5a4b3c2d",
        "status": "succeeded",
        "decline_code": None,
    },
    "updated_at": "2026-11-21T10:03:00Z",
}
FAILED = {
    **WITH_ITEM,
    "items": [{**ITEM, "quantity": 4, "line_total": "30.00"}],
    "items_number": 4,
    "subtotal": "30.00",
    "total": "30.00",
    "payment_status": "failed",
    "payment": {
        "id": "1c7f8d3e-2e4b-4a6c-8d9e-8f7a6b5c4d3e",
        "status": "declined",
        "decline_code": "insufficient_funds",
    },
}


def response(name: str, value: dict, status: str = "200") -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status])


def request(name: str, value: dict) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


CREATE = [
    request("An empty cart", {"currency": "USD"}),
    request(
        "A cart with its first item",
        {
            "currency": "USD",
            "items": [{"sku": "MUG-1", "quantity": 2}],
        },
    ),
    response("An empty cart", EMPTY, "201"),
]
A_CART = response("A cart with a discount", DISCOUNTED)
LISTED = response("A pending cart", WITH_ITEM)
ADD_ITEM = [
    request("Two mugs", {"sku": "MUG-1", "quantity": 2}),
    request(
        "Two mugs, at the price the shopper saw",
        {"sku": "MUG-1", "quantity": 2, "unit_price": "7.50"},
    ),
    response("The cart with the item", WITH_ITEM, "201"),
]
UPDATE_ITEM = [
    request("Three of them", {"quantity": 3}),
    response(
        "The cart with the new quantity",
        {
            **WITH_ITEM,
            "items": [{**ITEM, "quantity": 3, "line_total": "22.50"}],
            "items_number": 3,
            "subtotal": "22.50",
            "total": "22.50",
        },
    ),
]
REMOVE_ITEM = response("The cart without the item", EMPTY)
APPLY_DISCOUNT = [
    request("A code, in any case", {"code": "save10"}),
    response("The cart with the discount", DISCOUNTED),
]
REMOVE_DISCOUNT = response("The cart without a discount", WITH_ITEM)
CHECKOUT = [
    response("Paid", PAID),
    response("Failed: the payment was declined (check out again)", FAILED),
]
CART_ID_EXAMPLE = OpenApiExample("A cart", value=CART_ID)
ITEM_ID_EXAMPLE = OpenApiExample("An item", value=ITEM_ID)

REFUNDED = {
    "id": "6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
    "number": 1,
    "kind": "partial",
    "amount": "5.00",
    "reason": "one mug arrived broken",
    "status": "succeeded",
    "failure_code": None,
    "payment_refund_id": "3c2d1e0f-9a8b-4c7d-8e6f-5a4b3c2d1e0f",
    "started_at": "2026-11-22T09:30:00Z",
    "settled_at": "2026-11-22T09:30:01Z",
}
REFUND = [
    request(
        "Five back: one mug arrived broken", {"amount": "5.00", "reason": "one mug arrived broken"}
    ),
    response("Refunded", REFUNDED, "201"),
    response("The same request again (same Idempotency-Key)", REFUNDED, "200"),
]
REFUNDS_LISTED = response(
    "The cart's refunds", {"count": 1, "next": None, "previous": None, "results": [REFUNDED]}
)
CANCEL = [
    request("The order was cancelled", {"reason": "the shopper cancelled the order"}),
    response(
        "Cancelled: all of it refunded",
        {**PAID, "payment_status": "cancelled", "amount_refunded": PAID["total"]},
    ),
]
