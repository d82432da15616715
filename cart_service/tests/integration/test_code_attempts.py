"""Guessing discount codes: refused attempts are limited per address and per cart."""

import re

import pytest

from servicekit.testing import assert_problem
from tests.factories import CartFactory

pytestmark = pytest.mark.django_db

DISCOUNTS = "http://127.0.0.1:8001/api/discounts"
# Every code but the ones a test answers itself (responses: the first match answers).
OTHER_CODES = re.compile(rf"{DISCOUNTS}/(?!(SAVE10|OVER50|RULED|GONE)/)[^/]+/eligibility/")
NOT_FOUND = {"code": "discount_not_found", "status": 404}
ACTIVE = {
    "code": "SAVE10",
    "description": "",
    "kind": "percent",
    "value": "10.00",
    "currency": None,
    "starts_at": "2026-01-01T00:00:00Z",
    "ends_at": None,
    "max_redemptions": None,
    "times_redeemed": 0,
    "is_active": True,
    "status": "active",
    "created_at": "2026-01-01T00:00:00Z",
}


@pytest.fixture
def mocked(mocked):
    mocked.post(f"{DISCOUNTS}/SAVE10/eligibility/", json=ACTIVE)
    mocked.post(OTHER_CODES, json=NOT_FOUND, status=404)
    return mocked


@pytest.fixture
def limits(settings):
    settings.CART_CODE_ATTEMPTS_PER_ADDRESS = (5, 3600)
    settings.CART_CODE_ATTEMPTS_PER_CART = (3, 3600)


def attempt(anon, cart, code, address="127.0.0.1", **headers):
    return anon.put(
        f"/api/carts/{cart.id}/discount/",
        {"code": code},
        format="json",
        REMOTE_ADDR=address,
        **headers,
    )


def test_a_cart_that_used_up_its_refusals_is_throttled_even_for_a_right_code(anon, mocked, limits):
    cart = CartFactory()
    for n in range(3):
        assert_problem(attempt(anon, cart, f"GUESS{n}"), 422, "discount_not_found")

    response = attempt(anon, cart, "SAVE10", address="127.0.0.9")

    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 3600
    assert anon.get(f"/api/carts/{cart.id}/").json()["discount"] is None


def test_an_address_that_used_up_its_refusals_is_throttled_on_any_cart(anon, mocked, limits):
    for n in range(5):
        assert_problem(attempt(anon, CartFactory(), f"GUESS{n}"), 422, "discount_not_found")

    assert_problem(attempt(anon, CartFactory(), "SAVE10"), 429, "throttled")
    assert attempt(anon, CartFactory(), "SAVE10", address="127.0.0.2").status_code == 200


def test_accepted_codes_count_nothing(anon, mocked, limits):
    cart = CartFactory()

    answers = {attempt(anon, cart, "SAVE10").status_code for _ in range(10)}

    assert answers == {200}


def test_forwarded_for_is_ignored_without_a_trusted_proxy(anon, mocked, limits):
    cart = CartFactory()
    for n in range(5):
        attempt(anon, CartFactory(), f"GUESS{n}", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    assert_problem(attempt(anon, cart, "SAVE10", HTTP_X_FORWARDED_FOR="10.9.9.9"), 429, "throttled")


def test_behind_a_trusted_proxy_the_forwarded_address_counts(anon, mocked, limits, settings):
    settings.CART_TRUSTED_PROXIES = 1
    for n in range(5):
        attempt(anon, CartFactory(), f"GUESS{n}", HTTP_X_FORWARDED_FOR="203.0.113.7")

    other = attempt(anon, CartFactory(), "SAVE10", HTTP_X_FORWARDED_FOR="203.0.113.8")
    same = attempt(anon, CartFactory(), "SAVE10", HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert other.status_code == 200
    assert_problem(same, 429, "throttled")


def test_removing_the_discount_is_never_throttled(anon, mocked, limits):
    cart = CartFactory()
    for n in range(3):
        attempt(anon, cart, f"GUESS{n}")

    assert anon.delete(f"/api/carts/{cart.id}/discount/").status_code == 200


@pytest.mark.parametrize(
    "code",
    ["\u017fave10", "sav\u013110", "\uff33AVE10", "SAVE\u0661\u0660", "\u00a0SAVE10"],
)
def test_unicode_look_alikes_never_find_an_ascii_code(anon, mocked, code):
    response = attempt(anon, CartFactory(), code)

    assert_problem(response, 422, "discount_not_found")
    assert not any(c.request.url.startswith(f"{DISCOUNTS}/SAVE10/") for c in mocked.calls)


def test_a_throttled_cart_is_counted_however_its_id_is_spelled(anon, mocked, limits):
    # Found from outside: the per-cart count was keyed on the path's spelling of the id.
    cart = CartFactory()
    for n in range(3):
        assert_problem(attempt(anon, cart, f"GUESS{n}"), 422, "discount_not_found")

    spellings = (cart.id.hex, f"{{{cart.id}}}", f"urn:uuid:{cart.id}", str(cart.id).upper())
    for n, spelling in enumerate(spellings):
        response = anon.put(
            f"/api/carts/{spelling}/discount/",
            {"code": f"OTHER{n}"},
            format="json",
            REMOTE_ADDR=f"127.0.1.{n}",
        )
        assert_problem(response, 429, "throttled")


@pytest.mark.parametrize("code", [".", "..", "A/B", "a b", "%2e%2e", "../../api", "x" * 40])
def test_a_code_that_cannot_exist_is_not_found_without_asking_and_counted(
    anon, mocked, limits, code
):
    # Found from outside: "." and ".." became dot-segments and "A/B" extra path segments in
    # the call to discount_service; the shopper got 503 and the attempt was not counted.
    cart = CartFactory()
    for _ in range(3):
        assert_problem(attempt(anon, cart, code), 422, "discount_not_found")

    assert_problem(attempt(anon, cart, "SAVE10"), 429, "throttled")
    assert len(mocked.calls) == 0  # discount_service was never asked


MINIMUM_NOT_MET = {
    "code": "discount_minimum_not_met",
    "status": 422,
    "minimum_subtotal": "50.00",
    "currency": "USD",
    "missing": "12.50",
}


def test_a_right_code_refused_for_what_the_cart_holds_is_no_guess(anon, mocked, limits):
    # A storefront applies the code again each time the cart changes, to say "add 12.50 more":
    # more times than the cart's limit of refusals (3 here), and the shopper who then reaches
    # the minimum still gets the code. Guesses on the same cart still count.
    mocked.post(f"{DISCOUNTS}/OVER50/eligibility/", json=MINIMUM_NOT_MET, status=422)
    cart = CartFactory()
    for _ in range(5):
        refused = attempt(anon, cart, "OVER50")
        assert_problem(refused, 422, "discount_minimum_not_met")
        assert refused.json()["missing"] == "12.50"

    assert attempt(anon, cart, "SAVE10").status_code == 200
    for n in range(3):
        assert_problem(attempt(anon, cart, f"GUESS{n}"), 422, "discount_not_found")
    assert_problem(attempt(anon, cart, "SAVE10"), 429, "throttled")


@pytest.mark.parametrize(
    "refusal",
    [
        {"code": "discount_minimum_items_not_met", "minimum_items": 3, "missing_items": 1},
        {"code": "discount_not_applicable", "skus": ["MUG-1"]},
    ],
)
def test_every_refusal_about_the_cart_counts_nothing(anon, mocked, limits, refusal):
    mocked.post(f"{DISCOUNTS}/RULED/eligibility/", json={**refusal, "status": 422}, status=422)
    cart = CartFactory()
    for _ in range(4):
        assert_problem(attempt(anon, cart, "RULED"), 422, refusal["code"])

    assert attempt(anon, cart, "SAVE10").status_code == 200


@pytest.mark.parametrize(
    ("code", "status"),
    [("discount_expired", 422), ("discount_inactive", 422), ("discount_code_used", 422)],
)
def test_a_code_refused_for_itself_still_counts(anon, mocked, limits, code, status):
    mocked.post(
        f"{DISCOUNTS}/GONE/eligibility/", json={"code": code, "status": status}, status=status
    )
    cart = CartFactory()
    for _ in range(3):
        assert_problem(attempt(anon, cart, "GONE"), 422, code)

    assert_problem(attempt(anon, cart, "SAVE10"), 429, "throttled")
