"""Provider states for Pact verification (mounted only when PACT_PROVIDER_STATES=1).

Params arrive as JSON; each is validated and a bad one raises StateError (400),
never a 500, which the verifier would retry for minutes. Each setup answers what it
made, so a consumer can use the values it was given (provider-state injected values).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from rest_framework import serializers

from products.domain import NAME_MAX_LENGTH, SKU_RULE, is_valid_sku, normalise_sku
from products.models import Product
from products.serializers import PricesField, ProductOut, SkuField
from products.services import product_insert
from servicekit.fields import StrictCharField
from servicekit.provider_states import (
    Params,
    ProviderStates,
    StateBooleanField,
    StateCountField,
    StateMoneyField,
    validated,
)

states = ProviderStates()
# What a consumer gets when it names a state without params (documented in README).
DEFAULT_SKU = "MUG-1"
DEFAULT_NAME = "Mug"
DEFAULT_PRICES = {"USD": Decimal("7.50"), "EUR": Decimal("6.90")}
DEFAULT_PREFIX = "SKU-"
# Bounds the products one state creates.
MAX_STATE_COUNT = 1000


def _default_prices() -> dict[str, Decimal]:
    """The default prices in the currencies this deployment sells in."""
    return {c: a for c, a in DEFAULT_PRICES.items() if c in settings.CURRENCIES}


class _StatePricesField(PricesField):
    child = StateMoneyField()


class ProductStateIn(serializers.Serializer):
    sku = SkuField(default=DEFAULT_SKU)
    name = StrictCharField(max_length=NAME_MAX_LENGTH, default=DEFAULT_NAME)
    active = StateBooleanField(default=True)
    prices = _StatePricesField(default=_default_prices)


class NoProductStateIn(serializers.Serializer):
    sku = StrictCharField(default=None, allow_null=True, allow_blank=True, trim_whitespace=False)


class ProductsStateIn(serializers.Serializer):
    count = StateCountField(min_value=1, max_value=MAX_STATE_COUNT, default=3)
    prefix = StrictCharField(default=DEFAULT_PREFIX, allow_blank=True, trim_whitespace=False)
    name = StrictCharField(max_length=NAME_MAX_LENGTH - 10, default=DEFAULT_NAME)
    active = StateBooleanField(default=True)
    prices = _StatePricesField(default=_default_prices)

    def validate(self, attrs: dict) -> dict:
        width = len(str(attrs["count"]))
        attrs["skus"] = [
            normalise_sku(f"{attrs['prefix']}{n:0{width}d}") for n in range(1, attrs["count"] + 1)
        ]
        if not all(is_valid_sku(sku) for sku in attrs["skus"]):
            raise serializers.ValidationError({"prefix": [f"The skus it makes must be {SKU_RULE}"]})
        return attrs


@states.setup("a product exists")
def a_product_exists(params: Params) -> dict:
    """Create (or overwrite) the product; answers it as GET /api/products/{sku}/ would."""
    data = validated(ProductStateIn, params)
    product = _put_product(data["sku"], data["name"], data["active"], data["prices"])
    return ProductOut(product).data


@states.setup("products exist")
def products_exist(params: Params) -> dict:
    """``count`` products, skus ``prefix`` + 1, 2, ... (zero-padded), named ``name`` 1, 2, ...,
    all with the same ``active`` and ``prices``; answers ``{"count", "skus"}``."""
    data = validated(ProductsStateIn, params)
    for n, sku in enumerate(data["skus"], start=1):
        _put_product(sku, f"{data['name']} {n}", data["active"], data["prices"])
    return {"count": data["count"], "skus": data["skus"]}


@states.setup("no product exists")
def no_product_exists(params: Params) -> dict:
    """Without ``sku``, no product at all exists afterwards; answers ``{"sku"}`` when given."""
    sku = validated(NoProductStateIn, params)["sku"]
    if not sku:
        Product.objects.all().delete()
        return {}
    normalised = normalise_sku(sku)
    Product.objects.filter(sku=normalised).delete()
    return {"sku": normalised}


@states.teardown_all
def teardown_all() -> None:
    Product.objects.all().delete()  # their prices with them (on_delete=CASCADE)


def _put_product(sku: str, name: str, active: bool, prices: dict[str, Decimal]) -> Product:
    Product.objects.filter(sku=sku).delete()
    return product_insert(sku=sku, name=name, active=active, prices=prices)
