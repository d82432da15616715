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
