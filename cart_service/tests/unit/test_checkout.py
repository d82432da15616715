"""Checkout decisions (checkout.cart_checkout) with hand-written fake providers."""

import re
from decimal import Decimal

import pytest

from carts import releases, selectors, services
from carts.checkout import cart_checkout
from carts.errors import (
    DISCOUNT_STATUS_REFUSALS,
    CartEmpty,
    CartNotEditable,
    DiscountExpired,
    DiscountServiceUnavailable,
    PaymentMismatch,
    PaymentRefused,
    PaymentServiceUnavailable,
)
from carts.models import Cart, CartItem, OwedRelease
from tests.factories import CartFactory, cart_with
from tests.fakes import FakeCatalogClient, FakeDiscountClient

pytestmark = pytest.mark.django_db
# A catalog selling "X" at 1.00, for edits of the carts these tests check out.
A_CATALOG = FakeCatalogClient()
A_CATALOG.add("X", "x", {"USD": "1.00"})


def checkout(cart, discounts, payments):
    return cart_checkout(
        cart_id=cart.id,
        discount_client=discounts,
        payment_client=payments,
        catalog_client=FakeCatalogClient(),  # fresh carts: their prices are not asked again
    )


def test_checkout_charges_the_total_and_marks_the_cart_paid(discounts, payments):
    cart = cart_with("15.00")

    result = checkout(cart, discounts, payments)

    assert result.payment_status == "paid"
    assert payments.calls == [
        {
            "reference": f"cart:{cart.id}",
            "amount": Decimal("15.00"),
            "currency": "USD",
            "idempotency_key": cart.attempt_key(1),
        }
    ]
    assert result.last_payment_status == "succeeded"
    assert not result.attempt_unresolved


def test_checkout_redeems_the_discount_and_charges_the_discounted_total(discounts, payments):
    cart = cart_with("15.00", percent_discount=True)

    result = checkout(cart, discounts, payments)

    assert result.payment_status == "paid"
    assert discounts.redemptions.keys() == {("SAVE10", str(cart.id))}
    assert payments.calls[0]["amount"] == Decimal("13.50")


def test_checkout_of_a_paid_cart_returns_it_and_charges_nothing(discounts, payments):
    cart = cart_with("15.00", paid=True)

    result = checkout(cart, discounts, payments)

    assert result.payment_status == "paid"
    assert payments.calls == []
    assert discounts.calls == []


def test_checkout_of_an_empty_cart_is_refused(discounts, payments):
    cart = CartFactory()

    with pytest.raises(CartEmpty):
        checkout(cart, discounts, payments)

    cart.refresh_from_db()
    assert (cart.payment_status, cart.checkout_attempt) == ("pending", 0)
    assert payments.calls == []


def test_declined_payment_fails_the_cart_and_releases_the_redemption(discounts, payments):
    cart = cart_with("25.00", percent_discount=True)  # 22.50 is above the approval limit

    result = checkout(cart, discounts, payments)

    assert result.payment_status == "failed"
    assert (result.last_payment_status, result.last_payment_decline_code) == (
        "declined",
        "insufficient_funds",
    )
    assert discounts.count("release") == 1
    assert discounts.redemptions == {}
    assert not result.redemption_held


def test_failed_release_is_logged_and_the_decline_still_recorded(discounts, payments, caplog):
    discounts.release_outages = 3
    cart = cart_with("25.00", percent_discount=True)

    result = checkout(cart, discounts, payments)

    assert result.payment_status == "failed"
    assert result.releases_owed
    assert list(OwedRelease.objects.values_list("cart_id", "code")) == [(cart.id, "SAVE10")]
    assert "release of SAVE10 for cart" in caplog.text


def test_a_release_owed_is_given_back_before_the_code_is_redeemed_again(discounts, payments):
    discounts.release_outages = 1
    cart = cart_with("25.00", percent_discount=True)
    checkout(cart, discounts, payments)  # declined; the release failed and is owed
    item = cart.items.get()
    services.cart_item_update(cart_id=cart.id, item_id=item.id, quantity=1)
    CartItem.objects.filter(pk=item.pk).update(unit_price=Decimal("10.00"))

    result = checkout(cart, discounts, payments)

    assert result.payment_status == "paid"
    calls = [c[0] for c in discounts.calls if c[0] != "check"]
    assert calls[-2:] == ["release", "redeem"]  # given back first, then held for the new attempt
    assert discounts.redemptions.keys() == {("SAVE10", str(cart.id))}
    assert not OwedRelease.objects.exists()
    assert not Cart.objects.get(pk=cart.pk).releases_owed


def test_failed_cart_can_be_edited_and_checked_out_again_as_a_new_attempt(discounts, payments):
    cart = cart_with("25.00")
    checkout(cart, discounts, payments)
    item = cart.items.get()

    services.cart_item_update(cart_id=cart.id, item_id=item.id, quantity=1)
    services.cart_item_add(cart_id=cart.id, sku="X", quantity=1, catalog_client=A_CATALOG)
    services.cart_item_remove(cart_id=cart.id, item_id=item.id)
    result = checkout(cart, discounts, payments)

    assert result.payment_status == "paid"
    assert payments.keys == [cart.attempt_key(1), cart.attempt_key(2)]
    assert [c["amount"] for c in payments.calls] == [Decimal("25.00"), Decimal("1.00")]


def test_unknown_payment_outcome_leaves_the_cart_pending_with_the_attempt_unresolved(
    discounts, payments
):
    payments.lost_responses = 1  # payment_service took the charge; the answer never came
    cart = cart_with("15.00")

    with pytest.raises(PaymentServiceUnavailable):
        checkout(cart, discounts, payments)

    cart.refresh_from_db()
    assert cart.payment_status == "pending"
    assert cart.attempt_unresolved
    assert cart.checkout_attempt == 1


def test_next_checkout_finishes_the_same_attempt_with_the_same_key(discounts, payments):
    payments.lost_responses = 1
    cart = cart_with("15.00", percent_discount=True)
    with pytest.raises(PaymentServiceUnavailable):
        checkout(cart, discounts, payments)

    result = checkout(cart, discounts, payments)

    assert result.payment_status == "paid"
    assert payments.keys == [cart.attempt_key(1)] * 2
    assert [c["amount"] for c in payments.calls] == [Decimal("13.50")] * 2
    assert len(payments.payments) == 1  # charged once
    assert result.last_payment_id == payments.payments[cart.attempt_key(1)].id


def test_payment_service_down_leaves_the_cart_pending_and_uncharged(discounts, payments):
    payments.outages = 1
    cart = cart_with("15.00")

    with pytest.raises(PaymentServiceUnavailable):
        checkout(cart, discounts, payments)
    cart.refresh_from_db()

    assert cart.payment_status == "pending"
    assert cart.attempt_unresolved
    assert payments.payments == {}


def test_cart_cannot_change_while_an_attempt_is_unresolved(discounts, payments):
    payments.outages = 1
    cart = cart_with("15.00")
    item = cart.items.get()
    with pytest.raises(PaymentServiceUnavailable):
        checkout(cart, discounts, payments)

    edits = [
        lambda: services.cart_item_add(
            cart_id=cart.id, sku="X", quantity=1, catalog_client=A_CATALOG
        ),
        lambda: services.cart_item_update(cart_id=cart.id, item_id=item.id, quantity=5),
        lambda: services.cart_item_remove(cart_id=cart.id, item_id=item.id),
        lambda: services.cart_discount_apply(
            cart_id=cart.id, code="SAVE10", discount_client=discounts
        ),
        lambda: services.cart_discount_remove(cart_id=cart.id, discount_client=discounts),
    ]
    for edit in edits:
        with pytest.raises(CartNotEditable, match="being settled"):
            edit()

    result = checkout(cart, discounts, payments)
    assert result.payment_status == "paid"
    assert {c["amount"] for c in payments.calls} == {Decimal("15.00")}


def test_refused_redemption_is_raised_and_the_attempt_not_counted(discounts, payments):
    discounts.add("SAVE10", "percent", "10.00", status="expired")
    cart = cart_with("15.00", percent_discount=True)

    with pytest.raises(DiscountExpired):
        checkout(cart, discounts, payments)

    cart.refresh_from_db()
    assert (cart.payment_status, cart.checkout_attempt, cart.attempt_unresolved) == (
        "pending",
        0,
        False,
    )
    assert payments.calls == []


def test_discount_service_down_at_redemption_charges_nothing(discounts, payments):
    discounts.redeem_outages = 1
    cart = cart_with("15.00", percent_discount=True)

    with pytest.raises(DiscountServiceUnavailable):
        checkout(cart, discounts, payments)

    cart.refresh_from_db()
    assert (cart.payment_status, cart.checkout_attempt, cart.attempt_unresolved) == (
        "pending",
        0,
        False,
    )
    assert cart.redemption_held  # it may be held: removing the discount releases it
    assert payments.calls == []
    assert checkout(cart, discounts, payments).payment_status == "paid"


def test_resumed_attempt_does_not_redeem_again_after_the_discount_expired(discounts, payments):
    payments.outages = 1
    cart = cart_with("15.00", percent_discount=True)
    with pytest.raises(PaymentServiceUnavailable):
        checkout(cart, discounts, payments)
    discounts.add("SAVE10", "percent", "10.00", status="expired")

    result = checkout(cart, discounts, payments)

    assert result.payment_status == "paid"
    assert discounts.count("redeem") == 1


def test_fully_discounted_cart_is_paid_without_a_charge(discounts, payments):
    cart = cart_with("4.00", fixed_discount=True)
    discounts.add("FIVEOFF", "fixed", "5.00", currency="USD")

    result = checkout(cart, discounts, payments)

    assert result.payment_status == "paid"
    assert result.last_payment_id == ""
    assert payments.calls == []
    assert discounts.redemptions.keys() == {("FIVEOFF", str(cart.id))}


def test_replacing_a_possibly_held_discount_releases_the_old_one(discounts, payments):
    discounts.add("OTHER", "percent", "20.00")
    discounts.redeem_outages = 1
    cart = cart_with("15.00", percent_discount=True)
    with pytest.raises(DiscountServiceUnavailable):
        checkout(cart, discounts, payments)

    result = services.cart_discount_apply(cart_id=cart.id, code="OTHER", discount_client=discounts)

    assert ("release", "SAVE10", str(cart.id)) in discounts.calls
    assert result.discount_code == "OTHER"
    assert not result.redemption_held


def test_checkout_keeps_the_rows_consistent(discounts, payments):
    cart = cart_with("15.00")

    checkout(cart, discounts, payments)
    checkout(cart, discounts, payments)

    assert Cart.objects.get(pk=cart.pk).checkout_attempt == 1
    assert len(payments.calls) == 1


def test_a_refused_charge_fails_the_attempt_and_the_cart_can_be_checked_out_again(
    discounts, payments, caplog
):
    payments.refusals = 1
    cart = cart_with("15.00", percent_discount=True)

    with pytest.raises(PaymentRefused):
        checkout(cart, discounts, payments)

    refused = Cart.objects.get(pk=cart.pk)
    assert (refused.payment_status, refused.attempt_unresolved) == ("failed", False)
    assert discounts.redemptions == {}  # the use is given back: nothing was bought
    assert "ERROR" in caplog.text
    result = checkout(cart, discounts, payments)
    assert result.payment_status == "paid"
    assert payments.keys == [cart.attempt_key(1), cart.attempt_key(2)]


def test_a_payment_that_disagrees_with_the_cart_is_not_taken_as_paid(discounts, payments):
    payments.overcharge = Decimal("1.00")
    cart = cart_with("15.00")

    with pytest.raises(PaymentMismatch):
        checkout(cart, discounts, payments)

    held = Cart.objects.get(pk=cart.pk)
    assert held.payment_status == "pending"
    assert held.checkout_problem == "payment_mismatch"
    assert held.last_payment_id == payments.charged[0].id
    with pytest.raises(PaymentMismatch):  # every later checkout says so, and charges nothing
        checkout(cart, discounts, payments)
    with pytest.raises(CartNotEditable):
        services.cart_discount_remove(cart_id=cart.id, discount_client=discounts)
    assert len(payments.keys) == 1


def test_a_reused_key_is_settled_by_the_payment_listed_under_the_reference(discounts, payments):
    cart = cart_with("15.00")
    payments.lost_responses = 1
    with pytest.raises(PaymentServiceUnavailable):
        checkout(cart, discounts, payments)  # charged, answer lost
    payments.key_reused = 1

    result = checkout(cart, discounts, payments)

    assert result.payment_status == "paid"
    assert result.last_payment_id == payments.charged[0].id
    assert {"list": f"cart:{cart.id}"} in payments.calls


def test_a_code_replaced_right_after_checkout_read_the_cart_is_not_redeemed(
    discounts, payments, monkeypatch
):
    from carts import checkout as checkout_module

    discounts.add("OTHER", "percent", "20.00")
    cart = cart_with("15.00", percent_discount=True)  # SAVE10
    read = checkout_module.cart_for_checkout
    replaced = []

    def read_then_replaced(**kwargs):
        found = read(**kwargs)
        if not replaced:  # the shopper applies OTHER before checkout records the redeem
            replaced.append(
                services.cart_discount_apply(
                    cart_id=cart.id, code="OTHER", discount_client=discounts
                )
            )
        return found

    monkeypatch.setattr(checkout_module, "cart_for_checkout", read_then_replaced)

    result = checkout(cart, discounts, payments)

    assert (result.payment_status, result.discount_code) == ("paid", "OTHER")
    assert set(discounts.redemptions) == {("OTHER", str(cart.id))}  # SAVE10 never redeemed
    assert ("redeem", "SAVE10", str(cart.id)) not in discounts.calls


def test_a_code_replaced_while_checkout_redeemed_it_is_given_back(discounts, payments):
    class ReplacedDuringRedeem(type(discounts)):
        def redeem(self, code, cart_id, cart):
            if code == "SAVE10" and not self.replaced:
                self.replaced = True
                # The shopper applies OTHER meanwhile: SAVE10 "may be held", so it is owed
                # and given back at once, before this redeem lands and takes the use again.
                services.cart_discount_apply(cart_id=cart_id, code="OTHER", discount_client=self)
            return super().redeem(code, cart_id, cart)

    provider = ReplacedDuringRedeem()
    provider.replaced = False
    provider.add("SAVE10")
    provider.add("OTHER", "percent", "20.00")
    cart = cart_with("15.00", percent_discount=True)

    result = checkout(cart, provider, payments)

    assert (result.payment_status, result.discount_code) == ("paid", "OTHER")
    assert set(provider.redemptions) == {("OTHER", str(cart.id))}
    assert not OwedRelease.objects.filter(cart=cart).exists()
    assert not Cart.objects.get(pk=cart.pk).releases_owed


def test_a_use_owed_again_while_its_release_is_in_flight_is_released_again(discounts):
    """The release lands before the redeem that takes the use; the checkout that redeemed
    owes it again before the releaser deletes the row: the releaser sends another."""
    from datetime import UTC, datetime

    from django.db import transaction

    from carts.clients.discount import Redemption

    class RedeemLandsAfterTheRelease(type(discounts)):
        landed = False

        def release(self, code, cart_id):
            super().release(code, cart_id)  # nothing held yet: a no-op
            if not self.landed:
                self.landed = True
                # The checkout's redeem lands now, and its begin owes the use again.
                self.redemptions[code, cart_id] = Redemption(
                    code=code, cart_id=cart_id, created_at=datetime.now(UTC)
                )
                with transaction.atomic():
                    releases.owe_release_of(selectors.cart_locked(cart_id=cart_id), code)

    provider = RedeemLandsAfterTheRelease()
    cart = cart_with("15.00", percent_discount=True)
    Cart.objects.filter(pk=cart.pk).update(discount_code="OTHER", releases_owed=True)
    OwedRelease.objects.create(cart=cart, code="SAVE10")  # owed by the apply of OTHER

    released, still_owed = releases.releases_give_back(cart_id=cart.id, discount_client=provider)

    assert (released, still_owed) == (1, 0)
    assert provider.count("release") == 2
    assert provider.redemptions == {}
    assert not OwedRelease.objects.filter(cart=cart).exists()
    assert not Cart.objects.get(pk=cart.pk).releases_owed


def test_a_code_replaced_at_every_redeem_ends_409_with_nothing_charged_or_held(payments):
    codes = iter(["OTHER", "SAVE10", "OTHER", "SAVE10"])

    class ReplacedAtEveryRedeem(FakeDiscountClient):
        def redeem(self, code, cart_id, cart):
            # The shopper applies another code while each redeem is in flight.
            services.cart_discount_apply(cart_id=cart_id, code=next(codes), discount_client=self)
            return super().redeem(code, cart_id, cart)

    provider = ReplacedAtEveryRedeem()
    provider.add("SAVE10")
    provider.add("OTHER", "percent", "20.00")
    cart = cart_with("15.00", percent_discount=True)

    with pytest.raises(CartNotEditable, match="kept changing"):
        checkout(cart, provider, payments)

    assert payments.calls == []
    assert provider.redemptions == {}  # every use redeemed meanwhile was given back
    assert not OwedRelease.objects.filter(cart=cart).exists()
    assert Cart.objects.get(pk=cart.pk).payment_status == "pending"


# -- issue 23: no use of a code is held by a cart that is not being checked out or paid ------


class ItemsRemovedWhileRedeeming(FakeDiscountClient):
    """discount_service answers the redeem after the shopper emptied the cart meanwhile."""

    def redeem(self, code, cart_id, cart):
        redemption = super().redeem(code, cart_id, cart)
        for item in list(Cart.objects.get(pk=cart_id).items.all()):
            services.cart_item_remove(cart_id=cart_id, item_id=item.id)
        return redemption


def test_items_removed_while_the_code_was_redeemed_give_the_use_back(payments):
    discounts = ItemsRemovedWhileRedeeming()
    discounts.add("SAVE10", "percent", "10.00")
    cart = cart_with("15.00", percent_discount=True)

    with pytest.raises(CartEmpty):
        checkout(cart, discounts, payments)

    # The checkout ended without a charge: the use its redeem took is given back at once,
    # so an editable cart cannot keep it to spend later.
    assert discounts.redemptions == {}
    cart.refresh_from_db()
    assert not cart.redemption_held
    assert not cart.releases_owed
    assert not OwedRelease.objects.exists()
    assert payments.calls == []


def test_items_removed_while_redeeming_with_discount_service_gone_leave_the_use_owed(payments):
    discounts = ItemsRemovedWhileRedeeming()
    discounts.add("SAVE10", "percent", "10.00")
    discounts.release_outages = 1
    cart = cart_with("15.00", percent_discount=True)

    with pytest.raises(CartEmpty):
        checkout(cart, discounts, payments)

    cart.refresh_from_db()
    assert (cart.redemption_held, cart.releases_owed) == (False, True)
    assert list(OwedRelease.objects.values_list("code", flat=True)) == ["SAVE10"]


@pytest.mark.parametrize("status", ["inactive", "expired", "scheduled"])
def test_a_use_held_from_before_the_code_was_switched_off_is_refused_and_given_back(
    discounts, payments, status
):
    # A checkout stopped at the redeem step (its answer lost): the use is held and the
    # cart editable. Then the shop switches the code off, ends it or moves its start.
    discounts.lost_redeems = 1
    cart = cart_with("15.00", percent_discount=True)
    with pytest.raises(DiscountServiceUnavailable):
        checkout(cart, discounts, payments)
    assert ("SAVE10", str(cart.id)) in discounts.redemptions
    discounts.add("SAVE10", "percent", "10.00", status=status)

    with pytest.raises(DISCOUNT_STATUS_REFUSALS[status]):
        checkout(cart, discounts, payments)

    assert payments.calls == []
    assert discounts.redemptions == {}  # given back in the same step
    cart.refresh_from_db()
    assert not cart.redemption_held
    assert not cart.releases_owed


def test_a_held_use_of_an_exhausted_code_is_still_the_carts(discounts, payments):
    discounts.lost_redeems = 1
    cart = cart_with("15.00", percent_discount=True)
    with pytest.raises(DiscountServiceUnavailable):
        checkout(cart, discounts, payments)
    discounts.add("SAVE10", "percent", "10.00", status="exhausted")  # by this very use

    result = checkout(cart, discounts, payments)

    assert result.payment_status == "paid"
    assert payments.calls[0]["amount"] == Decimal("13.50")


def test_payment_keys_are_not_guessable_from_the_carts_id(discounts, payments):
    # Issue 23: cart-<id>-attempt-<n> let any holder of a payment token take a cart's next
    # key first; each cart's keys now end with a 128-bit secret of its own.
    cart, other = cart_with("15.00"), cart_with("15.00")

    checkout(cart, discounts, payments)

    key = payments.keys[0]
    prefix, secret = key.rsplit("-", 1)
    assert prefix == f"cart-{cart.id}-attempt-1"
    assert re.fullmatch(r"[0-9a-f]{32}", secret)
    assert secret != Cart.objects.get(pk=other.pk).payment_key_secret


def test_a_cart_made_before_key_secrets_keeps_the_keys_it_was_charged_under(payments):
    cart = cart_with("15.00")
    Cart.objects.filter(pk=cart.pk).update(payment_key_secret="")  # as migration 0007 left it

    checkout(cart, FakeDiscountClient(), payments)

    assert payments.keys == [f"cart-{cart.id}-attempt-1"]
