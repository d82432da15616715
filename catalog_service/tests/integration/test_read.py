"""GET /api/products/{sku}/, GET /api/products/ (list and batch read): open to anyone."""

import pytest
from django.utils import timezone

from servicekit.testing import assert_problem
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
URL = "/api/products/"


def skus(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [p["sku"] for p in response.json()["results"]]


@pytest.mark.parametrize("sku", ["MUG-1", "mug-1", "Mug-1", "%20mug-1%20"])
def test_a_product_is_found_by_sku_in_any_case(anon, sku):
    ProductFactory(sku="MUG-1", name="Mug", prices={"USD": "7.50", "EUR": "6.90"})

    response = anon.get(f"{URL}{sku}/")

    assert response.status_code == 200
    data = response.json()
    assert (data["sku"], data["name"], data["active"]) == ("MUG-1", "Mug", True)
    assert data["prices"] == {"EUR": "6.90", "USD": "7.50"}
    assert set(data) == {"sku", "name", "active", "prices", "created_at", "updated_at"}


def test_an_inactive_product_is_read_with_its_flag(anon):
    ProductFactory(sku="OLD", active=False)

    assert anon.get(f"{URL}OLD/").json()["active"] is False


def test_a_product_sold_in_one_currency_has_one_price(anon):
    ProductFactory(sku="TV-65", prices={"USD": "899.00"})

    assert anon.get(f"{URL}TV-65/").json()["prices"] == {"USD": "899.00"}


@pytest.mark.parametrize("sku", ["NOPE", "has.dots", "A" * 65, "A" * 200, "%C5%BFku"])
def test_an_unknown_sku_or_one_that_cannot_exist_is_404(anon, sku):
    ProductFactory(sku="MUG-1")

    assert_problem(anon.get(f"{URL}{sku}/"), 404, "product_not_found")


def test_a_token_is_not_needed_nor_judged_on_reads(anon):
    ProductFactory(sku="MUG-1")
    anon.credentials(HTTP_AUTHORIZATION="Bearer wrong-token")

    assert anon.get(f"{URL}MUG-1/").status_code == 200
    assert anon.get(URL).status_code == 200


def test_the_list_is_paginated_by_sku(anon):
    for n in reversed(range(25)):
        ProductFactory(sku=f"P{n:02d}")

    first = anon.get(URL).json()
    second = anon.get(URL, {"page": 2}).json()

    assert first["count"] == 25
    assert [p["sku"] for p in first["results"]] == [f"P{n:02d}" for n in range(20)]
    assert first["previous"] is None
    assert first["next"].endswith("page=2")
    assert [p["sku"] for p in second["results"]] == [f"P{n:02d}" for n in range(20, 25)]
    assert second["next"] is None


def test_page_size_is_honoured_and_capped_at_100(anon):
    ProductFactory.create_batch(105, prices={})

    assert len(anon.get(URL, {"page_size": 7}).json()["results"]) == 7
    assert len(anon.get(URL, {"page_size": 500}).json()["results"]) == 100


def test_a_page_past_the_end_is_404(anon):
    ProductFactory()

    assert_problem(anon.get(URL, {"page": 9}), 404, "not_found")


@pytest.mark.parametrize(("value", "expected"), [("true", ["ON1", "ON2"]), ("false", ["OFF"])])
def test_filter_by_active(anon, value, expected):
    ProductFactory(sku="ON1")
    ProductFactory(sku="ON2")
    ProductFactory(sku="OFF", active=False)

    assert skus(anon.get(URL, {"active": value})) == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("mug", ["CUP-7", "MUG-1", "MUG-2"]),  # MUG-* by sku prefix, CUP-7 by its name
        ("MUG-", ["MUG-1", "MUG-2"]),
        (" mug-2 ", ["MUG-2"]),
        ("TRAVEL", ["CUP-7"]),
        ("ug", ["CUP-7", "MUG-1"]),  # their names contain it; no sku starts with it
        ("zzz", []),
    ],
)
def test_search_is_a_sku_prefix_or_a_part_of_the_name_in_any_case(anon, search, expected):
    ProductFactory(sku="MUG-1", name="Mug")
    ProductFactory(sku="MUG-2", name="Big cup")
    ProductFactory(sku="CUP-7", name="Travel mug")
    ProductFactory(sku="XMUG", name="Saucer")

    assert skus(anon.get(URL, {"search": search})) == expected


def test_search_and_active_add_up(anon):
    ProductFactory(sku="MUG-1")
    ProductFactory(sku="MUG-2", active=False)

    assert skus(anon.get(URL, {"search": "mug", "active": "false"})) == ["MUG-2"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"active": "yes"}, "active"),
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page_size": "-1"}, "page_size"),
        ({"search": "A" * 101}, "search"),
    ],
)
def test_invalid_query_params_are_400(anon, params, field):
    assert field in assert_problem(anon.get(URL, params), 400, "validation_error")["errors"]


# -- the batch read: ?sku=A&sku=B --------------------------------------------------------


def test_a_batch_read_answers_every_product_found_by_sku_and_leaves_out_unknown_ones(anon):
    ProductFactory(sku="TV-65", prices={"USD": "899.00"})
    ProductFactory(sku="MUG-1", active=False)
    ProductFactory(sku="OTHER")

    response = anon.get(f"{URL}?sku=tv-65&sku=NOPE&sku=%20Mug-1")

    assert response.status_code == 200
    data = response.json()
    assert (data["count"], data["next"], data["previous"]) == (2, None, None)
    assert [(p["sku"], p["active"]) for p in data["results"]] == [("MUG-1", False), ("TV-65", True)]
    assert data["results"][1]["prices"] == {"USD": "899.00"}


def test_a_batch_of_100_is_one_answer_without_paging(anon):
    for n in range(120):
        ProductFactory(sku=f"P{n:03d}", prices={})
    wanted = [f"p{n:03d}" for n in range(10, 110)]

    response = anon.get(URL, {"sku": wanted})

    assert skus(response) == [s.upper() for s in wanted]
    assert response.json()["count"] == 100


def test_a_batch_of_unknown_skus_is_an_empty_answer(anon):
    assert anon.get(URL, {"sku": ["NOPE", "NADA"]}).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.parametrize(
    "query",
    [
        "sku=",  # an empty sku
        "sku=MUG-1&sku=",
        "sku=MUG%201",  # a space inside
        "sku=" + "A" * 200,
        "sku=MUG-1&sku=mug-1",  # the same sku twice after normalisation
        "sku=MUG-1&sku=%20MUG-1%20",
        "&".join(f"sku=S{n}" for n in range(101)),  # one more than 100
    ],
)
def test_a_bad_batch_is_400_naming_sku(anon, query):
    ProductFactory(sku="MUG-1")

    problem = assert_problem(anon.get(f"{URL}?{query}"), 400, "validation_error")

    assert list(problem["errors"]) == ["sku"], problem


def test_the_problem_says_which_sku_is_wrong(anon):
    problem = assert_problem(anon.get(f"{URL}?sku=OK&sku=BAD%20ONE"), 400, "validation_error")

    assert problem["errors"]["sku"] == [
        "'BAD ONE': A sku is 1 to 64 characters of A-Z, 0-9, '-' and '_'."
    ]


@pytest.mark.parametrize("other", ["search=m", "active=true", "page=1", "page_size=5"])
def test_a_batch_is_not_filtered_or_paged(anon, other):
    field = other.split("=")[0]

    problem = assert_problem(anon.get(f"{URL}?sku=MUG-1&{other}"), 400, "validation_error")

    assert list(problem["errors"]) == [field]


def test_a_datetime_is_written_in_utc(anon):
    ProductFactory(sku="MUG-1", created_at=timezone.now(), updated_at=timezone.now())

    data = anon.get(f"{URL}MUG-1/").json()

    assert data["created_at"].endswith("Z")
    assert data["updated_at"].endswith("Z")
