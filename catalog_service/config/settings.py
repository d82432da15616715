"""catalog_service settings; every variable is documented in README.md and .env.example."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from servicekit.settings import base_settings, env_int, env_token

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    base_settings(
        service="catalog_service", base_dir=BASE_DIR, apps=["products"], title="catalog_service"
    )
)

CATALOG_ADMIN_TOKEN = env_token("CATALOG_ADMIN_TOKEN")
API_TOKENS = {"admin": CATALOG_ADMIN_TOKEN}

# How long a client (cart_service) or a cache may reuse a read without asking again:
# Cache-Control: public, max-age=N on every 200 read, with an ETag to revalidate it.
# Bounded, so a price change reaches every cart within that many seconds.
CATALOG_CACHE_MAX_AGE = env_int("CATALOG_CACHE_MAX_AGE", 5)
CATALOG_CACHE_MAX_AGE_LIMIT = 300
if not 0 <= CATALOG_CACHE_MAX_AGE <= CATALOG_CACHE_MAX_AGE_LIMIT:
    raise ImproperlyConfigured(
        f"CATALOG_CACHE_MAX_AGE must be a number of seconds from 0 to {CATALOG_CACHE_MAX_AGE_LIMIT}."
    )

# The operators' console (/admin/, servicekit.operators): what operators-read sees, and what
# operators-act may do besides (put products on sale, edit them and their prices).
OPERATORS_APPS = ["products"]
OPERATORS_ACT_PERMISSIONS = ["products.add_product", "products.change_product"]
