"""Truly parallel clients, one database connection per thread, on PostgreSQL."""

import functools
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from products.models import Product
from servicekit.testing import run_together
from tests.conftest import ADMIN_TOKEN
from tests.factories import ProductFactory, snapshot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def as_admin(calls: list[Callable[[APIClient], object]]) -> list:
    """Each call with its own admin client and connection, all at once."""

    def call(index: int):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {ADMIN_TOKEN}")
        return calls[index](client)

    return run_together([functools.partial(call, i) for i in range(len(calls))])


def outcome(response) -> tuple:
    if isinstance(response, Exception):
        return ("exception", repr(response))
    if response.status_code >= 400:
        return (response.status_code, response.json()["code"])
    return (response.status_code,)


def test_two_creates_of_one_sku_at_once_give_one_201_and_one_409():
    calls = [
        (
            lambda client, sku=sku, price=price: client.post(
                "/api/products/",
                {"sku": sku, "name": "Mug", "prices": {"USD": price}},
                format="json",
            )
        )
        for sku, price in [("MUG-1", "7.50"), (" mug-1", "9.00")]
    ]

    results = as_admin(calls)

    assert Counter(outcome(r) for r in results) == {(201,): 1, (409, "product_sku_taken"): 1}
    winner = next(r for r in results if r.status_code == 201).json()
    stored = snapshot()
    assert len(stored) == 1
    assert stored[0]["prices"] == {"USD": Decimal(winner["prices"]["USD"])}


def test_many_creates_of_one_sku_at_once_give_exactly_one_product():
    calls = [
        (
            lambda client, n=n: client.post(
                "/api/products/", {"sku": "TWIN", "name": f"T{n}"}, format="json"
            )
        )
        for n in range(8)
    ]

    results = as_admin(calls)

    assert Counter(outcome(r) for r in results) == {(201,): 1, (409, "product_sku_taken"): 7}
    assert Product.objects.filter(sku="TWIN").count() == 1


MAPS = [
    {"USD": "1.00", "EUR": "1.10", "GBP": "1.20"},
    {"USD": "2.00"},
    {"EUR": "3.10", "GBP": "3.20"},
    {"USD": "4.00", "GBP": "4.20"},
    {},
    {"USD": "6.00", "EUR": "6.10"},
    {"GBP": "7.20"},
    {"USD": "8.00", "EUR": "8.10", "GBP": "8.20"},
]


@pytest.mark.parametrize("round_", range(3))
def test_parallel_repricings_end_with_the_last_whole_map_never_a_torn_one(round_):
    ProductFactory(sku="MUG-1", prices={"USD": "0.50", "EUR": "0.60"})
    calls = [
        (
            lambda client, prices=prices: client.patch(
                "/api/products/MUG-1/", {"prices": prices}, format="json"
            )
        )
        for prices in MAPS
    ]

    results = as_admin(calls)

    assert [outcome(r) for r in results] == [(200,)] * len(MAPS)
    # Each answer shows exactly the map it sent: no one saw another's half-written map.
    assert [r.json()["prices"] for r in results] == [dict(sorted(m.items())) for m in MAPS]
    # The stored map is one whole map that was sent: the last one written (the latest
    # updated_at, the writes being one after the other under the row lock).
    last = max(results, key=lambda r: r.json()["updated_at"]).json()
    stored = snapshot()[0]
    assert {c: str(a) for c, a in stored["prices"].items()} == last["prices"]
    assert stored["updated_at"].isoformat().replace("+00:00", "Z") == last["updated_at"]
    assert len({r.json()["updated_at"] for r in results}) == len(MAPS)


def test_reads_during_repricings_only_ever_see_whole_maps():
    ProductFactory(sku="MUG-1", prices=MAPS[0])
    writes = [
        (
            lambda client, prices=prices: client.patch(
                "/api/products/MUG-1/", {"prices": prices}, format="json"
            )
        )
        for prices in MAPS[1:]
    ]
    reads = [(lambda client: client.get("/api/products/?sku=MUG-1")) for _ in range(8)]

    results = as_admin(writes + reads)

    assert all(outcome(r) == (200,) for r in results), [outcome(r) for r in results]
    whole = [dict(sorted(m.items())) for m in MAPS]
    for response in results[len(writes) :]:
        assert response.json()["results"][0]["prices"] in whole
