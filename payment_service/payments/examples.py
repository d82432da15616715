"""Request and response examples for the docs page (/api/docs/), as docs/api.md shows them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

PAYMENT_ID = "0b6f7c2e-1d3a-4f5b-9c8d-7e6f5a4b3c2d"
REFERENCE = "cart:5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
SUCCEEDED = {
    "id": PAYMENT_ID,
    "reference": REFERENCE,
    "amount": "13.50",
    "currency": "USD",
    "status": "succeeded",
    "decline_code": None,
    "amount_refunded": "0.00",
    "refund_status": "none",
    "created_at": "2026-11-21T10:00:00Z",
}
DECLINED = {
    **SUCCEEDED,
    "amount": "25.00",
    "status": "declined",
    "decline_code": "insufficient_funds",
}

CREATE = [
    OpenApiExample(
        "Charge a cart's total",
        value={"reference": REFERENCE, "amount": "13.50", "currency": "USD"},
        request_only=True,
    ),
    OpenApiExample(
        "Succeeded (below the approval limit)",
        value=SUCCEEDED,
        response_only=True,
        status_codes=["201"],
    ),
    OpenApiExample(
        "Declined (20.00 or more)",
        value=DECLINED,
        response_only=True,
        status_codes=["201"],
    ),
]
A_PAYMENT = OpenApiExample(
    "A succeeded payment", value=SUCCEEDED, response_only=True, status_codes=["200"]
)
KEY = OpenApiExample(
    "cart_service's key: the cart, its attempt and the cart's random secret",
    value="cart-5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d-attempt-1-7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c2e",
)
PAYMENT_ID_EXAMPLE = OpenApiExample("A payment", value=PAYMENT_ID)
REFERENCE_EXAMPLE = OpenApiExample("A cart's payments", value=REFERENCE)

REFUND_ID = "3c2d1e0f-9a8b-4c7d-8e6f-5a4b3c2d1e0f"
REFUNDED = {
    "id": REFUND_ID,
    "payment_id": PAYMENT_ID,
    "amount": "5.00",
    "currency": "USD",
    "reason": "one mug arrived broken",
    "status": "succeeded",
    "failure_code": None,
    "created_at": "2026-11-22T09:30:00Z",
}
REFUND_KEY = OpenApiExample(
    "cart_service's key: the cart, its refund and the cart's random secret",
    value="cart-5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d-refund-1-7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c2e",
)
REFUND_CREATE = [
    OpenApiExample(
        "Refund part of a payment",
        value={"amount": "5.00", "reason": "one mug arrived broken"},
        request_only=True,
    ),
    OpenApiExample("Refund all that is left", value={}, request_only=True),
    OpenApiExample("Refunded", value=REFUNDED, response_only=True, status_codes=["201"]),
    OpenApiExample(
        "Declined by the processor (exactly PAYMENT_REFUND_FAILING_AMOUNT)",
        value={
            **REFUNDED,
            "amount": "13.13",
            "status": "failed",
            "failure_code": "refund_declined",
        },
        response_only=True,
        status_codes=["201"],
    ),
]
A_REFUND = OpenApiExample("A refund", value=REFUNDED, response_only=True, status_codes=["200"])
A_REFUND_LISTED = OpenApiExample(
    "A payment's refunds",
    value={"count": 1, "next": None, "previous": None, "results": [REFUNDED]},
    response_only=True,
    status_codes=["200"],
)
