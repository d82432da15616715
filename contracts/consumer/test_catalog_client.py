"""cart_service → catalog_service, driven through cart_service's real CatalogClient.

What the cart needs of the catalog: one batch read of the skus it prices, public (no
token), each product's sku, name, active flag and price per currency. The storefront's pact
leans on these interactions too: they are the stand-in catalog while cart_service is
verified, so each request the storefront's interactions make the cart send is here.
"""

from __future__ import annotations

from decimal import Decimal

from pact import match

from carts.clients.catalog import CatalogClient
from contracts.common import money, timestamp


def client(srv) -> CatalogClient:
    return CatalogClient(str(srv.url), "", retries=0, time_budget=10.0)


def product(sku: str, name: str, prices: dict[str, str], *, active: bool = True) -> dict:
    return {
        "sku": sku,
        "name": match.str(name),
        "active": active,  # exact: the cart refuses an inactive product
        "prices": {currency: money(amount) for currency, amount in prices.items()},
        "created_at": timestamp(),
        "updated_at": timestamp(),
    }


def batch(*products: dict) -> dict:
    return {"count": len(products), "next": None, "previous": None, "results": list(products)}


def read(pact, description: str, skus: list[str]):
    interaction = pact.upon_receiving(description).with_request("GET", "/api/products/")
    for sku in skus:  # the parameter repeated, once per sku, in the order the cart asks
        interaction.with_query_parameter("sku", sku)
    return interaction


def test_the_products_of_a_cart_are_read_in_one_batch(catalog_pact):
    (
        read(catalog_pact, "a batch read of a product sold in two currencies", ["MUG-1"])
        .given(
            "a product exists",
            sku="MUG-1",
            name="Mug",
            prices={"USD": "6.75", "EUR": "6.20"},
        )
        .will_respond_with(200)
        .with_body(
            batch(product("MUG-1", "Mug", {"EUR": "6.20", "USD": "6.75"})),
            content_type="application/json",
        )
    )
    with catalog_pact.serve() as srv:
        found = client(srv).products(["MUG-1"])
    assert found["MUG-1"].name == "Mug"
    assert found["MUG-1"].prices == {"EUR": Decimal("6.20"), "USD": Decimal("6.75")}
    assert found["MUG-1"].active


def test_two_products_are_read_in_one_batch(catalog_pact):
    (
        read(catalog_pact, "a batch read of two products", ["MUG-1", "TV-65"])
        .given("a product exists", sku="MUG-1", name="Mug", prices={"USD": "7.50"})
        .given("a product exists", sku="TV-65", name="65 inch TV", prices={"USD": "1299.00"})
        .will_respond_with(200)
        .with_body(
            batch(
                product("MUG-1", "Mug", {"USD": "7.50"}),
                product("TV-65", "65 inch TV", {"USD": "1299.00"}),
            ),
            content_type="application/json",
        )
    )
    with catalog_pact.serve() as srv:
        found = client(srv).products(["MUG-1", "TV-65"])
    assert found["TV-65"].prices["USD"] == Decimal("1299.00")


def test_an_unknown_sku_is_left_out_of_the_answer(catalog_pact):
    (
        read(catalog_pact, "a batch read of a sku the catalog does not know", ["NOPE-1"])
        .given("no product exists", sku="NOPE-1")
        .will_respond_with(200)
        .with_body(batch(), content_type="application/json")
    )
    with catalog_pact.serve() as srv:
        assert client(srv).products(["NOPE-1"]) == {}


def test_an_inactive_product_is_read_with_its_flag(catalog_pact):
    (
        read(catalog_pact, "a batch read of a product no longer sold", ["GONE-1"])
        .given("a product exists", sku="GONE-1", name="Old mug", active=False)
        .will_respond_with(200)
        .with_body(
            batch(product("GONE-1", "Old mug", {"EUR": "6.90", "USD": "7.50"}, active=False)),
            content_type="application/json",
        )
    )
    with catalog_pact.serve() as srv:
        assert client(srv).products(["GONE-1"])["GONE-1"].active is False


def test_a_product_not_sold_in_a_currency_has_no_price_in_it(catalog_pact):
    (
        read(catalog_pact, "a batch read of a product sold in euros only", ["EURO-1"])
        .given("a product exists", sku="EURO-1", name="Euro mug", prices={"EUR": "6.90"})
        .will_respond_with(200)
        .with_body(
            batch(product("EURO-1", "Euro mug", {"EUR": "6.90"})),
            content_type="application/json",
        )
    )
    with catalog_pact.serve() as srv:
        assert "USD" not in client(srv).products(["EURO-1"])["EURO-1"].prices
