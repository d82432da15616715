"""POST /api/discounts/{code}/eligibility/: a code checked against a cart; nothing held."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from discounts.models import Discount, Redemption
from servicekit.testing import assert_problem
from tests.factories import A_CART, DiscountFactory, IssuedCodeFactory, RedemptionFactory

pytestmark = pytest.mark.django_db

CART = A_CART


def check(client, code, cart=CART):
    return client.post(f"/api/discounts/{code}/eligibility/", {"cart": cart}, format="json")


def test_a_cart_that_meets_every_rule_gets_the_discount(service):
    DiscountFactory(
        code="MUGS20",
        value=Decimal("20.00"),
        currency="USD",
        minimum_subtotal=Decimal("37.50"),
        minimum_items=3,
        skus=["MUG-1"],
    )

    response = check(service, "mugs20")

    assert response.status_code == 200
    assert response.json() == {
        **response.json(),
        "code": "MUGS20",
        "value": "20.00",
        "skus": ["MUG-1"],
        "minimum_subtotal": "37.50",
        "status": "active",
    }
    assert Discount.objects.get().times_redeemed == 0
    assert Redemption.objects.count() == 0


def test_a_discount_without_rules_is_eligible_for_any_cart(service):
    DiscountFactory(code="SAVE10")

    assert check(service, "SAVE10", {"currency": "GBP", "items": []}).status_code == 200


def test_below_the_minimum_subtotal_says_what_to_add(service):
    DiscountFactory(code="OVER50", currency="USD", minimum_subtotal=Decimal("50.00"))

    problem = assert_problem(check(service, "OVER50"), 422, "discount_minimum_not_met")

    assert (problem["minimum_subtotal"], problem["currency"], problem["missing"]) == (
        "50.00",
        "USD",
        "12.50",
    )
    assert "add 12.50 more" in problem["detail"]


@pytest.mark.parametrize(("minimum", "missing"), [("37.51", "0.01"), ("37.50", None)])
def test_a_cent_below_the_minimum_is_below_it(service, minimum, missing):
    DiscountFactory(code="OVER", currency="USD", minimum_subtotal=Decimal(minimum))

    response = check(service, "OVER")

    if missing is None:
        assert response.status_code == 200
    else:
        assert assert_problem(response, 422, "discount_minimum_not_met")["missing"] == missing


def test_below_the_minimum_items_says_how_many_to_add(service):
    DiscountFactory(code="FOUR", minimum_items=4)

    problem = assert_problem(check(service, "FOUR"), 422, "discount_minimum_items_not_met")

    assert (problem["minimum_items"], problem["missing_items"]) == (4, 1)


def test_a_cart_without_the_discounts_skus_is_not_applicable(service):
    DiscountFactory(code="CUPS", skus=["CUP-1", "CUP-2"])

    problem = assert_problem(check(service, "CUPS"), 422, "discount_not_applicable")

    assert problem["skus"] == ["CUP-1", "CUP-2"]


def test_a_cart_line_sku_is_normalised_before_it_is_matched(service):
    DiscountFactory(code="MUGS", skus=["MUG-1"])
    cart = {"currency": "USD", "items": [{"sku": " mug-1", "quantity": 1, "unit_price": "7.50"}]}

    assert check(service, "MUGS", cart).status_code == 200


@pytest.mark.parametrize(
    "discount",
    [
        {"fixed": True, "currency": "EUR"},
        {"currency": "EUR", "minimum_subtotal": Decimal("1.00")},
    ],
)
def test_a_cart_in_another_currency_is_a_currency_mismatch(service, discount):
    DiscountFactory(code="EURO", **discount)

    problem = assert_problem(check(service, "EURO"), 422, "discount_currency_mismatch")

    assert problem["currency"] == "EUR"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"is_active": False, "minimum_items": 99}, "discount_inactive"),
        ({"max_redemptions": 1, "times_redeemed": 1}, "discount_exhausted"),
        ({"starts_at": timezone.now() + timedelta(days=1)}, "discount_not_started"),
        (
            {
                "starts_at": timezone.now() - timedelta(days=2),
                "ends_at": timezone.now() - timedelta(days=1),
            },
            "discount_expired",
        ),
    ],
)
def test_the_status_is_checked_first(service, overrides, code):
    DiscountFactory(code="SAVE10", **overrides)

    assert_problem(check(service, "SAVE10"), 422, code)


def test_an_issued_code_is_checked_as_its_promotion_under_its_own_code(service):
    issued = IssuedCodeFactory(discount=DiscountFactory(promotion=True, minimum_items=2))

    response = check(service, issued.code.lower())

    assert response.status_code == 200
    assert (response.json()["code"], response.json()["minimum_items"]) == (issued.code, 2)


def test_an_issued_code_another_cart_holds_is_used(service):
    issued = IssuedCodeFactory()
    RedemptionFactory(discount=issued.discount, issued_code=issued)

    assert_problem(check(service, issued.code), 422, "discount_code_used")


def test_a_single_use_promotions_own_code_is_not_found(service):
    DiscountFactory(code="NEWSLETTER", promotion=True)

    assert_problem(check(service, "NEWSLETTER"), 404, "discount_not_found")


def test_an_unknown_code_is_404(service):
    assert_problem(check(service, "NOPE"), 404, "discount_not_found")


@pytest.mark.parametrize(
    ("cart", "field"),
    [
        (None, "cart"),
        ("x", "cart"),
        ({"items": []}, "cart.currency"),
        ({"currency": "XYZ", "items": []}, "cart.currency"),
        ({"currency": "USD"}, "cart.items"),
        ({"currency": "USD", "items": {}}, "cart.items"),
        ({"currency": "USD", "items": [{}] * 1001}, "cart.items"),
        (
            {"currency": "USD", "items": [{"sku": "MUG 1", "quantity": 1, "unit_price": "1"}]},
            "cart.items.0.sku",
        ),
        (
            {"currency": "USD", "items": [{"sku": "MUG-1", "quantity": 0, "unit_price": "1"}]},
            "cart.items.0.quantity",
        ),
        (
            {"currency": "USD", "items": [{"sku": "MUG-1", "quantity": 1000, "unit_price": "1"}]},
            "cart.items.0.quantity",
        ),
        (
            {"currency": "USD", "items": [{"sku": "MUG-1", "quantity": "2", "unit_price": "1"}]},
            "cart.items.0.quantity",
        ),
        (
            {"currency": "USD", "items": [{"sku": "MUG-1", "quantity": 1, "unit_price": "-1.00"}]},
            "cart.items.0.unit_price",
        ),
        (
            {"currency": "USD", "items": [{"sku": "MUG-1", "quantity": 1, "unit_price": "1.001"}]},
            "cart.items.0.unit_price",
        ),
        (
            {"currency": "USD", "items": [{"sku": "MUG-1", "quantity": 1}]},
            "cart.items.0.unit_price",
        ),
    ],
)
def test_a_malformed_cart_is_400_naming_the_field(service, cart, field):
    DiscountFactory(code="SAVE10")
    body = {} if cart is None else {"cart": cart}

    response = service.post("/api/discounts/SAVE10/eligibility/", body, format="json")

    assert field in assert_problem(response, 400, "validation_error")["errors"]


def test_the_admin_token_may_not_check(admin):
    DiscountFactory(code="SAVE10")

    assert_problem(check(admin, "SAVE10"), 403, "permission_denied")


def test_no_token_is_401(anon):
    assert_problem(check(anon, "SAVE10"), 401, "not_authenticated")
