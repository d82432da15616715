"""Input validation of the request bodies and the list's query, without a database."""

from decimal import Decimal

import pytest

from products.serializers import ProductCreateIn, ProductListQueryIn, ProductUpdateIn


def create_errors(**body) -> dict:
    data = {"sku": "MUG-1", "name": "Mug", "prices": {"USD": "7.50"}, **body}
    serializer = ProductCreateIn(data={k: v for k, v in data.items() if v is not ...})
    return {} if serializer.is_valid() else serializer.errors


def test_a_minimal_product_is_valid_normalised_active_and_unpriced():
    serializer = ProductCreateIn(data={"sku": " mug-1 ", "name": "Mug"})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {
        "sku": "MUG-1",
        "name": "Mug",
        "active": True,
        "prices": {},
    }


def test_prices_come_back_as_decimals_sorted_by_currency():
    serializer = ProductCreateIn(
        data={"sku": "MUG-1", "name": "Mug", "prices": {"USD": "7.5", "EUR": Decimal("6.90")}}
    )

    assert serializer.is_valid(), serializer.errors
    assert list(serializer.validated_data["prices"].items()) == [
        ("EUR", Decimal("6.90")),
        ("USD", Decimal("7.50")),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sku", ...),
        ("sku", "MUG 1"),
        ("sku", 5),
        ("name", ...),
        ("name", ""),
        ("name", "x" * 201),
        ("name", 7),
        ("active", "yes"),
        ("prices", []),
        ("prices", "7.50"),
        ("prices", None),
        ("prices", {"USD": "-0.01"}),
        ("prices", {"USD": "7.501"}),
        ("prices", {"USD": 7.5}),  # a float: precision unknown
        ("prices", {"USD": "NaN"}),
        ("prices", {"USD": "1e3"}),
        ("prices", {"USD": "10000000000.00"}),
        ("prices", {"USD": None}),
        ("prices", {"XYZ": "1.00"}),
        ("prices", {"usd": "1.00"}),
    ],
)
def test_bad_fields_are_named(field, value):
    assert field in create_errors(**{field: value})


def test_an_unknown_currency_and_a_bad_amount_are_both_named():
    errors = create_errors(prices={"XYZ": "1.00", "USD": "-1"})

    assert set(errors["prices"]) == {"XYZ", "USD"}


def test_update_refuses_frozen_fields_with_the_other_errors():
    serializer = ProductUpdateIn(data={"sku": "X", "created_at": "now", "prices": {"USD": "-1"}})

    assert not serializer.is_valid()
    assert set(serializer.errors) == {"sku", "created_at", "prices"}


def test_update_takes_any_subset_of_name_active_prices():
    serializer = ProductUpdateIn(data={"active": False, "colour": "red"})

    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"active": False}


def query(**params) -> ProductListQueryIn:
    serializer = ProductListQueryIn(data=params)
    serializer.is_valid()
    return serializer


def test_a_batch_query_is_normalised():
    assert query(sku=["mug-1", " TV-65 "]).validated_data["sku"] == ["MUG-1", "TV-65"]


@pytest.mark.parametrize(
    "skus",
    [[""], ["MUG 1"], ["A" * 200], ["mug-1", "MUG-1"], [f"S{n}" for n in range(101)], "MUG-1"],
)
def test_a_bad_batch_is_refused_under_sku(skus):
    assert set(query(sku=skus).errors) == {"sku"}


def test_a_batch_is_not_filtered_or_paged():
    errors = query(sku=["MUG-1"], search="m", active="true", page="1", page_size="5").errors

    assert set(errors) == {"search", "active", "page", "page_size"}
