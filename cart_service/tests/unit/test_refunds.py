"""Refunds and cancellations of paid carts (carts.refunds) with hand-written fake providers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from carts import refunds, selectors, services
from carts.checkout import cart_checkout
from carts.errors import (
    CartCancelled,
    CartNotEditable,
    CartNotPaid,
    PaymentServiceUnavailable,
    RefundExceedsPaid,
    RefundInProgress,
    RefundKeyReused,
    RefundRefused,
)
from carts.models import Cart, CartRefund
from carts.reconciler import reconcile_pass
from tests.factories import CartFactory, cart_with
from tests.fakes import FakeCatalogClient

pytestmark = pytest.mark.django_db


def paid_cart(discounts, payments, total="15.00", **traits):
    cart = cart_with(total, **traits)
    paid = cart_checkout(
        cart_id=cart.id,
        discount_client=discounts,
        payment_client=payments,
        catalog_client=FakeCatalogClient(),
    )
    assert paid.payment_status == "paid"
    return Cart.objects.get(pk=cart.pk)


def refund(cart, discounts, payments, amount, key=""):
    return refunds.cart_refund(
        cart_id=cart.id,
        amount=Decimal(amount),
        reason="broken",
        operator_key=key,
        payment_client=payments,
        discount_client=discounts,
    )


def cancel(cart, discounts, payments):
    return refunds.cart_cancel(
        cart_id=cart.id, reason="cancelled", payment_client=payments, discount_client=discounts
    )


def refund_calls(payments):
    return [call for call in payments.calls if "refund" in call]


def test_part_of_a_paid_cart_is_refunded_and_the_cart_keeps_its_use(discounts, payments):
    cart = paid_cart(discounts, payments, percent_discount=True)  # 13.50 paid

    done = refund(cart, discounts, payments, "5.00")

    assert (done.created, done.refund.status, done.refund.amount) == (
        True,
        "succeeded",
        Decimal("5.00"),
    )
    cart.refresh_from_db()
    assert (cart.payment_status, cart.amount_refunded) == ("paid", Decimal("5.00"))
    assert payments.refunded(cart.last_payment_id) == Decimal("5.00")
    assert ("SAVE10", str(cart.id)) in discounts.redemptions  # the order stands, for less


def test_refunds_add_up_to_what_was_paid_and_no_further(discounts, payments):
    cart = paid_cart(discounts, payments)  # 15.00
    refund(cart, discounts, payments, "10.00")

    with pytest.raises(RefundExceedsPaid):
        refund(cart, discounts, payments, "5.01")

    assert refund(cart, discounts, payments, "5.00").refund.status == "succeeded"
    assert len(refund_calls(payments)) == 2  # the refused one never reached payment_service
    assert Cart.objects.get(pk=cart.pk).amount_refunded == Decimal("15.00")


def test_a_cancel_refunds_all_that_is_left_and_gives_the_use_back(discounts, payments):
    cart = paid_cart(discounts, payments, percent_discount=True)  # 13.50 paid
    refund(cart, discounts, payments, "3.50")

    cancelled = cancel(cart, discounts, payments)

    assert (cancelled.payment_status, cancelled.amount_refunded) == ("cancelled", Decimal("13.50"))
    assert [c["amount"] for c in refund_calls(payments)] == [Decimal("3.50"), Decimal("10.00")]
    assert discounts.redemptions == {}  # the use is given back
    assert not cancelled.releases_owed


def test_cancelling_twice_answers_the_cancelled_cart_and_refunds_nothing_more(discounts, payments):
    cart = paid_cart(discounts, payments)
    cancel(cart, discounts, payments)

    again = cancel(cart, discounts, payments)

    assert again.payment_status == "cancelled"
    assert len(refund_calls(payments)) == 1
    assert CartRefund.objects.count() == 1


def test_a_cancelled_cart_is_never_checked_out_or_changed_again(discounts, payments):
    cart = paid_cart(discounts, payments)
    cancel(cart, discounts, payments)

    with pytest.raises(CartCancelled):
        cart_checkout(
            cart_id=cart.id,
            discount_client=discounts,
            payment_client=payments,
            catalog_client=FakeCatalogClient(),
        )
    with pytest.raises(CartNotEditable):
        services.cart_discount_remove(cart_id=cart.id, discount_client=discounts)
    with pytest.raises(CartCancelled):
        refund(cart, discounts, payments, "1.00")
    assert len(payments.charged) == 1


@pytest.mark.parametrize("state", ["pending", "failed"])
def test_only_a_paid_cart_is_refunded_or_cancelled(discounts, payments, state):
    cart = cart_with("15.00", payment_status=state)

    with pytest.raises(CartNotPaid):
        refund(cart, discounts, payments, "1.00")
    with pytest.raises(CartNotPaid):
        cancel(cart, discounts, payments)
    assert refund_calls(payments) == []


def test_a_refund_the_processor_declines_gives_nothing_back(discounts, payments):
    cart = paid_cart(discounts, payments)

    with pytest.raises(RefundRefused) as refused:
        refund(cart, discounts, payments, "13.13")  # payment_service's failing amount

    assert refused.value.reason == "refund_declined"
    settled = CartRefund.objects.get()
    assert (settled.status, settled.failure_code) == ("failed", "refund_declined")
    cart.refresh_from_db()
    assert (cart.payment_status, cart.amount_refunded) == ("paid", Decimal("0.00"))
    # A failed refund is over: the next one may be asked for.
    assert refund(cart, discounts, payments, "1.00").refund.number == 2


def test_a_refund_payment_service_refuses_for_good_ends_failed(discounts, payments):
    cart = paid_cart(discounts, payments)
    payments.refunds["elsewhere"] = payments.refund(
        payment_id=cart.last_payment_id, amount=Decimal("15.00"), reason="", idempotency_key="x"
    )  # refunded at payment_service by someone else

    with pytest.raises(RefundRefused) as refused:
        cancel(cart, discounts, payments)

    assert refused.value.reason == "refund_exceeds_remaining"
    assert CartRefund.objects.get().status == "failed"
    assert Cart.objects.get(pk=cart.pk).payment_status == "paid"


def test_a_lost_answer_is_finished_by_the_same_request_under_the_same_key(discounts, payments):
    cart = paid_cart(discounts, payments)
    payments.lost_refunds = 1

    with pytest.raises(PaymentServiceUnavailable):
        refund(cart, discounts, payments, "4.00", key="op-1")
    assert CartRefund.objects.get().status == "pending"
    with pytest.raises(RefundInProgress):  # another refund waits for this one
        refund(cart, discounts, payments, "1.00")

    done = refund(cart, discounts, payments, "4.00", key="op-1")

    assert (done.created, done.refund.status) == (False, "succeeded")
    keys = {call["key"] for call in refund_calls(payments)}
    assert keys == {f"cart-{cart.id}-refund-1-{cart.payment_key_secret}"}
    assert len(payments.refunds) == 1  # one refund made, whatever the tries
    assert Cart.objects.get(pk=cart.pk).amount_refunded == Decimal("4.00")


def test_a_lost_cancel_is_settled_by_the_reconciler_alone(discounts, payments):
    cart = paid_cart(discounts, payments, percent_discount=True)
    payments.lost_refunds = 1
    with pytest.raises(PaymentServiceUnavailable):
        cancel(cart, discounts, payments)

    young = reconcile_pass(discount_client=discounts, payment_client=payments)
    assert young["refund_settled_succeeded"] == 0  # younger than CART_RECONCILE_AFTER
    done = reconcile_pass(
        discount_client=discounts,
        payment_client=payments,
        now=timezone.now() + timedelta(seconds=120),  # CART_RECONCILE_AFTER is 60
    )

    cart.refresh_from_db()
    assert done["refund_settled_succeeded"] == 1
    assert (cart.payment_status, cart.amount_refunded) == ("cancelled", Decimal("13.50"))
    assert discounts.redemptions == {}
    assert len(payments.refunds) == 1


def test_a_cancel_again_finishes_the_pending_one(discounts, payments):
    cart = paid_cart(discounts, payments)
    payments.refund_outages = 1
    with pytest.raises(PaymentServiceUnavailable):
        cancel(cart, discounts, payments)

    cancelled = cancel(cart, discounts, payments)

    assert cancelled.payment_status == "cancelled"
    assert CartRefund.objects.get().status == "succeeded"


def test_the_operators_key_answers_the_same_refund(discounts, payments):
    cart = paid_cart(discounts, payments)
    first = refund(cart, discounts, payments, "2.00", key="op-7")

    again = refund(cart, discounts, payments, "2.00", key="op-7")

    assert (again.created, again.refund.pk) == (False, first.refund.pk)
    assert len(refund_calls(payments)) == 1


def test_the_operators_key_with_another_amount_or_reason_is_refused(discounts, payments):
    cart = paid_cart(discounts, payments)
    refund(cart, discounts, payments, "2.00", key="op-7")

    with pytest.raises(RefundKeyReused):
        refund(cart, discounts, payments, "3.00", key="op-7")
    with pytest.raises(RefundKeyReused):
        refunds.cart_refund(
            cart_id=cart.id,
            amount=Decimal("2.00"),
            reason="another reason",
            operator_key="op-7",
            payment_client=payments,
            discount_client=discounts,
        )

    assert len(refund_calls(payments)) == 1
    assert CartRefund.objects.count() == 1
    assert Cart.objects.get(pk=cart.pk).amount_refunded == Decimal("2.00")


def test_a_declined_refund_asked_again_with_its_key_is_refused_again(discounts, payments):
    cart = paid_cart(discounts, payments)
    with pytest.raises(RefundRefused):
        refund(cart, discounts, payments, "13.13", key="op-8")

    with pytest.raises(RefundRefused) as again:
        refund(cart, discounts, payments, "13.13", key="op-8")

    assert again.value.reason == "refund_declined"
    assert len(refund_calls(payments)) == 1  # not asked again: the refund is over


def test_a_fully_discounted_cart_is_cancelled_without_asking_payment_service(discounts, payments):
    discounts.add("FIVEOFF", "fixed", "5.00", currency="USD")
    cart = paid_cart(discounts, payments, total="4.00", fixed_discount=True)  # nothing charged

    cancelled = cancel(cart, discounts, payments)

    assert cancelled.payment_status == "cancelled"
    assert refund_calls(payments) == []
    assert discounts.redemptions == {}


def test_a_refund_of_a_cart_held_for_an_operator_is_refused(discounts, payments):
    cart = CartFactory(payment_status="pending", checkout_problem="payment_mismatch")

    with pytest.raises(CartNotPaid):
        cancel(cart, discounts, payments)


def test_a_refund_pending_past_the_replay_limit_is_not_sent_again_but_held(
    discounts, payments, settings
):
    cart = paid_cart(discounts, payments)
    payments.lost_refunds = 1
    with pytest.raises(PaymentServiceUnavailable):
        refund(cart, discounts, payments, "4.00")
    sent = len(refund_calls(payments))
    later = timezone.now() + timedelta(seconds=settings.CART_REPLAY_LIMIT + 1)

    done = reconcile_pass(discount_client=discounts, payment_client=payments, now=later)

    assert done["refund_held_for_operator"] == 1
    assert len(refund_calls(payments)) == sent  # not repeated: the key may be gone
    assert CartRefund.objects.get(cart=cart).status == "pending"
    backlog = selectors.reconciler_backlog(later)
    assert (backlog["unresolved_refunds"], backlog["refunds_held_for_operator"]) == (0, 1)
    young = selectors.reconciler_backlog(timezone.now() + timedelta(seconds=120))
    assert (young["unresolved_refunds"], young["refunds_held_for_operator"]) == (1, 0)
