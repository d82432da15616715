"""Truly parallel clients, one database connection per thread, on PostgreSQL."""

import uuid
from collections import Counter

import pytest

from discounts.models import Discount, Redemption
from tests.concurrency.clients import as_client, outcome, redeem, release
from tests.conftest import ADMIN_TOKEN, SERVICE_TOKEN
from tests.factories import DiscountFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_thirty_carts_racing_for_five_uses_get_exactly_five():
    DiscountFactory(code="RACE", max_redemptions=5)

    results = as_client(SERVICE_TOKEN, [redeem("RACE", uuid.uuid4()) for _ in range(30)])

    assert Counter(outcome(r) for r in results) == {(201,): 5, (422, "discount_exhausted"): 25}
    discount = Discount.objects.get()
    assert discount.times_redeemed == 5
    assert Redemption.objects.filter(discount=discount).count() == 5
    assert discount.status == "exhausted"


def test_one_cart_redeeming_ten_times_at_once_holds_one_redemption():
    DiscountFactory(code="RACE", max_redemptions=5)
    cart_id = uuid.uuid4()

    results = as_client(SERVICE_TOKEN, [redeem("RACE", cart_id) for _ in range(10)])

    assert Counter(outcome(r) for r in results) == {(201,): 1, (200,): 9}
    assert len({r.json()["created_at"] for r in results}) == 1
    assert Discount.objects.get().times_redeemed == 1
    assert Redemption.objects.get().cart_id == cart_id


def test_concurrent_redeems_and_releases_keep_the_count_equal_to_the_rows():
    discount = DiscountFactory(code="RACE", max_redemptions=10)
    held = [uuid.uuid4() for _ in range(10)]
    for cart_id in held[:5]:
        Redemption.objects.create(discount=discount, cart_id=cart_id)
    Discount.objects.filter(pk=discount.pk).update(times_redeemed=5)
    calls = [release("RACE", c) for c in held[:5]] * 2  # each release twice
    calls += [redeem("RACE", c) for c in held[5:]] * 2  # each redeem twice

    results = as_client(SERVICE_TOKEN, calls)

    assert all(not isinstance(r, Exception) and r.status_code < 300 for r in results), [
        outcome(r) for r in results
    ]
    discount.refresh_from_db()
    assert discount.times_redeemed == Redemption.objects.filter(discount=discount).count() == 5
    assert set(Redemption.objects.values_list("cart_id", flat=True)) == set(held[5:])


def test_two_creates_of_one_code_at_once_give_one_201_and_409s():
    body = {"code": "TWIN", "kind": "percent", "value": "10"}
    calls = [
        (
            lambda client, code=code: client.post(
                "/api/discounts/", {**body, "code": code}, format="json"
            )
        )
        for code in ["TWIN", "twin", " Twin "] * 3
    ]

    results = as_client(ADMIN_TOKEN, calls)

    assert Counter(outcome(r) for r in results) == {(201,): 1, (409, "discount_code_taken"): 8}
    assert Discount.objects.filter(code="TWIN").count() == 1
