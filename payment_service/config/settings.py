"""payment_service settings; every variable is documented in README.md and .env.example."""

import math
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from servicekit.money import MoneyError, parse_money
from servicekit.settings import base_settings, env_float, env_token

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    base_settings(
        service="payment_service", base_dir=BASE_DIR, apps=["payments"], title="payment_service"
    )
)

PAYMENT_SERVICE_TOKEN = env_token("PAYMENT_SERVICE_TOKEN")
# The ledger (an operator's or accounting's client) reads payments and refunds, never moves money.
PAYMENT_LEDGER_TOKEN = env_token("PAYMENT_LEDGER_TOKEN")
API_TOKENS = {"service": PAYMENT_SERVICE_TOKEN, "ledger": PAYMENT_LEDGER_TOKEN}

try:
    # An amount strictly below the limit is approved; at or above it is declined.
    PAYMENT_APPROVAL_LIMIT = parse_money(os.environ.get("PAYMENT_APPROVAL_LIMIT", "20.00"))
except MoneyError as exc:
    raise ImproperlyConfigured(f"PAYMENT_APPROVAL_LIMIT: {exc}") from exc

try:
    # The stand-in processor declines a refund of exactly this amount (status failed, nothing
    # given back): a deterministic failing refund for consumers' tests, as the approval
    # limit is for declined payments.
    PAYMENT_REFUND_FAILING_AMOUNT = parse_money(
        os.environ.get("PAYMENT_REFUND_FAILING_AMOUNT", "13.13")
    )
except MoneyError as exc:
    raise ImproperlyConfigured(f"PAYMENT_REFUND_FAILING_AMOUNT: {exc}") from exc

# A claim on an Idempotency-Key left in progress longer than this (seconds) is taken to
# be abandoned by a crashed process and may be taken over; see README "Idempotency".
PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT = env_float("PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT", 30.0)
if not (math.isfinite(PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT) and PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT > 0):
    raise ImproperlyConfigured("PAYMENT_IDEMPOTENCY_LOCK_TIMEOUT must be a number of seconds > 0.")

# Idempotency-Keys are kept at least 24 hours (as Stripe does), then removed by
# `manage.py purge_idempotency_keys`. cart_service settles its attempts long before.
PAYMENT_IDEMPOTENCY_KEY_RETENTION = env_float("PAYMENT_IDEMPOTENCY_KEY_RETENTION", 86400.0)
if not (
    math.isfinite(PAYMENT_IDEMPOTENCY_KEY_RETENTION) and PAYMENT_IDEMPOTENCY_KEY_RETENTION >= 86400
):
    raise ImproperlyConfigured("PAYMENT_IDEMPOTENCY_KEY_RETENTION must be at least 86400 seconds.")

# The operators' console (/admin/, servicekit.operators): read-only for everyone (money moves
# only through the API), so both groups only look.
OPERATORS_APPS = ["payments"]
OPERATORS_ACT_PERMISSIONS: list[str] = []
