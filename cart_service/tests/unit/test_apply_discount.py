"""Applying a code (services.cart_discount_apply): one conditional UPDATE when nothing is
held, and the locked path whenever the cart changed while discount_service was asked."""

from decimal import Decimal

import pytest

from carts import services
from carts.errors import CartNotEditable, DiscountCurrencyMismatch
from carts.models import Cart, OwedRelease
from tests.factories import cart_with
from tests.fakes import FakeDiscountClient

pytestmark = pytest.mark.django_db


class ChangedDuringTheCall(FakeDiscountClient):
    """discount_service, while being asked for a code, meets a concurrent change."""

    def __init__(self, change) -> None:
        super().__init__()
        self.change = change

    def check(self, code, cart):
        discount = super().check(code, cart)
        if self.change:
            self.change()
            self.change = None
        return discount


def apply(cart, code, discounts):
    return services.cart_discount_apply(cart_id=cart.id, code=code, discount_client=discounts)


def stored(cart) -> Cart:
    return Cart.objects.get(pk=cart.pk)


def test_a_code_is_applied_and_returned_as_stored(discounts):
    cart = cart_with("15.00")

    result = apply(cart, "SAVE10", discounts)

    row = stored(cart)
    assert (row.discount_code, row.discount_kind, row.discount_value) == (
        "SAVE10",
        "percent",
        Decimal("10.00"),
    )
    assert (result.discount_code, result.totals().total) == ("SAVE10", Decimal("13.50"))
    assert result.updated_at == row.updated_at > cart.updated_at


def test_a_checkout_begun_meanwhile_makes_the_cart_not_editable():
    cart = cart_with("15.00")
    discounts = ChangedDuringTheCall(
        lambda: Cart.objects.filter(pk=cart.pk).update(attempt_unresolved=True, checkout_attempt=1)
    )
    discounts.add("SAVE10")

    with pytest.raises(CartNotEditable, match="being settled"):
        apply(cart, "SAVE10", discounts)

    assert stored(cart).discount_code == ""


def test_a_cart_paid_meanwhile_is_left_as_it_is():
    cart = cart_with("15.00")
    discounts = ChangedDuringTheCall(
        lambda: Cart.objects.filter(pk=cart.pk).update(payment_status="paid")
    )
    discounts.add("SAVE10")

    with pytest.raises(CartNotEditable, match="paid"):
        apply(cart, "SAVE10", discounts)

    assert stored(cart).discount_code == ""


def test_a_use_held_meanwhile_is_owed_back_when_the_code_is_replaced():
    # A checkout wrote "a use may be held" for SAVE10 while we asked for OTHER.
    cart = cart_with("15.00", percent_discount=True)
    discounts = ChangedDuringTheCall(
        lambda: Cart.objects.filter(pk=cart.pk).update(redemption_held=True)
    )
    discounts.add("SAVE10")
    discounts.add("OTHER", "percent", "20.00")

    result = apply(cart, "OTHER", discounts)

    row = stored(cart)
    assert (row.discount_code, row.redemption_held) == ("OTHER", False)
    assert result.discount_code == "OTHER"
    assert ("release", "SAVE10", str(cart.id)) in discounts.calls
    assert not OwedRelease.objects.filter(cart=cart).exists()  # given back: 204


def test_a_fixed_discount_in_another_currency_changes_nothing(discounts):
    cart = cart_with("15.00")
    discounts.add("FIVEEUR", "fixed", "5.00", currency="EUR")

    with pytest.raises(DiscountCurrencyMismatch):
        apply(cart, "FIVEEUR", discounts)

    assert stored(cart).discount_code == ""


def test_a_whole_checkout_run_meanwhile_sends_the_apply_to_the_lock():
    # A checkout declined and settled while discount_service was asked: the status is the
    # same ("failed") but the attempt is not, so the answer must show the new payment.
    cart = cart_with("15.00")
    Cart.objects.filter(pk=cart.pk).update(payment_status="failed", checkout_attempt=1)

    def checkout_declined():
        Cart.objects.filter(pk=cart.pk).update(
            checkout_attempt=2, last_payment_id="p-2", last_payment_status="declined"
        )

    discounts = ChangedDuringTheCall(checkout_declined)
    discounts.add("SAVE10")

    result = apply(cart, "SAVE10", discounts)

    assert (result.checkout_attempt, result.last_payment_id) == (2, "p-2")
    assert stored(cart).discount_code == "SAVE10"


def test_a_code_is_checked_against_the_cart_as_it_is(discounts):
    cart = cart_with("15.00")
    line = cart.items.get()

    apply(cart, "SAVE10", discounts)

    sent = discounts.carts_sent["SAVE10"]
    assert sent.currency == cart.currency
    assert [(ln.sku, ln.quantity, ln.unit_price) for ln in sent.items] == [
        (line.sku, 1, Decimal("15.00"))
    ]
