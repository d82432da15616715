"""Promotions under truly parallel clients (one connection per thread), on PostgreSQL:
one holder per issued code, and a promotion's cap across all its codes."""

import uuid
from collections import Counter

import pytest

from discounts.models import Discount, IssuedCode, Redemption
from tests.concurrency.clients import as_client, outcome, redeem
from tests.conftest import ADMIN_TOKEN, SERVICE_TOKEN
from tests.factories import DiscountFactory, IssuedCodeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def counts_agree(promotion: Discount) -> None:
    """times_redeemed is the promotion's uses, and each issued code has one holder at most."""
    promotion.refresh_from_db()
    uses = Redemption.objects.filter(discount=promotion)
    assert promotion.times_redeemed == uses.count()
    holders = Counter(uses.exclude(issued_code=None).values_list("issued_code", flat=True))
    assert all(n == 1 for n in holders.values()), holders


@pytest.mark.parametrize("rounds", [10])
def test_two_carts_redeeming_one_single_use_code_at_once_get_one_success(rounds):
    promotion = DiscountFactory(code="NEWSLETTER", promotion=True)
    codes = [IssuedCodeFactory(discount=promotion).code for _ in range(rounds)]
    results = []

    for code in codes:  # each round: two carts, released at the same instant by a barrier
        results.append(as_client(SERVICE_TOKEN, [redeem(code, uuid.uuid4()) for _ in range(2)]))

    assert [Counter(outcome(r) for r in pair) for pair in results] == [
        {(201,): 1, (422, "discount_code_used"): 1}
    ] * rounds
    for code, pair in zip(codes, results, strict=True):
        [winner] = [r for r in pair if r.status_code == 201]
        assert winner.json()["code"] == code
        assert (
            str(Redemption.objects.get(issued_code__code=code).cart_id) == winner.json()["cart_id"]
        )
    counts_agree(promotion)
    assert promotion.times_redeemed == rounds


def test_ten_carts_redeeming_one_single_use_code_at_once_get_one_success():
    issued = IssuedCodeFactory()

    results = as_client(SERVICE_TOKEN, [redeem(issued.code, uuid.uuid4()) for _ in range(10)])

    assert Counter(outcome(r) for r in results) == {(201,): 1, (422, "discount_code_used"): 9}
    counts_agree(issued.discount)


def test_carts_redeeming_different_codes_of_a_capped_promotion_never_pass_the_cap():
    promotion = DiscountFactory(code="NEWSLETTER", promotion=True, max_redemptions=5)
    codes = [IssuedCodeFactory(discount=promotion).code for _ in range(30)]

    results = as_client(SERVICE_TOKEN, [redeem(code, uuid.uuid4()) for code in codes])

    assert Counter(outcome(r) for r in results) == {(201,): 5, (422, "discount_exhausted"): 25}
    counts_agree(promotion)
    assert promotion.times_redeemed == 5
    assert promotion.status == "exhausted"


def test_moves_and_takes_of_the_same_codes_at_once_keep_one_holder_per_code():
    # cart A holds the first code and moves to the second while B takes the second and C
    # takes the first: whatever the order, each code has one holder and A holds one use.
    promotion = DiscountFactory(code="NEWSLETTER", promotion=True, max_redemptions=3)
    first, second = (IssuedCodeFactory(discount=promotion).code for _ in range(2))
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    as_client(SERVICE_TOKEN, [redeem(first, a)])

    results = as_client(SERVICE_TOKEN, [redeem(second, a), redeem(second, b), redeem(first, c)])

    assert all(not isinstance(r, Exception) and r.status_code < 500 for r in results)
    assert {outcome(r) for r in results[:2]} == {(201,), (422, "discount_code_used")}
    counts_agree(promotion)
    assert Redemption.objects.filter(discount=promotion, cart_id=a).count() == 1


def test_two_batches_of_one_promotion_at_once_add_up():
    promotion = DiscountFactory(code="NEWSLETTER", promotion=True)

    def batch(client):
        return client.post("/api/discounts/NEWSLETTER/codes/", {"count": 500}, format="json")

    results = as_client(ADMIN_TOKEN, [batch, batch])

    assert [r.status_code for r in results] == [201, 201]
    promotion.refresh_from_db()
    assert promotion.codes_issued == IssuedCode.objects.count() == 1000
    assert len({c for r in results for c in r.json()["codes"]}) == 1000
