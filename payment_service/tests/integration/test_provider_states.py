"""POST /_pact/provider-states: only with PACT_PROVIDER_STATES=1; exactly what params say."""

from decimal import Decimal

import pytest

from payments.models import IdempotencyKey, Payment
from servicekit.testing import assert_problem

pytestmark = pytest.mark.django_db
URL = "/_pact/provider-states"
PAYMENT_ID = "0b6f4a52-52c1-4b0e-9f62-0d7c3e6a1f00"


def state(client, name, params=None, action=None):
    body = {"state": name, "params": params or {}}
    if action:
        body["action"] = action
    return client.post(URL, body, format="json")


def test_endpoint_is_absent_without_the_setting(anon):
    assert_problem(state(anon, "payments can be taken"), 404, "not_found")


@pytest.mark.usefixtures("provider_states_on")
class TestProviderStates:
    def test_payments_can_be_taken_creates_nothing(self, anon):
        response = state(anon, "payments can be taken")

        assert response.status_code == 200
        assert response.json() == {}
        assert Payment.objects.count() == IdempotencyKey.objects.count() == 0

    def test_a_payment_exists_defaults_to_a_succeeded_ten_dollars(self, anon, service):
        response = state(anon, "a payment exists")

        assert response.status_code == 200
        payment = Payment.objects.get()
        assert (payment.amount, payment.currency, payment.status, payment.decline_code) == (
            Decimal("10.00"),
            "USD",
            "succeeded",
            None,
        )
        assert (str(payment.id), payment.reference) == (
            "22222222-2222-4222-8222-222222222222",
            "cart:11111111-1111-4111-8111-111111111111",
        )
        assert response.json() == service.get(f"/api/payments/{payment.id}/").json()
        assert IdempotencyKey.objects.count() == 0

    def test_two_payments_for_one_interaction_are_both_set_up(self, anon, service):
        state(anon, "a payment exists")
        state(anon, "a payment exists", {"id": PAYMENT_ID, "amount": "25.00"})

        listed = service.get("/api/payments/?reference=cart:11111111-1111-4111-8111-111111111111")
        assert sorted(p["status"] for p in listed.json()["results"]) == ["declined", "succeeded"]

    def test_a_payment_exists_with_every_param(self, anon, service):
        params = {
            "id": PAYMENT_ID,
            "reference": "cart:42",
            "amount": "12.50",
            "currency": "EUR",
            "status": "declined",
        }

        state(anon, "a payment exists", params)

        body = service.get(f"/api/payments/{PAYMENT_ID}/").json()
        assert {k: body[k] for k in params} == params
        assert body["decline_code"] == "insufficient_funds"

    def test_without_status_the_approval_rule_decides(self, anon):
        state(anon, "a payment exists", {"amount": "25.00"})

        assert Payment.objects.get().status == "declined"

    def test_setup_overwrites_the_payment_with_the_same_id(self, anon):
        state(anon, "a payment exists", {"id": PAYMENT_ID, "amount": "1.00"})

        state(anon, "a payment exists", {"id": PAYMENT_ID, "amount": 3})

        assert Payment.objects.get().amount == 3

    def test_idempotency_key_replays_as_a_real_post_would(self, anon, service):
        params = {
            "id": PAYMENT_ID,
            "idempotency_key": "cart:42:attempt:1",
            "reference": "cart:42",
            "amount": "13.50",
            "currency": "USD",
        }
        state(anon, "a payment exists", params)
        body = {"reference": "cart:42", "amount": "13.50", "currency": "USD"}

        replay = service.post(
            "/api/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="cart:42:attempt:1"
        )
        reused = service.post(
            "/api/payments/",
            {**body, "amount": "13.51"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="cart:42:attempt:1",
        )

        assert replay.status_code == 201
        assert replay["Idempotent-Replayed"] == "true"
        assert replay.content == service.get(f"/api/payments/{PAYMENT_ID}/").content
        assert_problem(reused, 422, "idempotency_key_reused")
        assert Payment.objects.count() == 1

    def test_idempotency_key_of_a_real_post_and_of_the_state_match(self, anon, service):
        body = {"reference": "cart:7", "amount": "5.00", "currency": "GBP"}
        real = service.post("/api/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="real")
        real_row = IdempotencyKey.objects.get(key="real")

        state(anon, "a payment exists", {**body, "idempotency_key": "fake"})

        fake_row = IdempotencyKey.objects.get(key="fake")
        assert fake_row.fingerprint == real_row.fingerprint
        assert real.status_code == fake_row.response_status == 201

    def test_teardown_leaves_nothing_behind(self, anon, service):
        state(anon, "a payment exists", {"idempotency_key": "k"})
        service.post(
            "/api/payments/",
            {"reference": "r", "amount": "1.00", "currency": "USD"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="other",
        )

        response = state(anon, "a payment exists", action="teardown")

        assert response.status_code == 200
        assert Payment.objects.count() == IdempotencyKey.objects.count() == 0

    def test_unknown_state_is_refused_by_name(self, anon):
        body = assert_problem(state(anon, "a refund exists"), 400, "invalid_provider_state")

        assert "a refund exists" in body["detail"]

    @pytest.mark.parametrize(
        "params",
        [
            {"id": "not-a-uuid"},
            {"id": 12},
            {"amount": "abc"},
            {"amount": "0.00"},
            {"amount": "-5.00"},
            {"amount": "1.001"},
            {"amount": 10.5},
            {"amount": None},
            {"currency": "XXX"},
            {"currency": ["USD"]},
            {"status": "pending"},
            {"status": ["succeeded"]},
            {"reference": ""},
            {"reference": 5},
            {"reference": "r" * 256},
            {"idempotency_key": ""},
            {"idempotency_key": "k" * 256},
            {"idempotency_key": None},
            {"colour": "blue"},
        ],
        ids=repr,
    )
    def test_bad_params_are_refused_and_create_nothing(self, anon, params):
        body = assert_problem(
            state(anon, "a payment exists", params), 400, "invalid_provider_state"
        )

        assert body["detail"]
        assert Payment.objects.count() == IdempotencyKey.objects.count() == 0

    @pytest.mark.parametrize("name", ["id", "reference", "amount", "currency", "idempotency_key"])
    def test_a_bad_param_is_named_in_the_detail(self, anon, name):
        body = assert_problem(
            state(anon, "a payment exists", {name: 5.5}), 400, "invalid_provider_state"
        )

        assert f"Param {name!r}" in body["detail"]


@pytest.mark.usefixtures("provider_states_on")
class TestRefundStates:
    def test_a_payment_with_a_refund_exists_by_default(self, anon, service):
        response = state(anon, "a payment with a refund exists")

        assert response.status_code == 200
        made = response.json()
        assert (made["id"], made["payment_id"], made["amount"]) == (
            "44444444-4444-4444-8444-444444444444",
            "22222222-2222-4222-8222-222222222222",
            "5.00",
        )
        shown = service.get(f"/api/payments/{made['payment_id']}/").json()
        assert (shown["amount"], shown["amount_refunded"], shown["refund_status"]) == (
            "15.00",
            "5.00",
            "partial",
        )

    def test_its_key_replays_the_refund(self, anon, service):
        made = state(
            anon,
            "a payment with a refund exists",
            {"payment_id": PAYMENT_ID, "refund_amount": "15.00", "idempotency_key": "rk"},
        ).json()

        replay = service.post(
            f"/api/payments/{PAYMENT_ID}/refunds/",
            {"amount": "15.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="rk",
        )

        assert replay.status_code == 201
        assert replay["Idempotent-Replayed"] == "true"
        assert replay.json() == made

    def test_a_payment_refunded_already_refuses_more(self, anon, service):
        state(anon, "a payment exists", {"id": PAYMENT_ID, "amount_refunded": "10.00"})

        response = service.post(
            f"/api/payments/{PAYMENT_ID}/refunds/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k"
        )

        assert_problem(response, 422, "refund_exceeds_remaining")

    @pytest.mark.parametrize(
        "params",
        [
            {"refund_amount": "20.00"},
            {"refund_amount": "0.00"},
            {"payment_id": "nope"},
            {"colour": "red"},
        ],
    )
    def test_bad_params_are_400(self, anon, params):
        assert_problem(
            state(anon, "a payment with a refund exists", params), 400, "invalid_provider_state"
        )

    def test_amount_refunded_above_the_amount_is_400(self, anon):
        params = {"amount": "5.00", "amount_refunded": "6.00"}
        assert_problem(state(anon, "a payment exists", params), 400, "invalid_provider_state")
