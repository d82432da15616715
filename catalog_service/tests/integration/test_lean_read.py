"""The batch read's lean path (servicekit.perf.drf.LeanGetMixin) answers exactly as DRF does.

Every request here is sent twice, once as shipped and once with the lean path switched
off (``lean_public = False``, so DRF answers everything), and the two answers must match:
status, body and every header but the request id (the ETag and Cache-Control included).
"""

import pytest
from rest_framework.test import APIClient
from rest_framework.views import APIView

from products.apis import ProductListCreateApi
from servicekit.testing import answer_seen, pairs
from tests.conftest import ADMIN_TOKEN
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
URL = "/api/products/"

AUTHORIZATIONS = [None, f"Bearer {ADMIN_TOKEN}", "Bearer not-a-token", "Basic dXNlcjpwYXNz"]
ACCEPTS = [None, "*/*", "application/json", "application/problem+json", "text/html", ""]
QUERIES = [
    "?sku=MUG-1&sku=TV-65",
    "?sku=tv-65&sku=mug-1",  # any case, answered in sku order
    "?sku=%20mug-1%20",
    "?sku=OLD&sku=NOPE&sku=UNPRICED",  # inactive, unknown, sold in no currency
    "?sku=NOPE",
    "?sku=" + "&sku=".join(f"P{n:03d}" for n in range(100)),  # the most one batch may name
    "?sku=" + "&sku=".join(f"P{n:03d}" for n in range(101)),  # one too many: 400
    "?sku=MUG-1&sku=mug-1",  # repeated once normalised: 400
    "?sku=has.dots",
    "?sku=",
    "?sku=" + "A" * 65,
    "?sku=%C5%BFku",
    "?sku=MUG-1&page=1",  # not combined with paging: 400
    "?sku=MUG-1&search=mug",
    "?sku=MUG-1&unused=1",
    "?sku=MUG-1&format=json",
    "?SKU=MUG-1",
    "",  # the list, never lean
    "?search=mug",
]


@pytest.fixture
def products():
    ProductFactory(sku="MUG-1", name="Mug \u2028 für alle ✓", prices={"USD": "7.50", "EUR": "6.90"})
    ProductFactory(sku="TV-65", prices={"USD": "899.00", "GBP": "0.00"})
    ProductFactory(sku="OLD", active=False)
    ProductFactory(sku="UNPRICED", prices={})
    for n in range(0, 100, 7):
        ProductFactory(sku=f"P{n:03d}")


def _answer(method: str, query: str, authorization: str | None, accept: str | None, **extra):
    return answer_seen(method, URL + query, authorization, accept, **extra)


def _both(monkeypatch, *request, **extra):
    lean = _answer(*request, **extra)
    with monkeypatch.context() as patch:
        patch.setattr(ProductListCreateApi, "lean_public", False)
        drf = _answer(*request, **extra)
    return lean, drf


# Each query with the headers that take the lean path, that it must refuse (a wrong token)
# and that it does not write (text/html) ...
@pytest.mark.parametrize(
    ("accept", "authorization"),
    [
        (None, None),
        ("application/json", f"Bearer {ADMIN_TOKEN}"),
        (None, "Bearer not-a-token"),
        ("text/html", None),
    ],
)
def test_every_query_gets_what_drf_answers(monkeypatch, products, authorization, accept):
    for query in QUERIES:
        for method in ("get", "head"):
            lean, drf = _both(monkeypatch, method, query, authorization, accept)
            assert lean == drf, (method, query)


# ... and every Accept with no token and a wrong one, every Authorization with no Accept and
# with one the lean path does not write (16 pairs, not the whole product of 24), each on a
# batch the lean path answers, one it refuses (400) and the list it never answers.
@pytest.mark.parametrize(
    ("accept", "authorization"),
    pairs(
        ACCEPTS,
        AUTHORIZATIONS,
        with_x=[None, "text/html"],
        with_y=[None, "Bearer not-a-token"],
    ),
)
def test_every_accept_and_authorization_gets_what_drf_answers(
    monkeypatch, products, authorization, accept
):
    for query in ("?sku=MUG-1&sku=TV-65", "?sku=MUG-1&sku=mug-1", ""):
        for method in ("get", "head"):
            lean, drf = _both(monkeypatch, method, query, authorization, accept)
            assert lean == drf, (method, query)


def test_a_revalidation_gets_what_drf_answers(monkeypatch, products):
    etag = APIClient().get(f"{URL}?sku=MUG-1&sku=TV-65").headers["ETag"]

    for tag in (etag, '"stale"', f"W/{etag}", "*"):
        lean, drf = _both(
            monkeypatch, "get", "?sku=MUG-1&sku=TV-65", None, None, HTTP_IF_NONE_MATCH=tag
        )
        assert lean == drf, tag
    assert _answer("get", "?sku=MUG-1&sku=TV-65", None, None, HTTP_IF_NONE_MATCH=etag)[0] == 304


def test_a_well_formed_batch_read_skips_drf_and_anything_else_goes_through_it(
    products, drf_requests
):
    client = APIClient()

    assert client.get(f"{URL}?sku=mug-1&sku=TV-65").json()["count"] == 2
    assert client.get(f"{URL}?sku=NOPE", HTTP_ACCEPT="application/json").json()["count"] == 0
    assert drf_requests == []

    assert client.get(f"{URL}?sku=MUG-1&sku=mug-1").status_code == 400
    assert client.get(f"{URL}?sku=MUG-1&format=json").status_code == 200
    assert client.get(f"{URL}?sku=MUG-1", HTTP_ACCEPT="text/html").status_code == 406
    assert client.get(URL).status_code == 200
    assert drf_requests == ["GET", "GET", "GET", "GET"]


def test_a_lean_read_that_fails_is_answered_by_drf(monkeypatch, products, drf_requests):
    def broken(self, query):
        raise RuntimeError("the lean read broke")

    monkeypatch.setattr(ProductListCreateApi, "lean_get", broken)

    response = APIClient().get(f"{URL}?sku=MUG-1")

    assert response.status_code == 200
    assert response.json()["results"][0]["sku"] == "MUG-1"
    assert drf_requests == ["GET"]


def test_a_lean_read_is_for_some_roles_or_for_anyone_not_both():
    from servicekit.perf.drf import LeanGetMixin

    attrs = {"lean_public": True, "lean_roles": ("admin",), "lean_get": lambda self: {}}
    with pytest.raises(TypeError, match="for lean_roles or for anyone"):
        type("Both", (LeanGetMixin, APIView), attrs)
