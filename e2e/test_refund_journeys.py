"""Journey 10: money goes back exactly once. An operator refunds part of a paid cart or
cancels it (cart_service's admin token); payment_service's ledger shows what was given back,
and discount_service the uses a cancel gives back.

The faults are real: payment_service's answer to a refund is held back at the proxy until
cart_service has given up on it (the refund is made, cart_service never hears), and what
follows is waited for as a state, with a deadline only a broken system meets.
"""

from __future__ import annotations

import subprocess

import pytest
import requests

from e2e.env import COMPOSE_MODE
from e2e.waiting import InBackground, until
from harness.api_client import ApiError, CartAdminClient, declined_on_purpose
from harness.stack import PYTHON
from harness.tokens import TOKENS

DECLINED_REFUND = "13.13"  # payment_service's PAYMENT_REFUND_FAILING_AMOUNT, as shipped


def statuses(client: CartAdminClient) -> list[int]:
    """The HTTP status of every answer the client gets from now on, in order."""
    seen: list[int] = []
    client.session.hooks["response"].append(
        lambda response, *a, **kw: seen.append(response.status_code)
    )
    return seen


def refused(call) -> ApiError:
    with pytest.raises(ApiError) as error:
        call()
    return error.value


def paid_cart(storefront, product, price: str, code: str | None = None) -> dict:
    cart = storefront.create_cart("USD", items=[product(price)])
    if code:
        storefront.apply_discount(cart["id"], code)
    paid = storefront.checkout(cart["id"])
    assert paid["payment_status"] == "paid", paid
    return paid


def ledger(payments, cart: dict) -> tuple[dict, list[dict]]:
    """The cart's payment at payment_service, and its refunds."""
    payment_id = cart["payment"]["id"]
    return payments.get(payment_id), payments.refunds_of(payment_id)


def test_a_partial_refund_sent_twice_gives_money_back_once(
    storefront, cart_admin, payments, discounts, new_code, product
):
    code = new_code("PART")
    discounts.create(code=code, kind="percent", value="10.00", max_redemptions=5)
    cart = paid_cart(storefront, product, "15.00", code)  # 15.00 - 1.50
    assert cart["total"] == "13.50"
    answered = statuses(cart_admin)

    first = cart_admin.refund(cart["id"], "4.00", reason="one mug broken", key="rma-1")
    again = cart_admin.refund(cart["id"], "4.00", reason="one mug broken", key="rma-1")

    assert answered == [201, 200]
    assert again["id"] == first["id"]
    assert (first["kind"], first["amount"], first["status"]) == ("partial", "4.00", "succeeded")
    payment, given_back = ledger(payments, cart)
    assert (payment["amount_refunded"], payment["refund_status"]) == ("4.00", "partial")
    assert [(r["id"], r["amount"], r["status"]) for r in given_back] == [
        (first["payment_refund_id"], "4.00", "succeeded")
    ]
    now = storefront.get_cart(cart["id"])
    assert (now["payment_status"], now["amount_refunded"], now["total"]) == (
        "paid",
        "4.00",
        "13.50",
    )
    assert [r["id"] for r in cart_admin.refunds(cart["id"])] == [first["id"]]
    assert discounts.get(code)["times_redeemed"] == 1  # the order stands: the use is kept


def test_refunds_never_exceed_what_was_paid(storefront, cart_admin, payments, product):
    cart = paid_cart(storefront, product, "12.00")
    cart_admin.refund(cart["id"], "10.00", key="first")

    too_much = refused(lambda: cart_admin.refund(cart["id"], "2.01", key="second"))

    assert (too_much.status, too_much.code) == (422, "refund_exceeds_paid")
    assert "2.00" in too_much.body["detail"]  # what is left
    payment, given_back = ledger(payments, cart)
    assert (payment["amount_refunded"], payment["refund_status"]) == ("10.00", "partial")
    assert len(given_back) == 1
    assert storefront.get_cart(cart["id"])["amount_refunded"] == "10.00"
    assert len(cart_admin.refunds(cart["id"])) == 1

    # What is left, to the cent, can still go back; then nothing more.
    cart_admin.refund(cart["id"], "2.00", key="second")
    payment, given_back = ledger(payments, cart)
    assert (payment["amount_refunded"], payment["refund_status"]) == ("12.00", "full")
    nothing_left = refused(lambda: cart_admin.refund(cart["id"], "0.01"))
    assert (nothing_left.status, nothing_left.code) == (422, "refund_exceeds_paid")
    assert len(payments.refunds_of(cart["payment"]["id"])) == 2


def test_only_a_paid_cart_can_be_refunded_or_cancelled(storefront, cart_admin, payments, product):
    cart = storefront.create_cart("USD", items=[product("5.00")])

    not_paid = [
        refused(lambda: cart_admin.refund(cart["id"], "1.00")),
        refused(lambda: cart_admin.cancel(cart["id"])),
    ]

    assert [(e.status, e.code) for e in not_paid] == [(409, "cart_not_paid")] * 2
    assert storefront.get_cart(cart["id"])["payment_status"] == "pending"
    assert payments.payments_for(f"cart:{cart['id']}") == []


def test_a_cancelled_cart_refunds_everything_and_gives_its_code_back(
    storefront, cart_admin, payments, discounts, new_code, product
):
    code = new_code("ONCE")
    discounts.create(code=code, kind="percent", value="10.00", max_redemptions=1)
    item = product("15.00")
    cart = paid_cart(storefront, product, "15.00", code)
    assert discounts.get(code)["status"] == "exhausted"

    cancelled = cart_admin.cancel(cart["id"], reason="the shopper changed their mind")

    assert (cancelled["payment_status"], cancelled["amount_refunded"]) == ("cancelled", "13.50")
    payment, given_back = ledger(payments, cart)
    assert (payment["amount_refunded"], payment["refund_status"]) == ("13.50", "full")
    assert [(r["amount"], r["status"]) for r in given_back] == [("13.50", "succeeded")]
    until(lambda: discounts.get(code)["times_redeemed"] == 0, "the cancelled cart's use back")
    # The single use is free again: another shopper pays with the code.
    other = storefront.create_cart("USD", items=[item])
    storefront.apply_discount(other["id"], code)
    assert storefront.checkout(other["id"])["payment_status"] == "paid"

    # A cancelled cart is never paid or changed again, nor refunded.
    checkout = refused(lambda: storefront.checkout(cart["id"]))
    assert (checkout.status, checkout.code) == (409, "cart_cancelled")
    edits = [
        refused(lambda: storefront.add_item(cart["id"], **item)),
        refused(lambda: storefront.change_quantity(cart["id"], cart["items"][0]["id"], 2)),
        refused(lambda: storefront.remove_discount(cart["id"])),
        refused(lambda: storefront.apply_discount(cart["id"], code)),
    ]
    assert [(e.status, e.code) for e in edits] == [(409, "cart_not_editable")] * 4
    refund = refused(lambda: cart_admin.refund(cart["id"], "1.00"))
    assert (refund.status, refund.code) == (409, "cart_cancelled")

    # Cancelling again answers the cancelled cart and refunds nothing more.
    assert cart_admin.cancel(cart["id"]) == storefront.get_cart(cart["id"])
    assert len(payments.refunds_of(cart["payment"]["id"])) == 1
    assert len(cart_admin.refunds(cart["id"])) == 1
    assert discounts.get(code)["times_redeemed"] == 1  # the other shopper's, nothing else


def test_cancelling_a_partly_refunded_cart_refunds_only_what_is_left(
    storefront, cart_admin, payments, discounts, new_code, product
):
    code = new_code("REST")
    discounts.create(code=code, kind="percent", value="10.00", max_redemptions=5)
    cart = paid_cart(storefront, product, "15.00", code)
    cart_admin.refund(cart["id"], "4.00", key="rma")

    cancelled = cart_admin.cancel(cart["id"])

    assert (cancelled["payment_status"], cancelled["amount_refunded"]) == ("cancelled", "13.50")
    payment, given_back = ledger(payments, cart)
    assert (payment["amount_refunded"], payment["refund_status"]) == ("13.50", "full")
    assert [r["amount"] for r in given_back] == ["4.00", "9.50"]
    assert [(r["kind"], r["amount"]) for r in cart_admin.refunds(cart["id"])] == [
        ("partial", "4.00"),
        ("cancel", "9.50"),
    ]
    until(lambda: discounts.get(code)["times_redeemed"] == 0, "the cancelled cart's use back")


@pytest.mark.parametrize(
    "authorization",
    [
        None,  # the storefront: it has no token
        "Bearer wrong-token",
        f"Bearer {TOKENS['PAYMENT_LEDGER_TOKEN']}",  # another service's operator token
        f"Bearer {TOKENS['DISCOUNT_ADMIN_TOKEN']}",
    ],
)
@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("POST", "cancel", {"reason": "x"}),
        ("POST", "refunds", {"amount": "1.00"}),
        ("GET", "refunds", None),
    ],
)
def test_only_an_operator_can_cancel_refund_or_list_refunds(
    urls, storefront, payments, product, authorization, method, action, body
):
    cart = paid_cart(storefront, product, "5.00")
    headers = {"Authorization": authorization} if authorization else {}

    response = requests.request(
        method,
        f"{urls['cart']}/api/carts/{cart['id']}/{action}/",
        json=body,
        headers=headers,
        timeout=15,
    )

    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "not_authenticated"
    assert storefront.get_cart(cart["id"]) == cart
    payment, given_back = ledger(payments, cart)
    assert (payment["amount_refunded"], given_back) == ("0.00", [])


def test_the_ledger_token_reads_refunds_but_cannot_make_one(urls, storefront, payments, product):
    cart = paid_cart(storefront, product, "5.00")

    response = requests.post(
        f"{urls['payment']}/api/payments/{cart['payment']['id']}/refunds/",
        json={"amount": "1.00"},
        headers={
            "Authorization": f"Bearer {TOKENS['PAYMENT_LEDGER_TOKEN']}",
            "Idempotency-Key": f"ledger-{cart['id']}",
        },
        timeout=15,
    )

    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "permission_denied"
    payment, given_back = ledger(payments, cart)
    assert (payment["amount_refunded"], given_back) == ("0.00", [])


def test_a_refund_the_processor_declines_gives_nothing_back(
    storefront, cart_admin, payments, discounts, new_code, product
):
    code = new_code("DECL")
    discounts.create(code=code, kind="percent", value="10.00", max_redemptions=5)
    cart = paid_cart(storefront, product, "18.00", code)  # 18.00 - 1.80

    declined = refused(
        lambda: cart_admin.refund(
            cart["id"], DECLINED_REFUND, key="declined", request_id=declined_on_purpose()
        )
    )

    assert (declined.status, declined.code) == (502, "refund_refused")
    assert declined.body["reason"] == "refund_declined"
    payment, given_back = ledger(payments, cart)
    assert (payment["amount_refunded"], payment["refund_status"]) == ("0.00", "none")
    assert [(r["status"], r["failure_code"]) for r in given_back] == [("failed", "refund_declined")]
    now = storefront.get_cart(cart["id"])
    assert (now["payment_status"], now["amount_refunded"]) == ("paid", "0.00")
    assert [(r["status"], r["failure_code"]) for r in cart_admin.refunds(cart["id"])] == [
        ("failed", "refund_declined")
    ]
    assert discounts.get(code)["times_redeemed"] == 1

    # Another amount goes back as usual.
    refund = cart_admin.refund(cart["id"], "3.00", key="another")
    assert refund["status"] == "succeeded"
    payment, _ = ledger(payments, cart)
    assert (payment["amount_refunded"], payment["refund_status"]) == ("3.00", "partial")
    assert storefront.get_cart(cart["id"])["amount_refunded"] == "3.00"


def test_a_cancel_the_processor_declines_leaves_the_cart_paid_with_its_code(
    storefront, cart_admin, payments, discounts, new_code, product
):
    code = new_code("KEEP")
    discounts.create(code=code, kind="percent", value="10.00", max_redemptions=5)
    cart = paid_cart(storefront, product, "18.00", code)  # 16.20 paid
    cart_admin.refund(cart["id"], "3.07", key="first")  # 13.13 left: the cancel is declined

    declined = refused(lambda: cart_admin.cancel(cart["id"], request_id=declined_on_purpose()))

    assert (declined.status, declined.code) == (502, "refund_refused")
    assert declined.body["reason"] == "refund_declined"
    now = storefront.get_cart(cart["id"])
    assert (now["payment_status"], now["amount_refunded"]) == ("paid", "3.07")
    payment, _ = ledger(payments, cart)
    assert (payment["amount_refunded"], payment["refund_status"]) == ("3.07", "partial")
    assert discounts.get(code)["times_redeemed"] == 1
    assert cart_admin.refund(cart["id"], "1.00")["status"] == "succeeded"


# -- answers lost between cart_service and payment_service ------------------------------------


def reconcile_once(stack) -> str:
    """One pass of cart_service's reconciler (``manage.py reconcile_checkouts``, what the loop
    runs), on the session's stack, for work older than a second; its log."""
    done = subprocess.run(
        [PYTHON, "manage.py", "reconcile_checkouts"],
        cwd=stack.stack.service_dir("cart"),
        env={**stack.stack.environment("reconciler"), "CART_RECONCILE_AFTER": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    log = done.stdout + done.stderr
    if done.returncode:
        pytest.fail(f"the reconciler's pass exited with {done.returncode}:\n{log}")
    return log


def lose_the_answer(stack, cart: dict, call) -> Exception:
    """``call()`` while payment_service's answers to the cart's refunds are held back, until
    cart_service has given up (it answers) and payment_service has made the refund."""
    with stack.proxy.hold(f"cart-{cart['id']}-refund-") as answer:
        request = InBackground(call, "the operator's request")
        error = request.error()
        answer.wait_for_answer()  # payment_service did make the refund
    return error


@pytest.mark.processes
@pytest.mark.skipif(COMPOSE_MODE, reason="holds payment_service's answers: process stack only")
def test_a_refund_whose_answer_was_lost_is_finished_by_the_same_request(
    stack, storefront, cart_admin, payments, product
):
    cart = paid_cart(storefront, product, "12.00")

    lost = lose_the_answer(stack, cart, lambda: cart_admin.refund(cart["id"], "4.00", key="k-1"))

    assert isinstance(lost, ApiError), lost
    assert (lost.status, lost.code) == (503, "payment_service_unavailable")
    payment, given_back = ledger(payments, cart)
    assert (payment["amount_refunded"], len(given_back)) == ("4.00", 1)  # made, not heard of
    [pending] = cart_admin.refunds(cart["id"])
    assert (pending["status"], pending["amount"]) == ("pending", "4.00")
    assert storefront.get_cart(cart["id"])["amount_refunded"] == "0.00"
    # One refund of a cart at a time: its amount is decided against what is left.
    busy = [
        refused(lambda: cart_admin.refund(cart["id"], "1.00", key="k-2")),
        refused(lambda: cart_admin.cancel(cart["id"])),
    ]
    assert [(e.status, e.code) for e in busy] == [(409, "refund_in_progress")] * 2

    answered = statuses(cart_admin)
    finished = cart_admin.refund(cart["id"], "4.00", key="k-1")

    assert answered == [200]
    assert (finished["id"], finished["status"]) == (pending["id"], "succeeded")
    payment, given_back = ledger(payments, cart)
    assert (payment["amount_refunded"], payment["refund_status"]) == ("4.00", "partial")
    assert [r["id"] for r in given_back] == [finished["payment_refund_id"]]
    now = storefront.get_cart(cart["id"])
    assert (now["payment_status"], now["amount_refunded"]) == ("paid", "4.00")


@pytest.mark.processes
@pytest.mark.skipif(COMPOSE_MODE, reason="holds payment_service's answers: process stack only")
def test_a_cancel_whose_answer_was_lost_is_finished_by_the_reconciler_alone(
    stack, storefront, cart_admin, payments, discounts, new_code, product
):
    code = new_code("LOST")
    discounts.create(code=code, kind="percent", value="10.00", max_redemptions=1)
    cart = paid_cart(storefront, product, "15.00", code)

    lost = lose_the_answer(stack, cart, lambda: cart_admin.cancel(cart["id"]))

    assert isinstance(lost, ApiError), lost
    assert (lost.status, lost.code) == (503, "payment_service_unavailable")
    payment, _ = ledger(payments, cart)
    assert payment["refund_status"] == "full"  # the money went back; the cart has not heard
    assert storefront.get_cart(cart["id"])["payment_status"] == "paid"
    assert discounts.get(code)["times_redeemed"] == 1

    # No operator comes back: passes of the reconciler, until one finds the refund old enough.
    passes: list[str] = []

    def a_pass_cancelled_it() -> bool:
        passes.append(reconcile_once(stack))
        return storefront.get_cart(cart["id"])["payment_status"] == "cancelled"

    until(a_pass_cancelled_it, "the cancel settled by the reconciler")

    now = storefront.get_cart(cart["id"])
    assert now["amount_refunded"] == "13.50"
    assert [r["status"] for r in cart_admin.refunds(cart["id"])] == ["succeeded"]
    payment, given_back = ledger(payments, cart)
    assert (payment["amount_refunded"], len(given_back)) == ("13.50", 1)
    until(lambda: discounts.get(code)["times_redeemed"] == 0, "the use given back")
    assert any(f"of cart {cart['id']}" in log for log in passes), passes
