"""Redeeming and releasing with a cart against the rules, and through issued codes."""

import uuid
from decimal import Decimal

import pytest

from discounts.models import Discount, Redemption
from servicekit.testing import assert_problem
from tests.factories import A_CART, DiscountFactory, IssuedCodeFactory

pytestmark = pytest.mark.django_db

CART = A_CART


def redeem(client, code, cart_id, cart=None):
    body = {"cart_id": str(cart_id)} if cart is None else {"cart_id": str(cart_id), "cart": cart}
    return client.post(f"/api/discounts/{code}/redemptions/", body, format="json")


def release(client, code, cart_id):
    return client.delete(f"/api/discounts/{code}/redemptions/{cart_id}/")


def redeemed(code) -> int:
    return Discount.objects.get(code=code).times_redeemed


# -- the rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        {"currency": "USD", "minimum_subtotal": Decimal("10.00")},
        {"minimum_items": 1},
        {"skus": ["MUG-1"]},
    ],
)
def test_a_discount_with_a_rule_is_not_redeemed_without_the_cart(service, rule):
    DiscountFactory(code="PROMO", **rule)

    assert_problem(redeem(service, "PROMO", uuid.uuid4()), 422, "discount_cart_required")
    assert (redeemed("PROMO"), Redemption.objects.count()) == (0, 0)


def test_a_cart_that_meets_the_rules_redeems(service):
    DiscountFactory(code="PROMO", currency="USD", minimum_subtotal=Decimal("37.50"), skus=["MUG-1"])

    assert redeem(service, "PROMO", uuid.uuid4(), CART).status_code == 201
    assert redeemed("PROMO") == 1


@pytest.mark.parametrize(
    ("rule", "code", "facts"),
    [
        (
            {"currency": "USD", "minimum_subtotal": Decimal("50.00")},
            "discount_minimum_not_met",
            {"minimum_subtotal": "50.00", "currency": "USD", "missing": "12.50"},
        ),
        (
            {"minimum_items": 5},
            "discount_minimum_items_not_met",
            {"minimum_items": 5, "missing_items": 2},
        ),
        ({"skus": ["CUP-1"]}, "discount_not_applicable", {"skus": ["CUP-1"]}),
        ({"fixed": True, "currency": "EUR"}, "discount_currency_mismatch", {"currency": "EUR"}),
    ],
)
def test_a_cart_that_fails_a_rule_is_refused_with_its_facts(service, rule, code, facts):
    DiscountFactory(code="PROMO", **rule)

    problem = assert_problem(redeem(service, "PROMO", uuid.uuid4(), CART), 422, code)

    assert {k: problem[k] for k in facts} == facts
    assert (redeemed("PROMO"), Redemption.objects.count()) == (0, 0)


def test_a_cart_holding_a_use_is_refused_when_it_no_longer_meets_the_rules(service):
    DiscountFactory(code="PROMO", minimum_items=3)
    cart_id = uuid.uuid4()
    first = redeem(service, "PROMO", cart_id, CART)
    smaller = {**CART, "items": CART["items"][:1]}

    assert_problem(
        redeem(service, "PROMO", cart_id, smaller), 422, "discount_minimum_items_not_met"
    )
    assert_problem(redeem(service, "PROMO", cart_id), 422, "discount_cart_required")
    # The use stays held for the cart to release; the same cart meeting them again gets it.
    assert redeemed("PROMO") == 1
    assert redeem(service, "PROMO", cart_id, CART).json() == first.json()
    assert release(service, "PROMO", cart_id).status_code == 204
    assert redeemed("PROMO") == 0


def test_a_discount_without_rules_takes_a_cart_or_none(service):
    DiscountFactory(code="SAVE10")

    assert redeem(service, "SAVE10", uuid.uuid4()).status_code == 201
    assert redeem(service, "SAVE10", uuid.uuid4(), CART).status_code == 201
    assert redeemed("SAVE10") == 2


def test_a_malformed_cart_is_400_and_redeems_nothing(service):
    DiscountFactory(code="SAVE10")

    response = redeem(service, "SAVE10", uuid.uuid4(), {"currency": "USD", "items": "x"})

    assert "cart.items" in assert_problem(response, 400, "validation_error")["errors"]
    assert redeemed("SAVE10") == 0


# -- issued codes -----------------------------------------------------------------------------


@pytest.fixture
def promotion():
    return DiscountFactory(code="NEWSLETTER", promotion=True, max_redemptions=2)


@pytest.fixture
def codes(promotion):
    return [IssuedCodeFactory(discount=promotion).code for _ in range(4)]


def test_an_issued_code_redeems_once_under_its_own_code(service, codes):
    cart_id = uuid.uuid4()

    response = redeem(service, codes[0].lower(), cart_id)

    assert response.status_code == 201
    assert response.json()["code"] == codes[0]
    assert Redemption.objects.get().issued_code.code == codes[0]
    assert redeemed("NEWSLETTER") == 1


def test_another_cart_redeeming_a_used_code_is_refused(service, codes):
    redeem(service, codes[0], uuid.uuid4())

    assert_problem(redeem(service, codes[0], uuid.uuid4()), 422, "discount_code_used")
    assert redeemed("NEWSLETTER") == 1


def test_the_holder_redeeming_again_gets_its_redemption_back(service, codes):
    cart_id = uuid.uuid4()
    first = redeem(service, codes[0], cart_id)

    again = redeem(service, codes[0], cart_id)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert redeemed("NEWSLETTER") == 1


def test_a_cart_holding_another_code_of_the_promotion_moves_its_use(service, codes):
    cart_id = uuid.uuid4()
    redeem(service, codes[0], cart_id)

    moved = redeem(service, codes[1], cart_id)

    assert moved.status_code == 201
    assert moved.json()["code"] == codes[1]
    assert redeemed("NEWSLETTER") == 1
    assert Redemption.objects.get().issued_code.code == codes[1]
    # the first code is free again, for another cart
    assert redeem(service, codes[0], uuid.uuid4()).status_code == 201


def test_the_promotions_cap_counts_all_its_codes(service, codes):
    assert redeem(service, codes[0], uuid.uuid4()).status_code == 201
    assert redeem(service, codes[1], uuid.uuid4()).status_code == 201

    assert_problem(redeem(service, codes[2], uuid.uuid4()), 422, "discount_exhausted")
    assert redeemed("NEWSLETTER") == 2
    assert service.get(f"/api/discounts/{codes[3]}/").json()["status"] == "exhausted"


def test_a_cart_holding_a_use_may_move_it_while_the_promotion_is_exhausted(service, codes):
    cart_id = uuid.uuid4()
    redeem(service, codes[0], cart_id)
    redeem(service, codes[1], uuid.uuid4())

    assert redeem(service, codes[2], cart_id).status_code == 201
    assert redeemed("NEWSLETTER") == 2


def test_a_used_code_is_refused_even_to_a_cart_moving_its_use(service, codes):
    mover, holder = uuid.uuid4(), uuid.uuid4()
    redeem(service, codes[0], mover)
    redeem(service, codes[1], holder)

    assert_problem(redeem(service, codes[1], mover), 422, "discount_code_used")
    assert Redemption.objects.get(cart_id=mover).issued_code.code == codes[0]


def test_the_promotions_own_code_redeems_nothing(service, codes):
    assert_problem(redeem(service, "NEWSLETTER", uuid.uuid4()), 404, "discount_not_found")
    assert redeemed("NEWSLETTER") == 0


def test_an_issued_code_is_held_to_its_promotions_rules(service):
    issued = IssuedCodeFactory(discount=DiscountFactory(promotion=True, skus=["CUP-1"]))

    assert_problem(redeem(service, issued.code, uuid.uuid4()), 422, "discount_cart_required")
    assert_problem(redeem(service, issued.code, uuid.uuid4(), CART), 422, "discount_not_applicable")
    assert Redemption.objects.count() == 0


def test_releasing_through_the_code_frees_it(service, codes):
    cart_id = uuid.uuid4()
    redeem(service, codes[0], cart_id)

    assert release(service, codes[0].lower(), cart_id).status_code == 204

    assert redeemed("NEWSLETTER") == 0
    assert redeem(service, codes[0], uuid.uuid4()).status_code == 201


def test_a_release_gives_back_only_the_use_held_through_that_code(service, codes):
    cart_id = uuid.uuid4()
    redeem(service, codes[0], cart_id)

    assert release(service, codes[1], cart_id).status_code == 204
    assert release(service, "NEWSLETTER", cart_id).status_code == 204

    assert redeemed("NEWSLETTER") == 1
    assert Redemption.objects.get().cart_id == cart_id
