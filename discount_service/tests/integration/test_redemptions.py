"""POST /api/discounts/{code}/redemptions/ and DELETE .../redemptions/{cart_id}/"""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from discounts.models import Discount, Redemption
from servicekit.testing import assert_problem
from tests.factories import DiscountFactory, RedemptionFactory

pytestmark = pytest.mark.django_db


def redeem(client, code, cart_id):
    return client.post(
        f"/api/discounts/{code}/redemptions/", {"cart_id": str(cart_id)}, format="json"
    )


def release(client, code, cart_id):
    return client.delete(f"/api/discounts/{code}/redemptions/{cart_id}/")


def times_redeemed(code="SAVE10") -> int:
    return Discount.objects.get(code=code).times_redeemed


def test_first_redemption_is_201_and_counts(service):
    DiscountFactory(code="SAVE10")
    cart_id = uuid.uuid4()

    response = redeem(service, "save10", cart_id)

    assert response.status_code == 201
    assert response.json() == {
        "code": "SAVE10",
        "cart_id": str(cart_id),
        "created_at": response.json()["created_at"],
    }
    assert times_redeemed() == 1
    assert Redemption.objects.get().cart_id == cart_id


def test_redeem_is_idempotent_per_cart(service):
    DiscountFactory(code="SAVE10")
    cart_id = uuid.uuid4()
    first = redeem(service, "SAVE10", cart_id)

    again = redeem(service, "SAVE10", cart_id)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert times_redeemed() == 1
    assert Redemption.objects.count() == 1


def test_a_cart_keeps_its_redemption_after_the_discount_is_exhausted(service):
    DiscountFactory(code="SAVE10", max_redemptions=1)
    cart_id = uuid.uuid4()
    first = redeem(service, "SAVE10", cart_id)

    assert_problem(redeem(service, "SAVE10", uuid.uuid4()), 422, "discount_exhausted")
    again = redeem(service, "SAVE10", cart_id)

    assert again.status_code == 200
    assert again.json() == first.json()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"ends_at": timezone.now() - timedelta(seconds=1)}, "discount_expired"),
        ({"is_active": False}, "discount_inactive"),
        (
            {"starts_at": timezone.now() + timedelta(days=1), "ends_at": None},
            "discount_not_started",
        ),
    ],
)
def test_a_held_use_is_not_granted_again_once_the_discount_is_unusable(service, change, code):
    # A cart that staged a use must not spend it after the shop switched the code off.
    discount = DiscountFactory(code="SAVE10", starts_at=timezone.now() - timedelta(days=2))
    cart_id = uuid.uuid4()
    redeem(service, "SAVE10", cart_id)
    Discount.objects.filter(pk=discount.pk).update(**change)

    assert_problem(redeem(service, "SAVE10", cart_id), 422, code)
    # The use stays counted until the cart gives it back (it may belong to a checkout
    # attempt that began while the code was usable); releasing it works as ever.
    assert times_redeemed() == 1
    assert release(service, "SAVE10", cart_id).status_code == 204
    assert times_redeemed() == 0


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"starts_at": timezone.now() + timedelta(days=1)}, "discount_not_started"),
        (
            {
                "starts_at": timezone.now() - timedelta(days=2),
                "ends_at": timezone.now() - timedelta(days=1),
            },
            "discount_expired",
        ),
        ({"is_active": False}, "discount_inactive"),
        ({"max_redemptions": 1, "times_redeemed": 1}, "discount_exhausted"),
    ],
)
def test_an_unusable_discount_is_refused_with_422(service, overrides, code):
    DiscountFactory(code="SAVE10", **overrides)
    before = times_redeemed()

    assert_problem(redeem(service, "SAVE10", uuid.uuid4()), 422, code)
    assert times_redeemed() == before
    assert Redemption.objects.count() == 0


def test_the_last_use_can_be_taken_then_no_more(service):
    DiscountFactory(code="SAVE10", max_redemptions=2)

    assert redeem(service, "SAVE10", uuid.uuid4()).status_code == 201
    assert redeem(service, "SAVE10", uuid.uuid4()).status_code == 201
    assert_problem(redeem(service, "SAVE10", uuid.uuid4()), 422, "discount_exhausted")
    assert times_redeemed() == 2
    assert service.get("/api/discounts/SAVE10/").json()["status"] == "exhausted"


def test_redeeming_an_unknown_code_is_404(service):
    assert_problem(redeem(service, "NOPE", uuid.uuid4()), 404, "discount_not_found")
    assert Redemption.objects.count() == 0


@pytest.mark.parametrize(
    "body", [{}, {"cart_id": "not-a-uuid"}, {"cart_id": 42}, {"cart_id": None}, {"cart": "x"}]
)
def test_a_bad_cart_id_is_400_and_redeems_nothing(service, body):
    DiscountFactory(code="SAVE10")

    response = service.post("/api/discounts/SAVE10/redemptions/", body, format="json")

    assert "cart_id" in assert_problem(response, 400, "validation_error")["errors"]
    assert times_redeemed() == 0
    assert Redemption.objects.count() == 0


def test_malformed_json_is_400_and_redeems_nothing(service):
    DiscountFactory(code="SAVE10")

    response = service.post(
        "/api/discounts/SAVE10/redemptions/", data="{", content_type="application/json"
    )

    assert_problem(response, 400, "malformed_request")
    assert times_redeemed() == 0


def test_release_gives_the_use_back(service):
    DiscountFactory(code="SAVE10", max_redemptions=1)
    cart_id = uuid.uuid4()
    redeem(service, "SAVE10", cart_id)

    response = release(service, "save10", cart_id)

    assert response.status_code == 204
    assert response.content == b""
    assert times_redeemed() == 0
    assert Redemption.objects.count() == 0
    assert redeem(service, "SAVE10", uuid.uuid4()).status_code == 201


def test_release_is_idempotent_and_counts_back_once(service):
    discount = DiscountFactory(code="SAVE10")
    held = RedemptionFactory(discount=discount)
    RedemptionFactory(discount=discount)

    assert release(service, "SAVE10", held.cart_id).status_code == 204
    assert release(service, "SAVE10", held.cart_id).status_code == 204

    assert times_redeemed() == 1
    assert Redemption.objects.count() == 1


def test_releasing_what_was_never_held_is_204_and_changes_nothing(service):
    discount = DiscountFactory(code="SAVE10")
    RedemptionFactory(discount=discount)

    assert release(service, "SAVE10", uuid.uuid4()).status_code == 204
    assert times_redeemed() == 1


def test_releasing_on_an_unknown_code_is_204(service):
    assert release(service, "NOPE", uuid.uuid4()).status_code == 204


def test_releasing_only_touches_that_discount(service):
    cart_id = uuid.uuid4()
    RedemptionFactory(discount=DiscountFactory(code="ONE"), cart_id=cart_id)
    RedemptionFactory(discount=DiscountFactory(code="TWO"), cart_id=cart_id)

    release(service, "ONE", cart_id)

    assert (times_redeemed("ONE"), times_redeemed("TWO")) == (0, 1)


@pytest.mark.parametrize("cart_id", ["not-a-uuid", "123"])
def test_a_non_uuid_cart_id_in_the_path_is_404(service, cart_id):
    DiscountFactory(code="SAVE10")

    assert_problem(release(service, "SAVE10", cart_id), 404, "not_found")


def test_an_upper_case_uuid_in_the_path_is_accepted(service):
    cart_id = uuid.uuid4()
    RedemptionFactory(discount=DiscountFactory(code="SAVE10"), cart_id=cart_id)

    assert release(service, "SAVE10", str(cart_id).upper()).status_code == 204
    assert times_redeemed() == 0
