"""The hot read's lean path (servicekit.perf.drf.LeanGetMixin) answers exactly as DRF does.

Every request here is sent twice, once as shipped and once with the lean path switched
off (``lean_roles = ()``, so DRF answers everything), and the two answers must match:
status, body and every header but the request id.
"""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient
from rest_framework.views import APIView

from discounts.apis import DiscountDetailApi
from servicekit.testing import answer_seen, assert_problem, pairs, queries_fail_as_unavailable
from tests.conftest import ADMIN_TOKEN, SERVICE_TOKEN
from tests.factories import DiscountFactory, IssuedCodeFactory, RedemptionFactory

pytestmark = pytest.mark.django_db
URL = "/api/discounts/"

AUTHORIZATIONS = {
    "service": f"Bearer {SERVICE_TOKEN}",
    "admin": f"Bearer {ADMIN_TOKEN}",
    "lower-case scheme": f"bearer {SERVICE_TOKEN}",
    "padded token": f"Bearer   {SERVICE_TOKEN}  ",
    "none": None,
    "wrong token": "Bearer not-a-token",
    "no token": "Bearer ",
    "basic": "Basic dXNlcjpwYXNz",
}
ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/problem+json",
    "text/html",
    "",
    "*/*; q=0.5",
]
PATHS = [
    "SAVE10/",
    "save10/",
    "%20save10%20/",
    "FIXED5/",
    "NOPE/",
    "has.dots/",
    "NEWSLETTER/",  # a single-use promotion's own code: to admins only
    "news-7k3mq9zd2xwa/",  # one of its issued codes
    "NEWS-2B8RJ4NCV6TE/",  # another, used
    "SAVE10/?format=json",
    "SAVE10/?unused=1",
]


@pytest.fixture
def discounts():
    DiscountFactory(code="SAVE10", description="Ten percent off \u2028 für alle ✓")
    DiscountFactory(code="FIXED5", fixed=True, ends_at=None, max_redemptions=3, times_redeemed=1)
    promotion = DiscountFactory(code="NEWSLETTER", promotion=True, minimum_items=2, skus=["A"])
    IssuedCodeFactory(discount=promotion, code="NEWS-7K3MQ9ZD2XWA")
    used = IssuedCodeFactory(discount=promotion, code="NEWS-2B8RJ4NCV6TE")
    RedemptionFactory(discount=promotion, issued_code=used)


def _answer(method: str, path: str, authorization: str | None, accept: str | None):
    return answer_seen(method, URL + path, authorization, accept)


def _both(monkeypatch, *request):
    lean = _answer(*request)
    with monkeypatch.context() as patch:
        patch.setattr(DiscountDetailApi, "lean_roles", ())
        drf = _answer(*request)
    return lean, drf


# Each path as the service, as an admin, as nobody, with a wrong token and with an Accept the
# lean path does not write ...
@pytest.mark.parametrize(
    ("accept", "authorization"),
    [
        (None, "service"),
        ("application/json", "admin"),
        (None, "none"),
        (None, "wrong token"),
        ("text/html", "service"),
    ],
)
def test_every_path_gets_what_drf_answers(monkeypatch, discounts, authorization, accept):
    for path in PATHS:
        for method in ("get", "head"):
            lean, drf = _both(monkeypatch, method, path, AUTHORIZATIONS[authorization], accept)
            assert lean == drf, (method, path)


# ... and every Accept as the service and as nobody, every Authorization with no Accept and
# with one the lean path does not write (26 pairs; the whole product, 56, took a minute a
# database), each on a code the lean path answers, an unknown one, a promotion's own code
# (to admins only) and one of its issued codes.
@pytest.mark.parametrize(
    ("accept", "authorization"),
    pairs(ACCEPTS, AUTHORIZATIONS, with_x=[None, "text/html"], with_y=["service", "none"]),
)
def test_every_role_and_accept_gets_what_drf_answers(monkeypatch, discounts, authorization, accept):
    for path in ("save10/", "NOPE/", "NEWSLETTER/", "news-7k3mq9zd2xwa/"):
        for method in ("get", "head"):
            lean, drf = _both(monkeypatch, method, path, AUTHORIZATIONS[authorization], accept)
            assert lean == drf, (method, path)


def test_a_plain_read_skips_drf_and_anything_else_goes_through_it(discounts, drf_requests):
    client = APIClient(HTTP_AUTHORIZATION=AUTHORIZATIONS["service"])

    assert client.get(f"{URL}save10/").json()["code"] == "SAVE10"
    assert client.get(f"{URL}FIXED5/", HTTP_ACCEPT="application/json").status_code == 200
    assert client.get(f"{URL}NEWS-7K3MQ9ZD2XWA/").json()["code"] == "NEWS-7K3MQ9ZD2XWA"
    assert drf_requests == []

    assert client.get(f"{URL}NOPE/").status_code == 404
    assert client.get(f"{URL}SAVE10/", HTTP_ACCEPT="text/html").status_code == 406
    assert client.get(f"{URL}SAVE10/?format=json").status_code == 200
    assert client.patch(f"{URL}SAVE10/", {}, format="json").status_code == 403
    assert drf_requests == ["GET", "GET", "GET", "PATCH"]


def test_a_lean_read_that_fails_is_answered_by_drf(monkeypatch, discounts, drf_requests):
    def broken(self, code):
        raise RuntimeError("the lean read broke")

    monkeypatch.setattr(DiscountDetailApi, "lean_get", broken)

    response = APIClient().get(f"{URL}SAVE10/", HTTP_AUTHORIZATION=AUTHORIZATIONS["service"])

    assert response.status_code == 200
    assert response.json()["value"] == str(Decimal("10.00"))
    assert drf_requests == ["GET"]


def test_a_view_with_lean_roles_must_say_how_it_reads():
    from servicekit.perf.drf import LeanGetMixin

    with pytest.raises(TypeError, match="no lean_get"):
        type("Forgetful", (LeanGetMixin, APIView), {"lean_roles": ("service",)})


@pytest.mark.parametrize(
    ("attrs", "refused"),
    [
        ({"throttle_classes": [object]}, "neither throttles nor versions"),
        ({"versioning_class": object}, "neither throttles nor versions"),
        ({"authentication_classes": []}, "bearer token only"),
    ],
)
def test_a_view_whose_get_needs_more_than_a_token_cannot_be_lean(attrs, refused):
    from servicekit.perf.drf import LeanGetMixin

    attrs = {"lean_roles": ("service",), "lean_get": lambda self: {}, **attrs}
    with pytest.raises(TypeError, match=refused):
        type("TooMuch", (LeanGetMixin, APIView), attrs)


def test_a_failing_lean_read_is_logged(monkeypatch, discounts, caplog):
    def broken(self, code):
        raise RuntimeError("the lean read broke")

    monkeypatch.setattr(DiscountDetailApi, "lean_get", broken)

    APIClient().get(f"{URL}SAVE10/", HTTP_AUTHORIZATION=AUTHORIZATIONS["service"])

    [record] = [r for r in caplog.records if "lean_get failed" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert "the lean read broke" in str(record.exc_info[1])


@pytest.mark.django_db(transaction=True)  # autocommit, as the service runs: no test transaction
def test_a_lean_read_whose_database_fails_answers_503_as_drf_does(discounts, drf_requests, caplog):
    with queries_fail_as_unavailable():
        response = APIClient().get(URL + "SAVE10/", HTTP_AUTHORIZATION=f"Bearer {SERVICE_TOKEN}")

    assert_problem(response, 503, "database_unavailable")
    assert response["Retry-After"] == "1"
    assert drf_requests == ["GET"]  # the lean read failed, and DRF answered
    assert "lean_get failed" in caplog.text
    assert not [r for r in caplog.records if r.exc_info]  # an outage, not a bug
