"""Journey 10: the operators' console in a real browser (headless Debian chromium, driven by
Playwright) against the process stack: an operator of the group operators-act signs in,
releases a held cart with a reason and finds it in the history, creates a discount code a
shopper then uses, and settles a checkout whose payment answer was lost (payment_service
frozen for real) with "settle now". Screenshots of the key pages go to reports/admin/.

The session's stack runs no reconciler, so a stuck checkout stays stuck until the operator
acts. A cart held for an operator is made from a real paid checkout whose row is then put
in the held state directly in cart_service's database: the mismatch itself is produced by
cart_service's own tests (a payment of another amount under the attempt's key).
"""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from e2e.env import COMPOSE_MODE
from harness.api_client import ApiError

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(COMPOSE_MODE, reason="needs the process stack"),
]

ROOT = Path(__file__).resolve().parents[1]
SHOTS = Path(os.environ.get("ADMIN_SCREENSHOTS", ROOT / "reports" / "admin"))
OPERATOR, PASSWORD = "dev-operator", "dev-operator-password"  # operators-act (make run's)


@pytest.fixture(scope="module")
def browser(process_stack):
    """Debian's chromium (make chromium), headless; the stack's development operators."""
    from playwright.sync_api import sync_playwright  # the dev group only: not in compose

    executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
    assert executable, "no chromium: `make chromium` installs Debian's package"
    for name in ("cart", "discount"):
        process_stack.stack.manage(name, "operator_dev_users")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", OPERATOR)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")  # "Welcome, dev-operator"


def choose_action(page, row_id: str, action: str) -> None:
    page.check(f"input[name=_selected_action][value='{row_id}']")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def messages(page) -> list[str]:
    """The messages of the page the last click leads to (waited for: a click does not wait
    for the next page)."""
    page.wait_for_selector("ul.messagelist li")
    return page.locator("ul.messagelist li").all_inner_texts()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def paid_cart(storefront, product, price: str = "6.00") -> dict:
    cart = storefront.create_cart("USD", items=[product(price)])
    assert storefront.checkout(cart["id"])["payment_status"] == "paid"
    return cart


def hold(process_stack, cart_id: str) -> None:
    """Put a cart in the held state (payment_mismatch) in cart_service's database."""
    import psycopg

    with psycopg.connect(process_stack.cluster.url("cart")) as db:
        db.execute(
            "UPDATE carts_cart SET payment_status = 'pending', "
            "checkout_problem = 'payment_mismatch' WHERE id = %s",
            (cart_id,),
        )


def test_an_operator_releases_a_held_cart_with_a_reason_and_finds_it_in_the_history(
    page, process_stack, storefront, product
):
    cart = paid_cart(storefront, product)
    hold(process_stack, cart["id"])
    base = process_stack.url("cart")
    with pytest.raises(ApiError) as held:
        storefront.checkout(cart["id"])
    assert held.value.code == "payment_mismatch"

    sign_in(page, base)
    page.goto(f"{base}/admin/carts/cart/?state=held")
    assert cart["id"] in page.inner_text("#result_list")
    shot(page, "01-carts-held-for-an-operator")
    choose_action(page, cart["id"], "release_hold")
    page.check("input[name=outcome][value=accepted]")
    page.fill("textarea[name=reason]", "Shopper agreed to the amount charged (ticket 4711)")
    shot(page, "02-release-the-hold-with-a-reason")
    page.click("input[name=apply]")

    assert any(cart["id"] in m and "hold released" in m for m in messages(page))
    assert storefront.get_cart(cart["id"])["payment_status"] == "paid"
    page.goto(f"{base}/admin/carts/cart/{cart['id']}/history/")
    history = page.inner_text("#change-history")
    assert OPERATOR in history
    assert "ticket 4711" in history
    shot(page, "03-the-carts-history")


def test_an_operator_creates_a_discount_code_that_a_shopper_then_uses(
    page, process_stack, storefront, product, discounts, new_code
):
    code = new_code("ADMIN")
    base = process_stack.url("discount")

    sign_in(page, base)
    page.goto(f"{base}/admin/discounts/discount/add/")
    page.fill("#id_code", code.lower())
    page.fill("#id_description", "Made in the admin")
    page.select_option("#id_kind", "percent")
    page.fill("#id_value", "10.00")
    page.fill("#id_max_redemptions", "5")
    page.fill("#id_reason", "Spring campaign")
    shot(page, "04-a-new-discount-code")
    page.click("input[name=_save]")
    assert any("was added successfully" in m for m in messages(page))

    cart = storefront.create_cart("USD", items=[product("10.00")])
    applied = storefront.apply_discount(cart["id"], code.lower())
    paid = storefront.checkout(cart["id"])

    assert Decimal(applied["total"]) == Decimal("9.00")
    assert paid["payment_status"] == "paid"
    assert discounts.get(code)["times_redeemed"] == 1
    page.goto(f"{base}/admin/discounts/discount/?q={code}")
    assert "1" in page.inner_text(f"#result_list tr:has-text('{code}') td.field-times_redeemed")
    shot(page, "05-the-code-redeemed-once")

    # The code's page: its latest uses, and the way to every one of them.
    page.click(f"#result_list a:has-text('{code}')")
    assert cart["id"] in page.inner_text("#redemptions-group")
    shot(page, "05b-the-codes-page-with-its-latest-redemption")
    page.click("div.field-redemptions a")
    assert cart["id"] in page.inner_text("#result_list")
    assert "1 redemption" in page.inner_text("#changelist-form")


def test_settle_now_pays_a_checkout_whose_payment_answer_was_lost(
    page, stack, storefront, product, payments
):
    cart = storefront.create_cart("USD", items=[product("7.00")])
    stack.stack.freeze("payment")  # the charge waits in its queue, unanswered
    try:
        with pytest.raises(ApiError) as lost:
            storefront.checkout(cart["id"])
    finally:
        stack.stack.thaw("payment")  # it takes the money; nobody reads the answer
    assert lost.value.code == "payment_service_unavailable"
    base = stack.url("cart")

    sign_in(page, base)
    page.goto(f"{base}/admin/carts/cart/?state=unresolved")
    assert cart["id"] in page.inner_text("#result_list")
    shot(page, "06-a-checkout-awaiting-the-reconciler")
    choose_action(page, cart["id"], "settle_now")

    assert any(cart["id"] in m and "settled_paid" in m for m in messages(page))
    charged = payments.payments_for(f"cart:{cart['id']}")
    assert [p["status"] for p in charged] == ["succeeded"]
    assert storefront.get_cart(cart["id"])["payment"]["id"] == charged[0]["id"]
    page.goto(f"{base}/admin/carts/cart/{cart['id']}/change/")
    assert "paid" in page.inner_text("div.field-state")
    shot(page, "07-settled-paid")
