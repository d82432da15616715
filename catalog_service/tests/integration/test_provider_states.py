"""POST /_pact/provider-states, mounted only with PACT_PROVIDER_STATES=1."""

from decimal import Decimal

import pytest

from products.models import Price, Product
from servicekit.testing import assert_problem
from tests.factories import ProductFactory, snapshot

pytestmark = pytest.mark.django_db
URL = "/_pact/provider-states"


def setup(client, state, **params):
    return client.post(URL, {"state": state, "params": params, "action": "setup"}, format="json")


def stored() -> dict[str, dict]:
    return {p["sku"]: p for p in snapshot()}


def test_the_endpoint_is_absent_by_default(anon):
    assert_problem(setup(anon, "a product exists"), 404, "not_found")
    assert Product.objects.count() == 0


@pytest.mark.usefixtures("provider_states_on")
class TestStates:
    def test_a_product_exists_with_the_documented_defaults(self, anon):
        response = setup(anon, "a product exists")

        assert response.status_code == 200
        made = response.json()
        assert (made["sku"], made["name"], made["active"]) == ("MUG-1", "Mug", True)
        assert made["prices"] == {"EUR": "6.90", "USD": "7.50"}
        assert anon.get("/api/products/MUG-1/").json() == made

    def test_a_product_exists_exactly_as_the_params_say(self, anon):
        response = setup(
            anon,
            "a product exists",
            sku="tv-65",
            name="65-inch television",
            active=False,
            prices={"USD": "899.00", "GBP": 749.5},
        )

        assert response.status_code == 200, response.content
        assert response.json()["sku"] == "TV-65"
        product = stored()["TV-65"]
        assert (product["name"], product["active"]) == ("65-inch television", False)
        assert product["prices"] == {"GBP": Decimal("749.50"), "USD": Decimal("899.00")}

    def test_flags_may_be_written_as_strings_and_prices_may_be_empty(self, anon):
        setup(anon, "a product exists", active="false", prices={})

        assert (stored()["MUG-1"]["active"], stored()["MUG-1"]["prices"]) == (False, {})

    def test_a_product_exists_overwrites_the_same_sku(self, anon):
        ProductFactory(sku="MUG-1", name="Old", prices={"GBP": "1.00"})

        setup(anon, "a product exists", sku="mug-1", prices={"USD": "2.00"})

        assert stored()["MUG-1"]["name"] == "Mug"
        assert stored()["MUG-1"]["prices"] == {"USD": Decimal("2.00")}

    def test_states_add_up(self, anon):
        setup(anon, "a product exists", sku="MUG-1")
        setup(anon, "a product exists", sku="TV-65", prices={"USD": "899.00"})

        response = anon.get("/api/products/?sku=MUG-1&sku=TV-65")

        assert [p["sku"] for p in response.json()["results"]] == ["MUG-1", "TV-65"]

    def test_products_exist(self, anon):
        response = setup(anon, "products exist", count=12, prefix="p-", active="true")

        assert response.status_code == 200, response.content
        made = response.json()
        assert made["count"] == 12
        assert made["skus"][:2] == ["P-01", "P-02"]
        assert made["skus"][-1] == "P-12"
        assert list(stored()) == made["skus"]
        assert stored()["P-03"]["name"] == "Mug 3"
        assert anon.get("/api/products/", {"page_size": 5}).json()["count"] == 12

    def test_products_exist_without_params(self, anon):
        assert setup(anon, "products exist").json() == {
            "count": 3,
            "skus": ["SKU-1", "SKU-2", "SKU-3"],
        }

    def test_no_product_exists_removes_it_and_answers_its_sku(self, anon):
        ProductFactory(sku="MUG-1")
        ProductFactory(sku="OTHER")

        response = setup(anon, "no product exists", sku="mug-1")

        assert response.json() == {"sku": "MUG-1"}
        assert list(stored()) == ["OTHER"]
        assert_problem(anon.get("/api/products/MUG-1/"), 404, "product_not_found")

    def test_no_product_exists_without_params_leaves_none(self, anon):
        ProductFactory.create_batch(3)

        assert setup(anon, "no product exists").json() == {}
        assert (Product.objects.count(), Price.objects.count()) == (0, 0)

    def test_teardown_leaves_nothing_behind(self, anon):
        setup(anon, "a product exists")
        setup(anon, "products exist", count=3)

        response = anon.post(
            URL, {"state": "a product exists", "action": "teardown"}, format="json"
        )

        assert response.status_code == 200
        assert (Product.objects.count(), Price.objects.count()) == (0, 0)

    def test_an_unknown_state_is_400_naming_it(self, anon):
        body = assert_problem(setup(anon, "a unicorn exists"), 400, "invalid_provider_state")

        assert "a unicorn exists" in body["detail"]

    @pytest.mark.parametrize(
        ("state", "params", "name"),
        [
            ("a product exists", {"sku": "bad sku"}, "sku"),
            ("a product exists", {"sku": 12}, "sku"),
            ("a product exists", {"sku": "A" * 65}, "sku"),
            ("a product exists", {"name": ""}, "name"),
            ("a product exists", {"active": "maybe"}, "active"),
            ("a product exists", {"prices": "7.50"}, "prices"),
            ("a product exists", {"prices": {"XYZ": "1.00"}}, "prices.XYZ"),
            ("a product exists", {"prices": {"USD": "-1.00"}}, "prices.USD"),
            ("a product exists", {"prices": {"USD": "1.001"}}, "prices.USD"),
            ("products exist", {"count": 0}, "count"),
            ("products exist", {"count": 1001}, "count"),
            ("products exist", {"count": "many"}, "count"),
            ("products exist", {"prefix": "a b"}, "prefix"),
            ("products exist", {"prefix": "A" * 64}, "prefix"),
            ("no product exists", {"sku": 5}, "sku"),
        ],
    )
    def test_bad_params_are_400_naming_them_and_change_nothing(self, anon, state, params, name):
        ProductFactory(sku="KEEP")
        before = snapshot()

        response = setup(anon, state, **params)

        problem = assert_problem(response, 400, "invalid_provider_state")
        assert f"Param {name!r}" in problem["detail"], problem["detail"]
        assert snapshot() == before
