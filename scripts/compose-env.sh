#!/usr/bin/env bash
# Print compose variables with fresh random secrets (KEY=VALUE lines, for .env).
set -euo pipefail
rand() { python3 -c "import secrets; print(secrets.token_urlsafe($1))"; }
cat <<ENV
SECRET_KEY=$(rand 48)
POSTGRES_PASSWORD=$(rand 24)
DISCOUNT_DB_PASSWORD=$(rand 24)
PAYMENT_DB_PASSWORD=$(rand 24)
CART_DB_PASSWORD=$(rand 24)
CATALOG_DB_PASSWORD=$(rand 24)
DISCOUNT_ADMIN_TOKEN=$(rand 24)
DISCOUNT_SERVICE_TOKEN=$(rand 24)
PAYMENT_SERVICE_TOKEN=$(rand 24)
PAYMENT_LEDGER_TOKEN=$(rand 24)
CART_ADMIN_TOKEN=$(rand 24)
CATALOG_ADMIN_TOKEN=$(rand 24)
ENV
