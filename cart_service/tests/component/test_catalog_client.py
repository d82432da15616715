"""CatalogClient against catalog_service's HTTP answers, faked with `responses`."""

import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from carts import errors
from carts.clients.catalog import BATCH, CatalogClient

BASE = "http://catalog.test"
URL = f"{BASE}/api/products/"
MUG = {
    "sku": "MUG-1",
    "name": "Mug",
    "active": True,
    "prices": {"EUR": "6.90", "USD": "7.50"},
    "created_at": "2026-11-21T10:00:00Z",
    "updated_at": "2026-11-21T10:00:00Z",
}


@pytest.fixture
def client():
    return CatalogClient(BASE, "", retries=2, backoff=0.0, time_budget=5.0)


def page(*products):
    return {"count": len(products), "next": None, "previous": None, "results": list(products)}


def skus_asked(call) -> list[str]:
    return parse_qs(urlsplit(call.request.url).query)["sku"]


def test_a_batch_read_maps_the_products_by_sku_and_sends_no_token(client, mocked):
    mocked.get(URL, json=page(MUG))

    found = client.products(["MUG-1", "NOPE-1"])

    assert list(found) == ["MUG-1"]
    assert found["MUG-1"].prices == {"EUR": Decimal("6.90"), "USD": Decimal("7.50")}
    assert found["MUG-1"].active is True
    sent = mocked.calls[0].request
    assert "Authorization" not in sent.headers  # the catalog's reads are public
    assert skus_asked(mocked.calls[0]) == ["MUG-1", "NOPE-1"]


def test_many_skus_are_read_in_batches_that_fit_the_request_line(client, mocked):
    mocked.get(URL, json=page())
    skus = [f"SKU-{n:060d}" for n in range(BATCH + 10)]  # 64 characters each

    client.products(skus)

    assert [len(skus_asked(call)) for call in mocked.calls] == [BATCH, 10]
    assert all(len(call.request.url) < 4000 for call in mocked.calls)


def test_a_sku_asked_twice_is_read_once(client, mocked):
    mocked.get(URL, json=page(MUG))

    client.products(["MUG-1", "MUG-1"])

    assert skus_asked(mocked.calls[0]) == ["MUG-1"]


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500, "body": "oops"},
        {"status": 404, "json": {"code": "not_found"}},
        {"status": 200, "body": "<html>"},
        {"status": 200, "json": page({**MUG, "prices": {"USD": 7.5}})},  # money as a number
        {"status": 200, "json": page({**MUG, "active": "yes"})},
        {"status": 200, "json": {"count": 1}},
    ],
)
def test_an_answer_that_is_not_the_contract_is_unavailable(client, mocked, answer):
    mocked.get(URL, **answer)

    with pytest.raises(errors.CatalogServiceUnavailable):
        client.products(["MUG-1"])


def test_a_read_that_times_out_is_tried_again(client, mocked):
    mocked.get(URL, body=requests.ConnectTimeout("slow"))
    mocked.get(URL, json=page(MUG))

    assert list(client.products(["MUG-1"])) == ["MUG-1"]
    assert len(mocked.calls) == 2


def test_every_try_failing_is_unavailable(client, mocked):
    mocked.get(URL, body=requests.ConnectionError("refused"))

    with pytest.raises(errors.CatalogServiceUnavailable):
        client.products(["MUG-1"])
    assert len(mocked.calls) == 3  # 1 + DOWNSTREAM_RETRIES


def test_extra_fields_of_a_product_are_ignored(client, mocked):
    mocked.get(URL, body=json.dumps(page({**MUG, "colour": "blue"})))

    assert client.products(["MUG-1"])["MUG-1"].name == "Mug"
