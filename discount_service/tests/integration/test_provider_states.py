"""POST /_pact/provider-states, mounted only with PACT_PROVIDER_STATES=1."""

import uuid
from decimal import Decimal

import pytest

from discounts.models import Discount, IssuedCode, Redemption
from servicekit.testing import assert_problem
from tests.factories import DiscountFactory, IssuedCodeFactory, RedemptionFactory

pytestmark = pytest.mark.django_db
URL = "/_pact/provider-states"
DEFAULT_ISSUED = ["NEWS-7K3MQ9ZD2XWA", "NEWS-2B8RJ4NCV6TE"]


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
            ("a discount exists", {"minimum_subtotal": "0.00"}),
            ("a discount exists", {"minimum_subtotal": "1.001"}),
            ("a discount exists", {"kind": "fixed", "minimum_subtotal": "-5"}),
            ("a discount exists", {"minimum_items": 0}),
            ("a discount exists", {"minimum_items": 10_001}),
            ("a discount exists", {"skus": []}),
            ("a discount exists", {"skus": ["A", "a"]}),
            ("a discount exists", {"skus": "MUG-1"}),
            ("a discount exists", {"single_use_codes": "maybe"}),
            ("a discount is redeemed by a cart", {"code": "SAVE10", "cart_id": "nope"}),
            ("a discount is redeemed by a cart", {"single_use_codes": True}),
            ("a promotion with issued codes exists", {"codes": []}),
            ("a promotion with issued codes exists", {"codes": ["x"]}),
            ("a promotion with issued codes exists", {"codes": ["NEWS-1", "news-1"]}),
            ("a promotion with issued codes exists", {"codes": ["NEWSLETTER"]}),
            ("a promotion with issued codes exists", {"used_by": {"NEWS-9": str(uuid.uuid4())}}),
            ("a promotion with issued codes exists", {"used_by": {"NEWS-7K3MQ9ZD2XWA": "x"}}),
            (
                "a promotion with issued codes exists",
                {
                    "used_by": {
                        "NEWS-7K3MQ9ZD2XWA": "11111111-1111-4111-8111-111111111111",
                        "NEWS-2B8RJ4NCV6TE": "11111111-1111-4111-8111-111111111111",
                    }
                },
            ),
            (
                "a promotion with issued codes exists",
                {"max_redemptions": 1, "used_by": {c: str(uuid.uuid4()) for c in DEFAULT_ISSUED}},
            ),
            ("a promotion with issued codes exists", {"codes": "NEWS-1"}),
        ],
    )
    def test_bad_params_are_400_and_change_nothing(self, anon, state, params):
        DiscountFactory(code="KEEP")
        IssuedCodeFactory(code="NEWS-7K3MQ9ZD2XWA")

        response = setup(anon, state, **params)

        assert_problem(response, 400, "invalid_provider_state")
        assert set(Discount.objects.values_list("code", flat=True)) == {
            "KEEP",
            IssuedCode.objects.get().discount.code,
        }
        assert IssuedCode.objects.get().code == "NEWS-7K3MQ9ZD2XWA"

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


@pytest.mark.usefixtures("provider_states_on")
class TestPromotionStates:
    def test_a_discount_exists_with_rules(self, anon, service):
        response = setup(
            anon,
            "a discount exists",
            code="OVER50",
            minimum_subtotal="50.00",
            minimum_items="2",
            skus=["mug-1", "MUG-2"],
        )

        assert response.status_code == 200, response.content
        assert response.json() == {
            **response.json(),
            "currency": "USD",  # a percent minimum is counted in the first currency
            "minimum_subtotal": "50.00",
            "minimum_items": 2,
            "skus": ["MUG-1", "MUG-2"],
            "single_use_codes": False,
            "codes_issued": 0,
        }
        cart = {"currency": "USD", "items": [{"sku": "MUG-1", "quantity": 2, "unit_price": "1"}]}
        problem = assert_problem(
            service.post("/api/discounts/OVER50/eligibility/", {"cart": cart}, format="json"),
            422,
            "discount_minimum_not_met",
        )
        assert problem["missing"] == "48.00"

    def test_a_discount_exists_as_a_single_use_promotion(self, anon, service):
        setup(anon, "a discount exists", code="NEWSLETTER", single_use_codes=True)

        assert Discount.objects.get().single_use_codes is True
        assert_problem(service.get("/api/discounts/NEWSLETTER/"), 404, "discount_not_found")

    def test_a_promotion_with_issued_codes_exists_by_default(self, anon, service):
        response = setup(anon, "a promotion with issued codes exists")

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["discount"] == {
            **body["discount"],
            "code": "NEWSLETTER",
            "single_use_codes": True,
            "codes_issued": 2,
            "times_redeemed": 0,
            "status": "active",
        }
        assert [c["code"] for c in body["codes"]] == DEFAULT_ISSUED
        assert {c["status"] for c in body["codes"]} == {"unused"}
        assert service.get(f"/api/discounts/{DEFAULT_ISSUED[0]}/").json()["status"] == "active"

    def test_a_used_code_is_held_by_its_cart(self, anon, service):
        cart_id = str(uuid.uuid4())

        body = setup(
            anon,
            "a promotion with issued codes exists",
            code="spring",
            codes=["spring-a1", "SPRING-B2"],
            used_by={"spring-a1": cart_id},
            kind="fixed",
            value="5.00",
            max_redemptions=10,
            minimum_items=1,
        ).json()

        assert body["discount"]["times_redeemed"] == 1
        assert body["codes"][0] == {
            **body["codes"][0],
            "code": "SPRING-A1",
            "status": "used",
            "cart_id": cart_id,
        }
        assert body["codes"][1]["status"] == "unused"
        cart = {"currency": "USD", "items": [{"sku": "A", "quantity": 1, "unit_price": "9.00"}]}
        other = {"cart_id": str(uuid.uuid4()), "cart": cart}
        assert_problem(
            service.post("/api/discounts/SPRING-A1/redemptions/", other, format="json"),
            422,
            "discount_code_used",
        )
        again = {"cart_id": cart_id, "cart": cart}
        assert (
            service.post("/api/discounts/SPRING-A1/redemptions/", again, format="json").status_code
            == 200
        )

    def test_a_promotion_replaces_what_held_its_codes(self, anon):
        DiscountFactory(code="NEWS-7K3MQ9ZD2XWA")  # a discount's own code
        other = DiscountFactory(code="OTHER", promotion=True, max_redemptions=5)
        taken = IssuedCodeFactory(discount=other, code="NEWS-2B8RJ4NCV6TE")
        RedemptionFactory(discount=other, issued_code=taken)

        assert setup(anon, "a promotion with issued codes exists").status_code == 200

        other.refresh_from_db()
        assert (other.codes_issued, other.times_redeemed) == (0, 0)
        assert sorted(IssuedCode.objects.values_list("code", flat=True)) == sorted(DEFAULT_ISSUED)
        assert set(Discount.objects.values_list("code", flat=True)) == {"NEWSLETTER", "OTHER"}

    def test_no_discount_exists_with_an_issued_code_removes_that_code(self, anon, service):
        cart_id = str(uuid.uuid4())
        setup(anon, "a promotion with issued codes exists", used_by={DEFAULT_ISSUED[0]: cart_id})

        assert setup(anon, "no discount exists", code=DEFAULT_ISSUED[0].lower()).status_code == 200

        assert_problem(
            service.get(f"/api/discounts/{DEFAULT_ISSUED[0]}/"), 404, "discount_not_found"
        )
        promotion = Discount.objects.get()
        assert (promotion.codes_issued, promotion.times_redeemed) == (1, 0)

    def test_teardown_removes_issued_codes_too(self, anon):
        setup(
            anon,
            "a promotion with issued codes exists",
            used_by={DEFAULT_ISSUED[1]: str(uuid.uuid4())},
        )

        anon.post(URL, {"state": "", "action": "teardown"}, format="json")

        assert (
            Discount.objects.count(),
            IssuedCode.objects.count(),
            Redemption.objects.count(),
        ) == (
            0,
            0,
            0,
        )

    def test_one_cart_holding_two_codes_of_a_promotion_is_named(self, anon):
        cart_id = str(uuid.uuid4())

        response = setup(
            anon,
            "a promotion with issued codes exists",
            used_by=dict.fromkeys(DEFAULT_ISSUED, cart_id),
        )

        assert (
            "one use of a promotion"
            in assert_problem(response, 400, "invalid_provider_state")["detail"]
        )
