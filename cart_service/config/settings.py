"""cart_service settings; every variable is documented in README.md and .env.example."""

from pathlib import Path

from servicekit.settings import (
    base_settings,
    env_float,
    env_int,
    env_rate,
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

# Every downstream call: (connect, read) timeouts in seconds, retries of
# idempotent requests with exponential backoff, all within a total time budget.
DOWNSTREAM_CONNECT_TIMEOUT = env_float("DOWNSTREAM_CONNECT_TIMEOUT", 1.0)
DOWNSTREAM_READ_TIMEOUT = env_float("DOWNSTREAM_READ_TIMEOUT", 3.0)
DOWNSTREAM_RETRIES = env_int("DOWNSTREAM_RETRIES", 2)
DOWNSTREAM_BACKOFF = env_float("DOWNSTREAM_BACKOFF", 0.2)
DOWNSTREAM_TIME_BUDGET = env_float("DOWNSTREAM_TIME_BUDGET", 8.0)

# Refused discount-code attempts allowed per client address and per cart (carts.throttle),
# counted in the database so all workers and replicas share them.
CART_CODE_ATTEMPTS_PER_ADDRESS = env_rate("CART_CODE_ATTEMPTS_PER_ADDRESS", "30/hour")
CART_CODE_ATTEMPTS_PER_CART = env_rate("CART_CODE_ATTEMPTS_PER_CART", "10/hour")
# How many proxies in front append to X-Forwarded-For; 0: the client is REMOTE_ADDR.
CART_TRUSTED_PROXIES = env_int("CART_TRUSTED_PROXIES", 0)

# At most this many lines (distinct sku and unit price) in a cart, and items in one POST.
CART_MAX_LINES = env_int("CART_MAX_LINES", 100)

# PATCH /items/{id}/ requires its one field; document it as such, not as a partial body.
SPECTACULAR_SETTINGS["COMPONENT_SPLIT_PATCH"] = False  # noqa: F821 - set by base_settings
