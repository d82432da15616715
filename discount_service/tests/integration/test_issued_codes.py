"""POST and GET /api/discounts/{code}/codes/: a single-use promotion's batches of codes."""

import uuid

import pytest
from django.db import IntegrityError

from discounts import domain, services
from discounts.models import Discount, IssuedCode
from servicekit.testing import assert_problem
from tests.factories import DiscountFactory, IssuedCodeFactory, RedemptionFactory

pytestmark = pytest.mark.django_db
URL = "/api/discounts/NEWSLETTER/codes/"


@pytest.fixture
def promotion():
    return DiscountFactory(code="NEWSLETTER", promotion=True)


def issue(client, **body):
    return client.post(URL, body, format="json")


def codes_issued() -> int:
    return Discount.objects.get(code="NEWSLETTER").codes_issued


def test_a_batch_is_made_with_its_prefix(admin, promotion):
    response = issue(admin, count=3, prefix="news-")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["prefix"], body["count"], body["discount"]["codes_issued"]) == ("NEWS-", 3, 3)
    assert body["discount"]["code"] == "NEWSLETTER"
    assert len(set(body["codes"])) == 3
    for code in body["codes"]:
        assert code.startswith("NEWS-")
        assert len(code) == 17
        assert set(code[5:]) <= set(domain.CROCKFORD)
    assert sorted(IssuedCode.objects.values_list("code", flat=True)) == sorted(body["codes"])
    assert codes_issued() == 3


def test_without_a_prefix_a_code_is_its_12_random_characters(admin, promotion):
    body = issue(admin, count=1).json()

    assert body["prefix"] == ""
    assert len(body["codes"][0]) == 12


def test_batches_add_up(admin, promotion):
    issue(admin, count=2)
    issue(admin, count=5, prefix="B")

    assert codes_issued() == IssuedCode.objects.count() == 7


def test_every_code_of_a_batch_redeems(admin, service, promotion):
    codes = issue(admin, count=3).json()["codes"]

    for code in codes:
        response = service.post(
            f"/api/discounts/{code}/redemptions/", {"cart_id": str(uuid.uuid4())}, format="json"
        )
        assert response.status_code == 201
    assert Discount.objects.get().times_redeemed == 3


def test_ten_thousand_codes_in_one_request(admin, promotion):
    response = issue(admin, count=10_000, prefix="N")

    assert response.status_code == 201
    assert len(set(response.json()["codes"])) == 10_000
    assert codes_issued() == IssuedCode.objects.count() == 10_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": -1}, "count"),
        ({"count": 10_001}, "count"),
        ({"count": 1_000_000}, "count"),
        ({"count": "10"}, "count"),
        ({"count": 2.5}, "count"),
        ({}, "count"),
        ({"count": 1, "prefix": "NEWS "}, "prefix"),
        ({"count": 1, "prefix": " NEWS"}, "prefix"),
        ({"count": 1, "prefix": "NE WS"}, "prefix"),
        ({"count": 1, "prefix": "\u00a0NEWS"}, "prefix"),
        ({"count": 1, "prefix": "NEWS!"}, "prefix"),
        ({"count": 1, "prefix": "X" * 13}, "prefix"),
        ({"count": 1, "prefix": "X" * 1000}, "prefix"),
        ({"count": 1, "prefix": 7}, "prefix"),
        ({"count": 1, "prefix": None}, "prefix"),
    ],
)
def test_bad_input_is_400_and_makes_nothing(admin, promotion, body, field):
    response = issue(admin, **body)

    assert field in assert_problem(response, 400, "validation_error")["errors"]
    assert IssuedCode.objects.count() == codes_issued() == 0


def test_a_discount_whose_own_code_redeems_issues_none(admin):
    DiscountFactory(code="SAVE10")

    response = admin.post("/api/discounts/SAVE10/codes/", {"count": 5}, format="json")

    assert_problem(response, 409, "discount_not_single_use")
    assert IssuedCode.objects.count() == 0


def test_an_unknown_promotion_is_404(admin):
    assert_problem(issue(admin, count=5), 404, "discount_not_found")


def test_an_issued_code_names_no_promotion_to_issue_from(admin):
    issued = IssuedCodeFactory()

    response = admin.post(f"/api/discounts/{issued.code}/codes/", {"count": 1}, format="json")

    assert_problem(response, 404, "discount_not_found")


def test_the_service_token_may_not_issue_or_list(service, promotion):
    assert_problem(issue(service, count=1), 403, "permission_denied")
    assert_problem(service.get(URL), 403, "permission_denied")


def test_a_drawn_code_that_is_taken_is_drawn_again(admin, promotion, monkeypatch):
    IssuedCodeFactory(code="TAKEN-ISSUED")
    DiscountFactory(code="TAKEN-OWN")
    draws = iter(["TAKEN-ISSUED", "TAKEN-OWN", "FRESH-1", "FRESH-1", "FRESH-2"])
    monkeypatch.setattr(services, "issued_code", lambda prefix: next(draws))

    response = issue(admin, count=2)

    assert sorted(response.json()["codes"]) == ["FRESH-1", "FRESH-2"]
    assert promotion.issued_codes.count() == 2


def test_a_code_another_batch_committed_meanwhile_is_drawn_again(admin, promotion, monkeypatch):
    # What the unique index catches when a concurrent batch took a code after it was checked.
    IssuedCodeFactory(code="RACED-CODE")
    draws = iter(["RACED-CODE", "FRESH-1"])
    monkeypatch.setattr(services, "issued_code", lambda prefix: next(draws))
    checked = iter([set(), set()])
    monkeypatch.setattr(services, "_taken", lambda codes: next(checked))

    response = issue(admin, count=1)

    assert response.json()["codes"] == ["FRESH-1"]
    assert codes_issued() == 1


def test_a_batch_that_keeps_colliding_fails_whole(promotion, monkeypatch):
    IssuedCodeFactory(code="RACED-CODE")
    monkeypatch.setattr(services, "issued_code", lambda prefix: "RACED-CODE")
    monkeypatch.setattr(services, "_taken", lambda codes: set())

    with pytest.raises(IntegrityError):
        services.issued_codes_create(code="NEWSLETTER", count=1)

    assert codes_issued() == 0


# -- the list ---------------------------------------------------------------------------------


def test_the_list_is_in_the_order_the_codes_were_made_with_their_state(admin, promotion):
    first, second, third = (IssuedCodeFactory(discount=promotion) for _ in range(3))
    cart_id = uuid.uuid4()
    held = RedemptionFactory(discount=promotion, issued_code=second, cart_id=cart_id)

    body = admin.get(URL).json()

    assert body["count"] == 3
    assert [c["code"] for c in body["results"]] == [first.code, second.code, third.code]
    assert body["results"][0] == {
        "code": first.code,
        "status": "unused",
        "cart_id": None,
        "redeemed_at": None,
        "created_at": body["results"][0]["created_at"],
    }
    assert body["results"][1]["status"] == "used"
    assert body["results"][1]["cart_id"] == str(cart_id)
    assert body["results"][1]["redeemed_at"].replace("Z", "+00:00") == held.created_at.isoformat()


@pytest.mark.parametrize(
    ("status", "expected"), [("used", [1]), ("unused", [0, 2]), ("", [0, 1, 2])]
)
def test_the_list_filters_by_status(admin, promotion, status, expected):
    codes = [IssuedCodeFactory(discount=promotion) for _ in range(3)]
    RedemptionFactory(discount=promotion, issued_code=codes[1])

    body = admin.get(URL, {"status": status} if status else {}).json()

    assert [c["code"] for c in body["results"]] == [codes[i].code for i in expected]


def test_a_page_holds_up_to_1000_codes(admin, promotion):
    issue(admin, count=1500)

    capped = admin.get(URL, {"page_size": 5000}).json()
    default = admin.get(URL).json()

    assert (capped["count"], len(capped["results"])) == (1500, 1000)
    assert capped["next"].endswith("page=2&page_size=5000")
    assert len(default["results"]) == 20


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "spent"}, "status"), ({"page": 0}, "page"), ({"page_size": "x"}, "page_size")],
)
def test_a_bad_query_is_400_naming_it(admin, promotion, params, field):
    assert field in assert_problem(admin.get(URL, params), 400, "validation_error")["errors"]


def test_a_discount_that_issues_no_codes_lists_none(admin):
    DiscountFactory(code="SAVE10")

    assert admin.get("/api/discounts/SAVE10/codes/").json()["count"] == 0


def test_listing_an_unknown_promotion_is_404(admin):
    assert_problem(admin.get(URL), 404, "discount_not_found")
