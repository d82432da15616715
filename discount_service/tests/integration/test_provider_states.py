"""POST /_pact/provider-states, mounted only with PACT_PROVIDER_STATES=1."""

import uuid
from decimal import Decimal

import pytest

from discounts.models import Discount, Redemption
from servicekit.testing import assert_problem
from tests.factories import DiscountFactory, RedemptionFactory

pytestmark = pytest.mark.django_db
URL = "/_pact/provider-states"


def setup(client, state, **params):
    return client.post(URL, {"state": state, "params": params, "action": "setup"}, format="json")


def test_the_endpoint_is_absent_by_default(anon):
    assert_problem(setup(anon, "a discount exists", code="SAVE10"), 404, "not_found")
    assert Discount.objects.count() == 0


@pytest.mark.usefixtures("provider_states_on")
class TestStates:
    def test_a_discount_exists_with_ordinary_defaults(self, anon, service):
        response = setup(anon, "a discount exists", code="save10")

        assert response.status_code == 200
        assert response.json()["code"] == "SAVE10"
        discount = Discount.objects.get()
        assert (discount.kind, discount.value, discount.currency) == (
            "percent",
            Decimal("10.00"),
            None,
        )
        assert (discount.is_active, discount.times_redeemed, discount.max_redemptions) == (
            True,
            0,
            None,
        )
        assert discount.status == "active"
        assert service.get("/api/discounts/SAVE10/").json()["status"] == "active"

    def test_a_discount_exists_exactly_as_the_params_say(self, anon):
        response = setup(
            anon,
            "a discount exists",
            code="FIVE",
            kind="fixed",
            value="5.00",
            currency="EUR",
            starts_at="2026-01-01T00:00:00Z",
            ends_at="2099-01-01T00:00:00Z",
            max_redemptions=3,
            times_redeemed=3,
            is_active=True,
        )

        assert response.status_code == 200, response.content
        discount = Discount.objects.get()
        assert (discount.kind, discount.value, discount.currency) == (
            "fixed",
            Decimal("5.00"),
            "EUR",
        )
        assert discount.starts_at.isoformat() == "2026-01-01T00:00:00+00:00"
        assert (discount.max_redemptions, discount.times_redeemed) == (3, 3)
        assert discount.status == "exhausted"
        assert Redemption.objects.filter(discount=discount).count() == 3

    @pytest.mark.parametrize(
        ("params", "status"),
        [
            ({"is_active": False}, "inactive"),
            ({"starts_at": "2099-01-01T00:00:00Z"}, "scheduled"),
            ({"starts_at": "2020-01-01T00:00:00Z", "ends_at": "2020-02-01T00:00:00Z"}, "expired"),
        ],
    )
    def test_a_discount_exists_in_each_status(self, anon, params, status):
        assert setup(anon, "a discount exists", code="SAVE10", **params).status_code == 200

        assert Discount.objects.get().status == status

    def test_a_discount_exists_overwrites_the_same_code(self, anon):
        RedemptionFactory.create_batch(2, discount=DiscountFactory(code="SAVE10", value=50))

        setup(anon, "a discount exists", code="save10", value=20)

        discount = Discount.objects.get()
        assert (discount.value, discount.times_redeemed) == (Decimal("20.00"), 0)
        assert Redemption.objects.count() == 0

    def test_no_discount_exists_removes_it(self, anon):
        DiscountFactory(code="SAVE10")
        DiscountFactory(code="OTHER")

        assert setup(anon, "no discount exists", code="save10").status_code == 200

        assert list(Discount.objects.values_list("code", flat=True)) == ["OTHER"]

    def test_a_discount_is_redeemed_by_a_cart(self, anon, service):
        cart_id = uuid.uuid4()

        response = setup(
            anon, "a discount is redeemed by a cart", code="SAVE10", cart_id=str(cart_id)
        )

        assert response.status_code == 200, response.content
        discount = Discount.objects.get()
        assert discount.times_redeemed == 1
        assert Redemption.objects.get().cart_id == cart_id
        again = service.post(
            "/api/discounts/SAVE10/redemptions/", {"cart_id": str(cart_id)}, format="json"
        )
        assert again.status_code == 200

    def test_a_discount_is_redeemed_by_a_cart_keeps_an_existing_discount(self, anon):
        DiscountFactory(code="SAVE10", value=Decimal("15.00"))
        cart_id = str(uuid.uuid4())

        setup(anon, "a discount is redeemed by a cart", code="SAVE10", cart_id=cart_id)
        setup(anon, "a discount is redeemed by a cart", code="SAVE10", cart_id=cart_id)

        discount = Discount.objects.get()
        assert (discount.value, discount.times_redeemed) == (Decimal("15.00"), 1)

    def test_states_without_params_use_the_documented_defaults(self, anon, service):
        assert setup(anon, "a discount exists").json()["code"] == "SAVE10"
        assert service.get("/api/discounts/SAVE10/").json()["status"] == "active"

        assert setup(anon, "a discount is redeemed by a cart").status_code == 200

        redemption = Redemption.objects.get()
        assert (redemption.discount.code, str(redemption.cart_id)) == (
            "SAVE10",
            "11111111-1111-4111-8111-111111111111",
        )

    def test_two_discounts_for_one_interaction_are_both_set_up(self, anon):
        setup(anon, "a discount exists", code="SAVE10")
        setup(anon, "a discount exists", code="FIVEOFF", kind="fixed", value="5.00")

        assert sorted(Discount.objects.values_list("code", flat=True)) == ["FIVEOFF", "SAVE10"]

    def test_teardown_leaves_nothing_behind(self, anon):
        setup(anon, "a discount is redeemed by a cart", code="SAVE10", cart_id=str(uuid.uuid4()))
        setup(anon, "a discount exists", code="OTHER", times_redeemed=2)

        response = anon.post(
            URL, {"state": "a discount exists", "action": "teardown"}, format="json"
        )

        assert response.status_code == 200
        assert (Discount.objects.count(), Redemption.objects.count()) == (0, 0)

    def test_an_unknown_state_is_400_naming_it(self, anon):
        body = assert_problem(setup(anon, "a unicorn exists"), 400, "invalid_provider_state")

        assert "a unicorn exists" in body["detail"]

    @pytest.mark.parametrize(
        ("state", "params"),
        [
            ("a discount exists", {"code": "x"}),
            ("a discount exists", {"code": 12}),
            ("a discount exists", {"code": None}),
            ("a discount exists", {"code": "SAVE10", "value": "abc"}),
            ("a discount exists", {"code": "SAVE10", "value": "150"}),
            ("a discount exists", {"code": "SAVE10", "kind": "weird"}),
            ("a discount exists", {"code": "SAVE10", "currency": "XYZ"}),
            ("a discount exists", {"code": "SAVE10", "starts_at": "yesterday"}),
            ("a discount exists", {"code": "SAVE10", "ends_at": 5}),
            ("a discount exists", {"code": "SAVE10", "ends_at": "2000-01-01T00:00:00Z"}),
            ("a discount exists", {"code": "SAVE10", "max_redemptions": 0}),
            ("a discount exists", {"code": "SAVE10", "max_redemptions": 1, "times_redeemed": 2}),
            ("a discount exists", {"code": "SAVE10", "times_redeemed": -1}),
            ("a discount exists", {"code": "SAVE10", "is_active": "maybe"}),
            ("a discount is redeemed by a cart", {"code": "SAVE10", "cart_id": "nope"}),
        ],
    )
    def test_bad_params_are_400_and_change_nothing(self, anon, state, params):
        DiscountFactory(code="KEEP")

        response = setup(anon, state, **params)

        assert_problem(response, 400, "invalid_provider_state")
        assert list(Discount.objects.values_list("code", flat=True)) == ["KEEP"]

    def test_counts_and_flags_may_be_written_as_strings(self, anon):
        setup(anon, "a discount exists", code="SAVE10", times_redeemed="2", is_active="False")

        discount = Discount.objects.get()
        assert (discount.times_redeemed, discount.is_active) == (2, False)

    @pytest.mark.parametrize("name", ["value", "max_redemptions", "is_active", "cart_id"])
    def test_a_bad_param_is_named_in_the_detail(self, anon, name):
        response = setup(anon, "a discount is redeemed by a cart", **{name: "nope"})

        assert (
            f"Param {name!r}" in assert_problem(response, 400, "invalid_provider_state")["detail"]
        )

    def test_a_full_discount_cannot_be_redeemed_by_another_cart(self, anon):
        setup(anon, "a discount exists", code="SAVE10", max_redemptions=1, times_redeemed=1)

        response = setup(
            anon, "a discount is redeemed by a cart", code="SAVE10", cart_id=str(uuid.uuid4())
        )

        assert_problem(response, 400, "invalid_provider_state")
        assert Redemption.objects.count() == 1
