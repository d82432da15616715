"""discount_service's admin: codes found by status, created and edited through the
services with the API's rules, deactivated with a reason; redemptions read-only."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from discounts.admin import LATEST_REDEMPTIONS
from discounts.domain import Status
from discounts.models import Discount
from tests.factories import DiscountFactory, RedemptionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/discounts/discount/"


def new_code(**fields) -> dict:
    now = timezone.now()
    form = {
        "code": " spring10 ",
        "description": "Spring",
        "kind": "percent",
        "value": "10.00",
        "currency": "",
        "starts_at_0": now.strftime("%Y-%m-%d"),
        "starts_at_1": "00:00:00",
        "ends_at_0": (now + timedelta(days=30)).strftime("%Y-%m-%d"),
        "ends_at_1": "00:00:00",
        "max_redemptions": "100",
        "is_active": "on",
        "reason": "spring campaign",
        "redemptions-TOTAL_FORMS": "0",
        "redemptions-INITIAL_FORMS": "0",
    }
    form.update(fields)
    return form


def history_of(discount: Discount) -> list[LogEntry]:
    return list(LogEntry.objects.filter(object_id=str(discount.pk)))


def test_each_status_lists_the_codes_whose_status_it_is(viewer):
    now = timezone.now()
    past = {"starts_at": now - timedelta(days=9), "ends_at": now - timedelta(days=1)}
    made = {
        Status.ACTIVE: [DiscountFactory(), DiscountFactory(max_redemptions=2, times_redeemed=1)],
        Status.SCHEDULED: [
            DiscountFactory(starts_at=now + timedelta(days=1), ends_at=None, is_active=False)
        ],
        Status.EXPIRED: [DiscountFactory(**past), DiscountFactory(**past, is_active=False)],
        # the checks' order decides: inactive before exhausted, as discount_status says
        Status.INACTIVE: [DiscountFactory(is_active=False, max_redemptions=1, times_redeemed=1)],
        Status.EXHAUSTED: [DiscountFactory(max_redemptions=1, times_redeemed=1)],
    }

    for status, discounts in made.items():
        listed = viewer.get(CHANGELIST, {"status": status.value}).context["cl"].result_list
        assert set(listed) == set(discounts), status
        assert {d.status for d in discounts} == {status}


def test_a_code_is_created_through_the_service_normalised_with_who_and_why(actor):
    response = actor.post(f"{CHANGELIST}add/", new_code())

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Discount.objects.get()
    assert (created.code, created.value, created.max_redemptions) == (
        "SPRING10",
        Decimal("10.00"),
        100,
    )
    [entry] = history_of(created)
    assert entry.user.username == "ada"
    assert "spring campaign" in entry.change_message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": "150.00"}, "value"),  # a percent is at most 100
        ({"kind": "fixed", "value": "5.00"}, "currency"),  # a fixed amount needs a currency
        ({"currency": "USD"}, "currency"),  # a percent has none
        ({"code": "x!"}, "code"),
        ({"ends_at_0": "2020-01-01"}, "ends_at"),  # ends before it starts
        ({"reason": ""}, "reason"),
    ],
)
def test_a_code_breaking_a_rule_is_not_created(actor, fields, field):
    response = actor.post(f"{CHANGELIST}add/", new_code(**fields))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Discount.objects.exists()


def test_a_taken_code_is_refused(actor):
    DiscountFactory(code="SPRING10")

    response = actor.post(f"{CHANGELIST}add/", new_code())

    assert "code" in response.context["adminform"].form.errors
    assert Discount.objects.count() == 1


def test_an_edit_changes_only_what_the_api_may_change(actor):
    discount = DiscountFactory(max_redemptions=5, times_redeemed=3)
    form = new_code(max_redemptions="10", description="Longer", value="50.00", reason="extend")

    response = actor.post(f"{CHANGELIST}{discount.pk}/change/", form)

    assert response.status_code == 302
    after = Discount.objects.get(pk=discount.pk)
    assert (after.max_redemptions, after.description) == (10, "Longer")
    assert after.value == Decimal("10.00")  # frozen: not on the form
    assert "extend" in history_of(discount)[0].change_message


def test_an_edit_below_the_uses_already_redeemed_is_refused(actor):
    discount = DiscountFactory(max_redemptions=5, times_redeemed=3)

    response = actor.post(
        f"{CHANGELIST}{discount.pk}/change/", new_code(max_redemptions="2", reason="cut")
    )

    assert "max_redemptions" in response.context["adminform"].form.errors
    assert Discount.objects.get(pk=discount.pk).max_redemptions == 5


def test_deactivating_asks_why_and_reports_per_code(actor):
    live, off = DiscountFactory(), DiscountFactory(is_active=False)
    data = {"action": "deactivate", "_selected_action": [live.pk, off.pk]}

    page = actor.post(CHANGELIST, data)
    done = actor.post(CHANGELIST, {**data, "apply": "yes", "reason": "leaked"}, follow=True)

    assert "reason" in page.context["form"].fields
    assert not Discount.objects.get(pk=live.pk).is_active
    shown = [str(m) for m in done.context["messages"]]
    assert f"{live.code}: deactivated" in shown
    assert f"{off.code}: inactive already" in shown
    assert "leaked" in history_of(live)[0].change_message
    assert not history_of(off)


def test_a_codes_redemptions_are_shown_read_only(viewer):
    redemption = RedemptionFactory()

    page = viewer.get(f"{CHANGELIST}{redemption.discount.pk}/change/")

    assert str(redemption.cart_id) in page.content.decode()


def test_a_much_used_codes_page_shows_its_latest_uses_and_leads_to_all_of_them(viewer, actor):
    discount = DiscountFactory(max_redemptions=None)
    start = timezone.now() - timedelta(days=1)
    uses = [
        RedemptionFactory(discount=discount, created_at=start + timedelta(minutes=n))
        for n in range(LATEST_REDEMPTIONS + 5)
    ]
    RedemptionFactory()  # another code's

    page = viewer.get(f"{CHANGELIST}{discount.pk}/change/")
    html = page.content.decode()

    shown = [str(use.cart_id) for use in uses if str(use.cart_id) in html]
    assert shown == [str(use.cart_id) for use in uses[-LATEST_REDEMPTIONS:]]
    assert f"{LATEST_REDEMPTIONS + 5} (<a href" in html
    link = re.search(r'href="(/admin/discounts/redemption/\?q=[^"]+)"', html).group(1)
    every = viewer.get(link.replace("&amp;", "&"))
    assert every.status_code == 200
    assert every.context["cl"].result_count == LATEST_REDEMPTIONS + 5

    # and the page still saves: the formset reads the same slice the page showed
    form = new_code(description="Busy", reason="a new description")
    form.update(
        {
            "redemptions-TOTAL_FORMS": str(LATEST_REDEMPTIONS),
            "redemptions-INITIAL_FORMS": str(LATEST_REDEMPTIONS),
        }
    )
    for n, use in enumerate(reversed(uses[-LATEST_REDEMPTIONS:])):
        form[f"redemptions-{n}-id"] = str(use.pk)
        form[f"redemptions-{n}-discount"] = str(discount.pk)
    saved = actor.post(f"{CHANGELIST}{discount.pk}/change/", form)
    assert saved.status_code == 302, saved.context and saved.context["adminform"].form.errors
    assert Discount.objects.get(pk=discount.pk).description == "Busy"


def test_the_read_only_group_cannot_create_or_deactivate(viewer):
    live = DiscountFactory()

    assert viewer.get(f"{CHANGELIST}add/").status_code == 403
    viewer.post(
        CHANGELIST,
        {"action": "deactivate", "_selected_action": [live.pk], "apply": "yes", "reason": "x"},
    )

    assert Discount.objects.get(pk=live.pk).is_active


def test_nobody_deletes_a_code(superuser):
    live = DiscountFactory()

    assert superuser.post(f"{CHANGELIST}{live.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Discount.objects.filter(pk=live.pk).exists()


def test_a_code_taken_by_a_promotions_issued_code_is_refused(actor):
    from discounts.models import IssuedCode

    promotion = DiscountFactory(fixed=True, single_use_codes=True, codes_issued=1)
    IssuedCode.objects.create(discount=promotion, code="SPRING10")

    response = actor.post(f"{CHANGELIST}add/", new_code())

    assert "code" in response.context["adminform"].form.errors
    assert Discount.objects.count() == 1


def test_a_promotions_rules_are_shown_on_its_page(viewer):
    promotion = DiscountFactory(fixed=True, minimum_subtotal=Decimal("50.00"), skus=["MUG-1"])

    page = viewer.get(f"{CHANGELIST}{promotion.pk}/change/").content.decode()

    assert "50.00" in page
    assert "MUG-1" in page


ISSUED = "/admin/discounts/issuedcode/"


def test_a_batch_of_codes_is_issued_with_a_reason_and_a_plain_code_refused(actor):
    from discounts.models import IssuedCode

    promotion, plain = DiscountFactory(promotion=True), DiscountFactory()
    data = {"action": "issue_codes", "_selected_action": [promotion.pk, plain.pk]}

    page = actor.post(CHANGELIST, data)
    done = actor.post(
        CHANGELIST,
        {**data, "apply": "yes", "count": "3", "code_prefix": "nl-", "reason": "newsletter"},
        follow=True,
    )

    assert {"count", "code_prefix", "reason"} <= set(page.context["form"].fields)
    codes = list(IssuedCode.objects.filter(discount=promotion).values_list("code", flat=True))
    assert len(codes) == 3
    assert all(c.startswith("NL-") and len(c) == 15 for c in codes)
    promotion.refresh_from_db()
    assert promotion.codes_issued == 3
    shown = [str(m) for m in done.context["messages"]]
    assert f"{promotion.code}: 3 codes issued (NL-; 3 in all)" in shown
    assert any(m.startswith(f"{plain.code}:") and "discount_not_single_use" in m for m in shown)
    assert "newsletter" in history_of(promotion)[0].change_message
    assert not IssuedCode.objects.filter(discount=plain).exists()


@pytest.mark.parametrize(("count", "prefix"), [("0", "NL-"), ("10001", "NL-"), ("3", "N L")])
def test_a_batch_out_of_bounds_is_refused_on_the_form(actor, count, prefix):
    from discounts.models import IssuedCode

    promotion = DiscountFactory(promotion=True)
    data = {"action": "issue_codes", "_selected_action": [promotion.pk], "apply": "yes"}

    page = actor.post(CHANGELIST, {**data, "count": count, "code_prefix": prefix, "reason": "x"})

    assert page.status_code == 200
    assert page.context["form"].errors
    assert not IssuedCode.objects.exists()


def test_the_read_only_group_cannot_issue_codes(viewer):
    from discounts.models import IssuedCode

    promotion = DiscountFactory(promotion=True)
    data = {"action": "issue_codes", "_selected_action": [promotion.pk]}

    viewer.post(CHANGELIST, {**data, "apply": "yes", "count": "3", "reason": "x"})

    assert not IssuedCode.objects.exists()


def test_a_promotions_codes_are_listed_used_or_not_with_the_cart(viewer):
    from tests.factories import IssuedCodeFactory

    promotion = DiscountFactory(code="NEWS", promotion=True)
    used, unused = IssuedCodeFactory(discount=promotion), IssuedCodeFactory(discount=promotion)
    redemption = RedemptionFactory(discount=promotion, issued_code=used)

    listed = viewer.get(ISSUED, {"used": "yes"}).context["cl"].result_list
    assert list(listed) == [used]
    assert list(viewer.get(ISSUED, {"used": "no"}).context["cl"].result_list) == [unused]
    found = viewer.get(ISSUED, {"q": str(redemption.cart_id)}).context["cl"].result_list
    assert list(found) == [used]
    assert str(redemption.cart_id) in viewer.get(ISSUED, {"used": "yes"}).content.decode()
    assert viewer.get(f"{ISSUED}add/").status_code == 403
