"""The services' tokens as the test layers know them: the environment's, else the development ones."""

import os

TOKENS = {
    "DISCOUNT_ADMIN_TOKEN": os.environ.get("DISCOUNT_ADMIN_TOKEN", "dev-admin-token"),
    "DISCOUNT_SERVICE_TOKEN": os.environ.get(
        "DISCOUNT_SERVICE_TOKEN", "dev-discount-service-token"
    ),
    "PAYMENT_SERVICE_TOKEN": os.environ.get("PAYMENT_SERVICE_TOKEN", "dev-payment-service-token"),
    "PAYMENT_LEDGER_TOKEN": os.environ.get("PAYMENT_LEDGER_TOKEN", "dev-payment-ledger-token"),
    "CART_ADMIN_TOKEN": os.environ.get("CART_ADMIN_TOKEN", "dev-cart-admin-token"),
    "CATALOG_ADMIN_TOKEN": os.environ.get("CATALOG_ADMIN_TOKEN", "dev-catalog-admin-token"),
    "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", "dev-metrics-token"),
}
