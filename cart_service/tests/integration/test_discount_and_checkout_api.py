"""Discount and checkout endpoints through the API; providers answered by `responses`."""

import uuid
from decimal import Decimal

import pytest

from carts.models import Cart
from servicekit.testing import assert_problem
from tests.factories import CartFactory, CartItemFactory

pytestmark = pytest.mark.django_db

DISCOUNTS = "http://127.0.0.1:8001/api/discounts"
PAYMENTS = "http://127.0.0.1:8003/api/payments/"


def discount(code="SAVE10", kind="percent", value="10.00", currency=None, status="active"):
    return {
        "code": code,
        "description": "",
        "kind": kind,
        "value": value,
        "currency": currency,
        "starts_at": "2026-01-01T00:00:00Z",
        "ends_at": "2026-12-31T23:59:59Z",
        "max_redemptions": None,
        "times_redeemed": 0,
        "is_active": status != "inactive",
        "status": status,
        "created_at": "2026-01-01T00:00:00Z",
    }


def discount_fields(cart):
    cart = Cart.objects.get(pk=cart.pk)
    return (cart.discount_code, cart.discount_kind, cart.discount_value, cart.discount_currency)


# -- PUT /discount/ ------------------------------------------------------------------------


def test_applying_a_percent_discount_recomputes_the_totals(anon, cart, mocked):
    mocked.post(f"{DISCOUNTS}/SAVE10/eligibility/", json=discount())

    response = anon.put(f"/api/carts/{cart.id}/discount/", {"code": "save10"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["discount"] == {"code": "SAVE10", "kind": "percent", "value": "10.00", "skus": None}
    assert (body["amount_discounted"], body["total"]) == ("1.50", "13.50")


def test_applying_a_fixed_discount_in_the_cart_currency(anon, cart, mocked):
    mocked.post(
        f"{DISCOUNTS}/FIVEOFF/eligibility/", json=discount("FIVEOFF", "fixed", "5.00", "USD")
    )

    body = anon.put(f"/api/carts/{cart.id}/discount/", {"code": "FIVEOFF"}, format="json").json()

    assert (body["amount_discounted"], body["total"]) == ("5.00", "10.00")
    assert discount_fields(cart) == ("FIVEOFF", "fixed", Decimal("5.00"), "USD")


def test_applying_another_code_replaces_the_first(anon, cart, mocked):
    mocked.post(f"{DISCOUNTS}/SAVE10/eligibility/", json=discount())
    mocked.post(f"{DISCOUNTS}/HALF/eligibility/", json=discount("HALF", value="50.00"))
    anon.put(f"/api/carts/{cart.id}/discount/", {"code": "SAVE10"}, format="json")

    body = anon.put(f"/api/carts/{cart.id}/discount/", {"code": "HALF"}, format="json").json()

    assert body["discount"]["code"] == "HALF"
    assert body["total"] == "7.50"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("scheduled", "discount_not_found"),  # an unreleased promotion is not revealed
        ("expired", "discount_expired"),
        ("inactive", "discount_inactive"),
        ("exhausted", "discount_exhausted"),
    ],
)
def test_a_discount_that_is_not_active_is_422_and_not_applied(anon, cart, mocked, status, code):
    mocked.post(f"{DISCOUNTS}/SAVE10/eligibility/", json=discount(status=status))

    response = anon.put(f"/api/carts/{cart.id}/discount/", {"code": "SAVE10"}, format="json")

    assert_problem(response, 422, code)
    assert discount_fields(cart) == ("", "", None, "")


def test_an_unknown_code_is_422_discount_not_found(anon, cart, mocked):
    mocked.post(
        f"{DISCOUNTS}/NOPE/eligibility/",
        json={"code": "discount_not_found", "status": 404},
        status=404,
    )

    response = anon.put(f"/api/carts/{cart.id}/discount/", {"code": "NOPE"}, format="json")

    assert_problem(response, 422, "discount_not_found")


def test_a_fixed_discount_in_another_currency_is_422_mismatch(anon, cart, mocked):
    mocked.post(f"{DISCOUNTS}/EURO5/eligibility/", json=discount("EURO5", "fixed", "5.00", "EUR"))

    response = anon.put(f"/api/carts/{cart.id}/discount/", {"code": "EURO5"}, format="json")

    assert_problem(response, 422, "discount_currency_mismatch")
    assert discount_fields(cart) == ("", "", None, "")


def test_a_failed_lookup_keeps_the_discount_already_applied(anon, cart, mocked):
    mocked.post(f"{DISCOUNTS}/SAVE10/eligibility/", json=discount())
    mocked.post(f"{DISCOUNTS}/OTHER/eligibility/", status=503)
    anon.put(f"/api/carts/{cart.id}/discount/", {"code": "SAVE10"}, format="json")

    response = anon.put(f"/api/carts/{cart.id}/discount/", {"code": "OTHER"}, format="json")

    assert_problem(response, 503, "discount_service_unavailable")
    assert discount_fields(cart)[0] == "SAVE10"


@pytest.mark.parametrize("payload", [{}, {"code": ""}, {"code": "X" * 65}, {"code": None}])
def test_applying_without_a_code_is_400(anon, cart, mocked, payload):
    response = anon.put(f"/api/carts/{cart.id}/discount/", payload, format="json")

    assert "code" in assert_problem(response, 400, "validation_error")["errors"]
    assert len(mocked.calls) == 0


def test_applying_to_an_unknown_cart_is_404(anon, mocked):
    response = anon.put(f"/api/carts/{uuid.uuid4()}/discount/", {"code": "SAVE10"}, format="json")

    assert_problem(response, 404, "cart_not_found")
    assert len(mocked.calls) == 0


# -- DELETE /discount/ -----------------------------------------------------------------------


def test_removing_the_discount_restores_the_full_total(anon, mocked):
    cart = CartFactory(percent_discount=True)
    CartItemFactory(cart=cart, unit_price=Decimal("7.50"), quantity=2)

    response = anon.delete(f"/api/carts/{cart.id}/discount/")

    assert response.status_code == 200
    assert (response.json()["discount"], response.json()["total"]) == (None, "15.00")
    assert len(mocked.calls) == 0  # nothing was held, so nothing to release


def test_removing_when_there_is_no_discount_is_200(anon, cart, mocked):
    assert anon.delete(f"/api/carts/{cart.id}/discount/").status_code == 200


def test_removing_a_possibly_held_discount_releases_it(anon, mocked):
    cart = CartFactory(percent_discount=True, redemption_held=True)
    release = mocked.delete(f"{DISCOUNTS}/SAVE10/redemptions/{cart.id}/", status=204)

    response = anon.delete(f"/api/carts/{cart.id}/discount/")

    assert response.status_code == 200
    assert release.call_count == 1
    assert not Cart.objects.get(pk=cart.pk).redemption_held


# -- POST /checkout/ -------------------------------------------------------------------------


def test_checkout_of_an_empty_cart_is_422(anon, mocked):
    cart = CartFactory()

    assert_problem(anon.post(f"/api/carts/{cart.id}/checkout/"), 422, "cart_empty")
    assert len(mocked.calls) == 0


def test_checkout_of_an_unknown_cart_is_404(anon, mocked):
    assert_problem(anon.post("/api/carts/nope/checkout/"), 404, "cart_not_found")


def test_checkout_of_a_paid_cart_returns_it_unchanged_and_charges_nothing(anon, mocked):
    cart = CartFactory(paid=True)
    CartItemFactory(cart=cart)
    before = anon.get(f"/api/carts/{cart.id}/").json()

    response = anon.post(f"/api/carts/{cart.id}/checkout/")

    assert response.status_code == 200
    assert response.json() == before
    assert len(mocked.calls) == 0


def test_checkout_pays_the_cart(anon, cart, mocked):
    mocked.post(
        PAYMENTS,
        status=201,
        json={
            "id": "p-1",
            "reference": f"cart:{cart.id}",
            "amount": "15.00",
            "currency": "USD",
            "status": "succeeded",
            "decline_code": None,
            "created_at": "2026-11-21T10:00:00Z",
        },
    )

    response = anon.post(f"/api/carts/{cart.id}/checkout/")

    assert response.status_code == 200
    assert response.json()["payment_status"] == "paid"
    assert response.json()["payment"] == {"id": "p-1", "status": "succeeded", "decline_code": None}


def test_checkout_of_a_fully_discounted_cart_is_paid_without_a_payment(anon, mocked):
    cart = CartFactory(fixed_discount=True)
    CartItemFactory(cart=cart, unit_price=Decimal("2.00"), quantity=1)
    mocked.post(
        f"{DISCOUNTS}/FIVEOFF/redemptions/",
        status=201,
        json={"code": "FIVEOFF", "cart_id": str(cart.id), "created_at": "2026-11-21T10:00:00Z"},
    )

    response = anon.post(f"/api/carts/{cart.id}/checkout/")

    assert response.json()["payment_status"] == "paid"
    assert response.json()["total"] == "0.00"
    assert response.json()["payment"] is None
    assert [c.request.method for c in mocked.calls] == ["POST"]  # the redemption only
