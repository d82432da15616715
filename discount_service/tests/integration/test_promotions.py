"""A discount's rules at creation (POST /api/discounts/), and how its codes are looked up."""

import pytest
from rest_framework.test import APIClient

from discounts.models import Discount
from servicekit.testing import assert_problem
from tests.conftest import ADMIN_TOKEN
from tests.factories import DiscountFactory, IssuedCodeFactory, RedemptionFactory

pytestmark = pytest.mark.django_db
URL = "/api/discounts/"


def create(client, **body):
    return client.post(
        URL, {"code": "PROMO", "kind": "percent", "value": "10.00", **body}, format="json"
    )


def test_ten_percent_off_orders_over_50_usd(admin):
    response = create(admin, currency="USD", minimum_subtotal="50.00")

    assert response.status_code == 201, response.json()
    assert response.json() == {
        **response.json(),
        "currency": "USD",
        "minimum_subtotal": "50.00",
        "minimum_items": None,
        "skus": None,
        "single_use_codes": False,
        "codes_issued": 0,
    }


def test_twenty_percent_off_mugs_keeps_the_skus_normalised_in_order(admin):
    response = create(admin, value="20.00", skus=["mug-2", " MUG-1"], minimum_items=2)

    assert response.status_code == 201, response.json()
    assert (response.json()["skus"], response.json()["minimum_items"]) == (["MUG-2", "MUG-1"], 2)
    assert Discount.objects.get().skus == ["MUG-2", "MUG-1"]


def test_a_single_use_promotion(admin):
    response = create(admin, single_use_codes=True, max_redemptions=5000)

    assert response.status_code == 201
    assert (response.json()["single_use_codes"], response.json()["codes_issued"]) == (True, 0)


def test_a_discount_without_rules_shows_none(admin):
    body = create(admin).json()

    assert [body[f] for f in ("minimum_subtotal", "minimum_items", "skus")] == [None] * 3
    assert (body["single_use_codes"], body["codes_issued"]) == (False, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"currency": "USD", "minimum_subtotal": "-1.00"}, "minimum_subtotal"),
        ({"currency": "USD", "minimum_subtotal": "0.00"}, "minimum_subtotal"),
        ({"currency": "USD", "minimum_subtotal": "50.001"}, "minimum_subtotal"),
        ({"currency": "USD", "minimum_subtotal": "fifty"}, "minimum_subtotal"),
        ({"currency": "USD", "minimum_subtotal": 12.345}, "minimum_subtotal"),
        ({"minimum_subtotal": "50.00"}, "currency"),  # a percent minimum names its currency
        ({"currency": "USD"}, "currency"),  # and a percent discount has no other
        ({"minimum_items": 0}, "minimum_items"),
        ({"minimum_items": -3}, "minimum_items"),
        ({"minimum_items": 10_001}, "minimum_items"),
        ({"minimum_items": "2"}, "minimum_items"),
        ({"minimum_items": 2.5}, "minimum_items"),
        ({"skus": []}, "skus"),
        ({"skus": [f"SKU-{n}" for n in range(10_000)]}, "skus"),
        ({"skus": [f"SKU-{n}" for n in range(101)]}, "skus"),
        ({"skus": ["MUG-1", "mug-1"]}, "skus"),
        ({"skus": ["MUG 1"]}, "skus"),
        ({"skus": [7]}, "skus.0"),
        ({"skus": "MUG-1"}, "skus"),
        ({"skus": {"MUG-1": 1}}, "skus"),
        ({"single_use_codes": "yes"}, "single_use_codes"),
    ],
)
def test_bad_rules_are_400_naming_the_field_and_create_nothing(admin, body, field):
    response = create(admin, **body)

    assert field in assert_problem(response, 400, "validation_error")["errors"]
    assert Discount.objects.count() == 0


def test_a_list_of_10000_skus_is_refused_in_one_message_before_each_is_read(admin):
    response = create(admin, skus=[7] * 10_000)

    assert assert_problem(response, 400, "validation_error")["errors"] == {
        "skus": ["At most 100 skus."]
    }


def test_a_fixed_discounts_minimum_is_in_its_own_currency(admin):
    response = create(admin, kind="fixed", value="5.00", currency="EUR", minimum_subtotal="20")

    assert response.status_code == 201
    assert (response.json()["minimum_subtotal"], response.json()["currency"]) == ("20.00", "EUR")


def test_a_code_an_issued_code_has_is_taken(admin):
    IssuedCodeFactory(code="NEWS-7K3MQ9ZD2XWA")

    response = create(admin, code="news-7k3mq9zd2xwa")

    assert_problem(response, 409, "discount_code_taken")
    assert Discount.objects.filter(code="NEWS-7K3MQ9ZD2XWA").count() == 0


# -- looking a code up -----------------------------------------------------------------------


def test_an_issued_code_reads_as_its_promotion_under_its_own_code(service):
    promotion = DiscountFactory(code="NEWSLETTER", promotion=True, fixed=True, max_redemptions=9)
    issued = IssuedCodeFactory(discount=promotion, code="NEWS-7K3MQ9ZD2XWA")

    response = service.get("/api/discounts/news-7k3mq9zd2xwa/")

    assert response.status_code == 200
    assert response.json() == {
        **admin_view(promotion.code),
        "code": issued.code,
        "status": "active",
    }


def admin_view(code):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ADMIN_TOKEN}")
    return client.get(f"{URL}{code}/").json()


def test_a_used_issued_code_reads_exhausted_while_its_promotion_is_active(service):
    issued = IssuedCodeFactory()
    RedemptionFactory(discount=issued.discount, issued_code=issued)
    other = IssuedCodeFactory(discount=issued.discount)

    assert service.get(f"{URL}{issued.code}/").json()["status"] == "exhausted"
    assert service.get(f"{URL}{other.code}/").json()["status"] == "active"
    assert admin_view(issued.discount.code)["status"] == "active"


def test_a_used_issued_code_of_a_switched_off_promotion_reads_inactive(service):
    issued = IssuedCodeFactory(discount=DiscountFactory(promotion=True, is_active=False))
    RedemptionFactory(discount=issued.discount, issued_code=issued)

    assert service.get(f"{URL}{issued.code}/").json()["status"] == "inactive"


def test_a_single_use_promotions_own_code_names_nothing_to_carts(service, admin):
    DiscountFactory(code="NEWSLETTER", promotion=True)

    assert_problem(service.get(f"{URL}NEWSLETTER/"), 404, "discount_not_found")
    assert admin.get(f"{URL}newsletter/").json()["code"] == "NEWSLETTER"
    assert admin.patch(f"{URL}NEWSLETTER/", {"is_active": False}, format="json").status_code == 200


def test_an_issued_code_names_no_discount_to_change(admin):
    issued = IssuedCodeFactory()

    response = admin.patch(f"{URL}{issued.code}/", {"is_active": False}, format="json")

    assert_problem(response, 404, "discount_not_found")
    assert Discount.objects.get().is_active is True


def test_the_admin_reads_an_issued_code_as_the_service_does(admin, service):
    issued = IssuedCodeFactory()

    assert admin.get(f"{URL}{issued.code}/").json() == service.get(f"{URL}{issued.code}/").json()


@pytest.mark.parametrize("code", ["NEWS-UNKNOWN0000", "NE", "news 7k3"])
def test_a_code_nobody_issued_is_404(service, code):
    IssuedCodeFactory(code="NEWS-7K3MQ9ZD2XWA")

    assert_problem(service.get(f"{URL}{code}/"), 404, "discount_not_found")
