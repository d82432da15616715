"""The operators' console for carts: what each group sees and may do, and that every action
goes through the services, reports per cart and is kept in the history with who and why."""

from decimal import Decimal

import pytest
import responses
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.utils import timezone

from carts.models import Cart, CartRefund, OwedRelease
from tests.factories import CartFactory, CartItemFactory, cart_with
from tests.integration.test_refunds_api import PAYMENT_ID, REFUNDS
from tests.integration.test_refunds_api import _refund as refunded

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/carts/cart/"
PAYMENTS = "http://127.0.0.1:8003/api/payments/"
RELEASES = "http://127.0.0.1:8001/api/discounts/SAVE10/redemptions/"


def act(client: Client, action: str, *carts: Cart, **form: str):
    """Choose ``action`` for ``carts`` on the list (with ``form``: its page, submitted)."""
    data = {"action": action, "_selected_action": [str(c.pk) for c in carts], **form}
    if form:
        data["apply"] = "yes"
    return client.post(CHANGELIST, data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def history_of(cart: Cart) -> list[LogEntry]:
    return list(LogEntry.objects.filter(object_id=str(cart.pk)).order_by("action_time"))


def held(**fields) -> Cart:
    """A cart of 15.00 held for an operator: payment_service took 16.00 under its key."""
    return cart_with(
        "15.00",
        checkout_attempt=1,
        checkout_problem="payment_mismatch",
        last_payment_id=PAYMENT_ID,
        last_payment_status="succeeded",
        **fields,
    )


def unresolved() -> Cart:
    """A cart of 15.00 whose charge's answer was lost (attempt 1, unresolved)."""
    return cart_with(
        "15.00", checkout_attempt=1, attempt_unresolved=True, attempt_started_at=timezone.now()
    )


def payment(cart: Cart, amount: str = "15.00") -> dict:
    return {
        "id": PAYMENT_ID,
        "reference": f"cart:{cart.id}",
        "amount": amount,
        "currency": "USD",
        "status": "succeeded",
        "decline_code": None,
        "created_at": "2026-11-21T10:00:00Z",
    }


def paid() -> Cart:
    cart = CartFactory(
        payment_status="paid",
        checkout_attempt=1,
        last_payment_id=PAYMENT_ID,
        last_payment_status="succeeded",
    )
    CartItemFactory(cart=cart, unit_price=Decimal("7.50"), quantity=2)
    return cart


# -- seeing ---------------------------------------------------------------------------------


def test_the_state_filter_finds_the_carts_held_for_an_operator(viewer):
    hold, other = held(), cart_with("9.00")

    page = viewer.get(CHANGELIST, {"state": "held"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [hold]
    assert str(other.pk) not in page.content.decode()


@pytest.mark.parametrize(
    ("state", "make"),
    [
        ("unresolved", unresolved),
        ("paid", paid),
        ("uses_owed", lambda: cart_with("5.00", releases_owed=True)),
        ("open", lambda: cart_with("5.00")),
    ],
)
def test_each_state_lists_its_carts_only(viewer, state, make):
    wanted, _ = make(), held()

    page = viewer.get(CHANGELIST, {"state": state})

    assert list(page.context["cl"].result_list) == [wanted]


def test_a_carts_page_shows_its_attempt_and_never_its_payment_key_secret(viewer):
    cart = held()

    page = viewer.get(f"{CHANGELIST}{cart.pk}/change/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "payment_mismatch" in text
    assert PAYMENT_ID in text
    assert cart.payment_key_secret not in text


def test_a_cart_is_found_by_its_id(viewer):
    cart, _ = held(), held()

    page = viewer.get(CHANGELIST, {"q": str(cart.pk)})

    assert list(page.context["cl"].result_list) == [cart]


# -- who may act ----------------------------------------------------------------------------


def test_the_read_only_group_is_offered_no_action_and_cannot_act(viewer):
    cart = held()

    page = viewer.get(CHANGELIST)
    tried = act(viewer, "release_hold", cart, outcome="accepted", reason="because")

    assert page.context["action_form"] is None
    assert Cart.objects.get(pk=cart.pk).checkout_problem == "payment_mismatch"
    assert not history_of(cart)
    assert tried.status_code == 200


def test_nobody_adds_edits_or_deletes_a_cart_here(actor):
    cart = held()

    assert actor.get("/admin/carts/cart/add/").status_code == 403
    actor.post(f"{CHANGELIST}{cart.pk}/change/", {"payment_status": "paid"})
    assert actor.post(f"{CHANGELIST}{cart.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Cart.objects.get(pk=cart.pk).payment_status == "pending"


def test_a_session_of_the_admin_does_not_authenticate_the_api(actor):
    cart = paid()

    response = actor.post(f"/api/carts/{cart.pk}/cancel/", {"reason": "x"})

    assert response.status_code == 401
    assert Cart.objects.get(pk=cart.pk).payment_status == "paid"


def test_the_admin_refuses_a_post_without_its_csrf_token(db):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post("/admin/login/", {"username": "ada", "password": "x"})

    assert response.status_code == 403


# -- release a hold -------------------------------------------------------------------------


def test_releasing_a_hold_asks_why_first(actor):
    cart = held()

    page = act(actor, "release_hold", cart)

    assert page.status_code == 200
    assert "reason" in page.context["form"].fields
    assert Cart.objects.get(pk=cart.pk).checkout_problem == "payment_mismatch"


def test_a_hold_released_without_a_reason_is_not_released(actor):
    cart = held()

    page = act(actor, "release_hold", cart, outcome="accepted", reason="")

    assert page.context["form"].errors["reason"]
    assert Cart.objects.get(pk=cart.pk).checkout_problem == "payment_mismatch"


def test_an_accepted_payment_releases_the_hold_as_paid_with_who_and_why_in_the_history(actor):
    cart = held()

    page = act(actor, "release_hold", cart, outcome="accepted", reason="shopper agreed to 16.00")

    after = Cart.objects.get(pk=cart.pk)
    assert (after.payment_status, after.checkout_problem) == ("paid", "")
    [entry] = history_of(cart)
    assert entry.user.username == "ada"
    assert "shopper agreed to 16.00" in entry.change_message
    assert "hold released, payment accepted" in entry.change_message
    assert any("hold released" in m for m in messages_of(page))


def test_a_refunded_payment_releases_the_hold_as_failed_and_gives_the_use_back(actor, mocked):
    cart = held(discount_code="SAVE10", discount_kind="percent", discount_value=Decimal("10"))
    Cart.objects.filter(pk=cart.pk).update(redemption_held=True)
    mocked.add(responses.DELETE, f"{RELEASES}{cart.pk}/", status=204)

    act(actor, "release_hold", cart, outcome="refunded", reason="refunded 16.00 at payment")

    after = Cart.objects.get(pk=cart.pk)
    assert (after.payment_status, after.checkout_problem) == ("failed", "")
    assert not after.releases_owed
    assert not OwedRelease.objects.filter(cart=cart).exists()


def test_releasing_several_reports_per_cart(actor):
    first, second = held(), cart_with("9.00")

    page = act(actor, "release_hold", first, second, outcome="accepted", reason="checked")

    shown = messages_of(page)
    assert any(str(first.pk) in m and "hold released" in m for m in shown)
    assert any(str(second.pk) in m and "not held" in m for m in shown)
    assert len(history_of(first)) == 1
    assert not history_of(second)


# -- settle now -----------------------------------------------------------------------------


def test_settle_now_settles_a_lost_answer_at_once_and_reports_per_cart(actor, mocked):
    stuck, idle = unresolved(), cart_with("9.00")
    mocked.add(responses.POST, PAYMENTS, json=payment(stuck), status=201)

    page = act(actor, "settle_now", stuck, idle)

    after = Cart.objects.get(pk=stuck.pk)
    assert (after.payment_status, after.attempt_unresolved) == ("paid", False)
    assert after.last_payment_id == PAYMENT_ID
    shown = messages_of(page)
    assert any(str(stuck.pk) in m and "settled_paid" in m for m in shown)
    assert any(str(idle.pk) in m and "nothing_to_settle" in m for m in shown)
    [entry] = history_of(stuck)
    assert entry.user.username == "ada"
    assert "settled_paid" in entry.change_message


def test_settle_now_leaves_a_cart_a_reconciler_is_settling(actor):
    stuck = unresolved()
    Cart.objects.filter(pk=stuck.pk).update(
        reconcile_claimed_until=timezone.now() + timezone.timedelta(seconds=60)
    )

    page = act(actor, "settle_now", stuck)  # no payment call: it would fail (unregistered)

    assert Cart.objects.get(pk=stuck.pk).attempt_unresolved
    assert any("busy" in m for m in messages_of(page))


def test_settle_now_with_payment_service_down_changes_nothing(actor, mocked):
    stuck = unresolved()
    mocked.add(responses.POST, PAYMENTS, status=503)

    page = act(actor, "settle_now", stuck)

    after = Cart.objects.get(pk=stuck.pk)
    assert after.attempt_unresolved
    assert after.reconcile_claimed_until is None
    assert any("unresolved" in m for m in messages_of(page))
    assert not history_of(stuck)


# -- refund and cancel ----------------------------------------------------------------------


def test_a_refund_goes_through_the_refund_protocol(actor, mocked):
    cart = paid()
    mocked.add_callback(responses.POST, REFUNDS, callback=refunded)

    page = act(actor, "refund", cart, amount="5.00", reason="one mug broken")

    [refund] = CartRefund.objects.filter(cart=cart)
    assert (refund.amount, refund.status, refund.reason) == (
        Decimal("5.00"),
        "succeeded",
        "one mug broken",
    )
    assert Cart.objects.get(pk=cart.pk).amount_refunded == Decimal("5.00")
    assert any("refund 1 of 5.00 USD: succeeded" in m for m in messages_of(page))
    assert "one mug broken" in history_of(cart)[0].change_message


def test_a_refund_beyond_what_was_paid_is_refused_per_cart_and_recorded(actor):
    cart = paid()

    page = act(actor, "refund", cart, amount="99.00", reason="too much")

    assert not CartRefund.objects.filter(cart=cart).exists()
    assert any("refund_exceeds_paid" in m for m in messages_of(page))
    assert history_of(cart)[0].change_message.startswith("Refused")


def test_a_cancel_refunds_all_that_is_left(actor, mocked):
    cart = paid()
    mocked.add_callback(responses.POST, REFUNDS, callback=refunded)

    page = act(actor, "cancel", cart, reason="shopper asked")

    after = Cart.objects.get(pk=cart.pk)
    assert (after.payment_status, after.amount_refunded) == ("cancelled", Decimal("15.00"))
    assert any("cancelled: 15.00 USD refunded" in m for m in messages_of(page))


def test_the_read_only_group_cannot_refund(viewer):
    cart = paid()

    act(viewer, "refund", cart, amount="5.00", reason="x")

    assert not CartRefund.objects.filter(cart=cart).exists()


def test_the_read_group_only_views_and_the_act_group_adds_the_cart_actions():
    from django.contrib.auth.models import Group

    def codenames(group):
        return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))

    read, acting = codenames("operators-read"), codenames("operators-act")
    assert read
    assert all(name.startswith("view_") for name in read)
    assert acting - read == {"settle_cart", "release_hold", "refund_cart"}


def test_operator_groups_puts_a_group_back_as_the_settings_say():
    from io import StringIO

    from django.contrib.auth.models import Group, Permission
    from django.core.management import call_command

    acting = Group.objects.get(name="operators-act")
    acting.permissions.add(Permission.objects.get(codename="delete_cart"))
    out = StringIO()

    call_command("operator_groups", stdout=out)

    assert not acting.permissions.filter(codename="delete_cart").exists()
    assert "operators-act:" in out.getvalue()


def test_the_history_lists_every_operators_change(viewer, actor):
    act(actor, "release_hold", held(), outcome="accepted", reason="checked")

    page = viewer.get("/admin/admin/logentry/", {"q": "checked"})

    assert len(page.context["cl"].result_list) == 1
