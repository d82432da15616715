"""Where the end-to-end suite finds the system: tokens and, in compose mode, base URLs."""

import os

TOKENS = {
    "DISCOUNT_ADMIN_TOKEN": os.environ.get("DISCOUNT_ADMIN_TOKEN", "dev-admin-token"),
    "DISCOUNT_SERVICE_TOKEN": os.environ.get(
        "DISCOUNT_SERVICE_TOKEN", "dev-discount-service-token"
    ),
    "PAYMENT_SERVICE_TOKEN": os.environ.get("PAYMENT_SERVICE_TOKEN", "dev-payment-service-token"),
    "PAYMENT_LEDGER_TOKEN": os.environ.get("PAYMENT_LEDGER_TOKEN", "dev-payment-ledger-token"),
    "CART_ADMIN_TOKEN": os.environ.get("CART_ADMIN_TOKEN", "dev-cart-admin-token"),
}
# Compose mode: the stack is given by these variables instead of started by the suite.
COMPOSE_MODE = bool(os.environ.get("E2E_CART_URL"))
