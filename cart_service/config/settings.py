"""cart_service settings; every variable is documented in README.md and .env.example."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from servicekit.settings import (
    base_settings,
    env_float,
    env_int,
    env_rate,
    env_str,
    env_token,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    base_settings(service="cart_service", base_dir=BASE_DIR, apps=["carts"], title="cart_service")
)

CART_ADMIN_TOKEN = env_token("CART_ADMIN_TOKEN")
API_TOKENS = {"admin": CART_ADMIN_TOKEN}

# The providers cart_service calls, and the tokens it presents to them.
DISCOUNT_SERVICE_URL = env_url("DISCOUNT_SERVICE_URL", "http://127.0.0.1:8001")
DISCOUNT_SERVICE_TOKEN = env_token("DISCOUNT_SERVICE_TOKEN")
PAYMENT_SERVICE_URL = env_url("PAYMENT_SERVICE_URL", "http://127.0.0.1:8003")
PAYMENT_SERVICE_TOKEN = env_token("PAYMENT_SERVICE_TOKEN")
# catalog_service prices every line; its reads take no token.
CATALOG_SERVICE_URL = env_url("CATALOG_SERVICE_URL", "http://127.0.0.1:8004")
# A line's price is the catalog's, confirmed no longer ago than this (seconds) when the cart
# is charged: a checkout of a cart priced longer ago asks the catalog again, and if any price
# moved, re-prices the cart and charges nothing (409 prices_changed).
CART_PRICE_MAX_AGE = env_float("CART_PRICE_MAX_AGE", 300.0)
if not 0 < CART_PRICE_MAX_AGE <= 86400:
    raise ImproperlyConfigured("CART_PRICE_MAX_AGE must be a number of seconds in (0, 86400].")

# Every downstream call: (connect, read) timeouts in seconds, retries of
# idempotent requests with exponential backoff, all within a total time budget.
DOWNSTREAM_CONNECT_TIMEOUT = env_float("DOWNSTREAM_CONNECT_TIMEOUT", 1.0)
DOWNSTREAM_READ_TIMEOUT = env_float("DOWNSTREAM_READ_TIMEOUT", 3.0)
DOWNSTREAM_RETRIES = env_int("DOWNSTREAM_RETRIES", 2)
DOWNSTREAM_BACKOFF = env_float("DOWNSTREAM_BACKOFF", 0.2)
DOWNSTREAM_TIME_BUDGET = env_float("DOWNSTREAM_TIME_BUDGET", 8.0)

# The reconciler (manage.py reconcile_checkouts): it settles attempts unresolved for longer
# than CART_RECONCILE_AFTER seconds and gives back uses nobody needs, every
# CART_RECONCILE_INTERVAL seconds with --loop.
CART_RECONCILE_AFTER = env_float("CART_RECONCILE_AFTER", 60.0)
CART_RECONCILE_INTERVAL = env_float("CART_RECONCILE_INTERVAL", 30.0)
# How long payment_service keeps an Idempotency-Key (its PAYMENT_IDEMPOTENCY_KEY_RETENTION;
# at least 24 h). A replay is safe only while the key exists: after half of this the
# reconciler only looks the payment up by reference, never charges again.
PAYMENT_IDEMPOTENCY_KEY_RETENTION = env_float("PAYMENT_IDEMPOTENCY_KEY_RETENTION", 86400.0)
CART_REPLAY_LIMIT = PAYMENT_IDEMPOTENCY_KEY_RETENTION / 2
# A reconciler's claim on a cart or a release: longer than the calls it makes for it.
CART_RECONCILE_LEASE = 3 * DOWNSTREAM_TIME_BUDGET + 10
for _name in ("CART_RECONCILE_AFTER", "CART_RECONCILE_INTERVAL"):
    if not 0 < globals()[_name] < 86400:
        raise ImproperlyConfigured(f"{_name} must be a number of seconds between 0 and 86400.")
# Attempts must be settled long before their keys can expire at payment_service: a pass
# reaches every attempt within AFTER + INTERVAL (+ its own calls), so require a tenth.
if CART_RECONCILE_AFTER + CART_RECONCILE_INTERVAL + CART_RECONCILE_LEASE > (
    PAYMENT_IDEMPOTENCY_KEY_RETENTION / 10
):
    raise ImproperlyConfigured(
        "CART_RECONCILE_AFTER + CART_RECONCILE_INTERVAL must stay far below the "
        "Idempotency-Key retention of payment_service (a tenth of "
        "PAYMENT_IDEMPOTENCY_KEY_RETENTION), so attempts are settled before keys expire."
    )

# `reconcile_checkouts --loop` serves its own metrics (passes, actions) in the Prometheus
# format at http://CART_RECONCILER_METRICS_BIND/ (host:port); unset: not served. A port of
# its own without a token: bind it to loopback or to a port only Prometheus can reach.
CART_RECONCILER_METRICS_BIND = env_str("CART_RECONCILER_METRICS_BIND", "")

# Refused discount-code attempts allowed per client address and per cart (carts.throttle),
# counted in the database so all workers and replicas share them.
CART_CODE_ATTEMPTS_PER_ADDRESS = env_rate("CART_CODE_ATTEMPTS_PER_ADDRESS", "30/hour")
CART_CODE_ATTEMPTS_PER_CART = env_rate("CART_CODE_ATTEMPTS_PER_CART", "10/hour")
# Checkouts that charged nothing (declined or refused) per address and per cart, and carts
# created per address: card testing and cart flooding (carts.throttle).
CART_CHECKOUT_ATTEMPTS_PER_ADDRESS = env_rate("CART_CHECKOUT_ATTEMPTS_PER_ADDRESS", "20/hour")
CART_CHECKOUT_ATTEMPTS_PER_CART = env_rate("CART_CHECKOUT_ATTEMPTS_PER_CART", "5/hour")
CART_CREATES_PER_ADDRESS = env_rate("CART_CREATES_PER_ADDRESS", "60/minute")
# How many proxies in front append to X-Forwarded-For; 0: the client is REMOTE_ADDR.
CART_TRUSTED_PROXIES = env_int("CART_TRUSTED_PROXIES", 0)

# At most this many lines (distinct sku and unit price) in a cart, and items in one POST.
CART_MAX_LINES = env_int("CART_MAX_LINES", 100)

# PATCH /items/{id}/ requires its one field; document it as such, not as a partial body.
SPECTACULAR_SETTINGS: dict[str, Any] = globals()["SPECTACULAR_SETTINGS"]  # base_settings'
SPECTACULAR_SETTINGS["COMPONENT_SPLIT_PATCH"] = False

# The operators' console (/admin/, servicekit.operators): what operators-read sees, and what
# operators-act may do besides (the cart actions; see README, Operators).
OPERATORS_APPS = ["carts"]
OPERATORS_ACT_PERMISSIONS = ["carts.settle_cart", "carts.release_hold", "carts.refund_cart"]
