"""discount_service settings; every variable is documented in README.md and .env.example."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from servicekit.settings import base_settings, env_token, is_production

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    base_settings(
        service="discount_service", base_dir=BASE_DIR, apps=["discounts"], title="discount_service"
    )
)

DISCOUNT_ADMIN_TOKEN = env_token("DISCOUNT_ADMIN_TOKEN")
DISCOUNT_SERVICE_TOKEN = env_token("DISCOUNT_SERVICE_TOKEN")
if is_production() and DISCOUNT_ADMIN_TOKEN == DISCOUNT_SERVICE_TOKEN:
    # One token for both roles would let cart_service (or whoever holds its token) manage discounts.
    raise ImproperlyConfigured("DISCOUNT_ADMIN_TOKEN must differ from DISCOUNT_SERVICE_TOKEN.")
API_TOKENS = {"admin": DISCOUNT_ADMIN_TOKEN, "service": DISCOUNT_SERVICE_TOKEN}

# The operators' console (/admin/, servicekit.operators): what operators-read sees, and what
# operators-act may do besides (create, edit and deactivate codes; see README, Operators).
OPERATORS_APPS = ["discounts"]
OPERATORS_ACT_PERMISSIONS = ["discounts.add_discount", "discounts.change_discount"]
