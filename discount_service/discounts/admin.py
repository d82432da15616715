"""The operators' console for discount codes (Django's admin; servicekit.operators).

Codes are created and changed only through discounts.services (discount_create,
discount_update), after the rules of discounts.domain, so the admin keeps every rule the
API keeps; every change is in the history with the operator and the reason. Redemptions
are read-only: carts redeem and release them through the API.

A promotion's rules are shown on its page (set when it is made, through the API: frozen
after); a single-use promotion issues batches of codes by an action (through
services.issued_codes_create, as POST …/codes/ does), and its codes are listed, used or not,
on the issued codes' page (read-only: carts redeem and release them).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import F, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from discounts import services
from discounts.domain import (
    CODE_RULE,
    MAX_BATCH,
    PREFIX_RULE,
    Status,
    Terms,
    is_valid_code,
    max_redemptions_error,
    normalise_code,
    normalise_prefix,
    prefix_error,
    terms_errors,
    window_error,
)
from discounts.models import Discount, IssuedCode, Redemption
from servicekit.operators.actions import Outcome, ReasonForm, with_reason
from servicekit.operators.admin import ReadOnlyAdminMixin, ReasonFormMixin, ReasonInHistoryMixin


def status_q(status: Status, now) -> Q:
    """The discounts whose computed status (discounts.domain.discount_status) is ``status``
    at ``now``, as a query: the same checks in the same order."""
    scheduled = Q(starts_at__gt=now)
    expired = ~scheduled & Q(ends_at__isnull=False, ends_at__lt=now)
    inactive = ~scheduled & ~expired & Q(is_active=False)
    exhausted = (
        ~scheduled
        & ~expired
        & Q(is_active=True, max_redemptions__isnull=False, times_redeemed__gte=F("max_redemptions"))
    )
    active = ~scheduled & ~expired & ~inactive & ~exhausted
    return {
        Status.SCHEDULED: scheduled,
        Status.EXPIRED: expired,
        Status.INACTIVE: inactive,
        Status.EXHAUSTED: exhausted,
        Status.ACTIVE: active,
    }[status]


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(status.value, status.value) for status in Status]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None or value not in set(Status):
            return queryset
        return queryset.filter(status_q(Status(value), timezone.now()))


# A code's fields as the add form shows them; what may change later: services.UPDATABLE_FIELDS.
TERMS = ("code", "description", "kind", "value", "currency")
WINDOW = ("starts_at", "ends_at", "max_redemptions", "is_active")
# A promotion's rules (issue 26), fixed at creation: shown on a code's page; made through the
# API until the promotions' own admin (a form of its own, the issued codes inline) joins here.
PROMOTION = ("minimum_subtotal", "minimum_items", "skus", "single_use_codes", "codes_issued")


class DiscountForm(ReasonFormMixin, forms.ModelForm):
    currency = forms.TypedChoiceField(
        choices=lambda: [("", "(none)")] + [(c, c) for c in settings.CURRENCIES],
        required=False,
        empty_value=None,
        help_text="Empty for percent; required for fixed.",
    )

    class Meta:
        model = Discount
        fields = [*TERMS, *WINDOW]

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not is_valid_code(code):
            raise forms.ValidationError(f"A code is {CODE_RULE}")
        if IssuedCode.objects.filter(code=code).exists():  # a promotion's (the form checks its own)
            raise forms.ValidationError("This code is taken by an issued code of a promotion.")
        return code

    def clean(self):
        data = super().clean() or {}
        if self.instance.pk is None:  # a new code: its terms, as the API checks them
            if {"kind", "value", "starts_at"} <= data.keys():
                errors = terms_errors(
                    Terms(
                        kind=data["kind"],
                        value=data["value"],
                        currency=data.get("currency"),
                        starts_at=data["starts_at"],
                        ends_at=data.get("ends_at"),
                    )
                )
                for field, messages in errors.items():
                    self.add_error(field if field in self.fields else None, messages)
        else:  # what may change (discount_update checks it again under the row lock)
            if error := window_error(self.instance.starts_at, data.get("ends_at")):
                self.add_error("ends_at", error)
            if error := max_redemptions_error(
                data.get("max_redemptions"), self.instance.times_redeemed
            ):
                self.add_error("max_redemptions", error)
        return data


# A code's page shows its latest redemptions; all of them are on the Redemptions page.
LATEST_REDEMPTIONS = 20


class LatestRedemptions(BaseInlineFormSet):
    """The latest LATEST_REDEMPTIONS only: a code used 100,000 times is one page, not
    100,000 rows (Django's formset reads, and keeps, this one slice for every use)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mine = self.queryset  # the code's redemptions: BaseInlineFormSet always sets it
        assert mine is not None
        self.queryset = mine.order_by("-created_at", "-id")[:LATEST_REDEMPTIONS]


class RedemptionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Redemption
    formset = LatestRedemptions
    verbose_name_plural = f"latest redemptions (at most {LATEST_REDEMPTIONS}; all: above)"
    extra = 0
    can_delete = False
    readonly_fields = ("cart_id", "created_at")
    fields = readonly_fields


@admin.register(Discount)
class DiscountAdmin(ReasonInHistoryMixin, admin.ModelAdmin):
    form = DiscountForm
    list_display = [
        "code",
        "status",
        "kind",
        "value",
        "currency",
        "times_redeemed",
        "max_redemptions",
        "starts_at",
        "ends_at",
        "is_active",
    ]
    list_filter = [StatusFilter, "kind", "is_active", "currency"]
    search_fields = ["code", "description"]
    date_hierarchy = "created_at"
    # Promotions' rules will be another inline here.
    inlines = [RedemptionInline]
    actions = ["deactivate", "issue_codes"]

    def get_fields(self, request, obj=None):
        shown = ("times_redeemed", "redemptions", "status", "created_at", *PROMOTION) if obj else ()
        return [*TERMS, *WINDOW, *shown, "reason"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        frozen = set(TERMS + WINDOW) - set(services.UPDATABLE_FIELDS)
        shown = ("times_redeemed", "redemptions", "status", "created_at", *PROMOTION)
        return (*sorted(frozen), *shown)

    @admin.display(description="redemptions")
    def redemptions(self, discount: Discount) -> str:
        """How many carts hold a use, and the way to every one of them."""
        held = discount.redemptions.count()
        url = (
            reverse("admin:discounts_redemption_changelist") + "?" + urlencode({"q": discount.code})
        )
        return format_html(
            '{} (<a href="{}">every one on the Redemptions page</a>)', f"{held:,}", url
        )

    @admin.display(description="status")
    def status(self, discount: Discount) -> str:
        return discount.status.value

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {f: data[f] for f in form.changed_data if f in services.UPDATABLE_FIELDS}
            saved = services.discount_update(code=obj.code, changes=changes)
        else:
            saved = services.discount_create(**{f: data.get(f) for f in TERMS + WINDOW})
        obj.pk, obj.code = saved.pk, saved.code  # what the history and the redirect name
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        """No many-to-many to save (the form never saved: the service did); the read-only
        redemptions' formset saves nothing, but records that for the history."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a code carts may hold is deactivated, never deleted

    @admin.action(description="Deactivate (carts can no longer apply it)", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Discount]):
        def deactivate(discount: Discount, data: dict) -> Outcome:
            if not discount.is_active:
                return Outcome("inactive already", changed=False)
            services.discount_update(code=discount.code, changes={"is_active": False})
            return Outcome("deactivated")

        return with_reason(self, request, queryset, title="Deactivate", perform=deactivate)

    @admin.action(description="Issue a batch of single-use codes", permissions=["change"])
    def issue_codes(self, request: HttpRequest, queryset: QuerySet[Discount]):
        def issue(discount: Discount, data: dict) -> Outcome:
            batch = services.issued_codes_create(
                code=discount.code, count=data["count"], prefix=data["code_prefix"]
            )
            made = len(batch.codes)
            return Outcome(
                f"{made:,} codes issued ({batch.prefix or 'no prefix'}; "
                f"{batch.discount.codes_issued:,} in all)"
            )

        return with_reason(
            self,
            request,
            queryset,
            title="Issue a batch of single-use codes",
            perform=issue,
            form_class=IssueCodesForm,
        )


class IssueCodesForm(ReasonForm):
    count = forms.IntegerField(min_value=1, max_value=MAX_BATCH, help_text=f"1 to {MAX_BATCH:,}.")
    # Not "prefix": a form's own attribute (its fields' name prefix).
    code_prefix = forms.CharField(
        label="Prefix", required=False, strip=False, help_text=f"Optional: {PREFIX_RULE}"
    )

    def clean_code_prefix(self) -> str:
        prefix = normalise_prefix(self.cleaned_data["code_prefix"])
        if error := prefix_error(prefix):
            raise forms.ValidationError(error)
        return prefix


class UsedFilter(admin.SimpleListFilter):
    title = "used"
    parameter_name = "used"

    def lookups(self, request, model_admin):
        return [("yes", "used"), ("no", "unused")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(redemption__isnull=self.value() == "no")
        return queryset


@admin.register(IssuedCode)
class IssuedCodeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A promotion's single-use codes: which are used, and by which cart (search by code,
    by the promotion's code, or by cart id)."""

    list_display = ["code", "discount", "used", "cart_id", "created_at"]
    list_filter = [UsedFilter]
    search_fields = ["=code", "=discount__code", "=redemption__cart_id"]
    list_select_related = ["discount", "redemption"]
    show_full_result_count = False  # a promotion may have hundreds of thousands

    @admin.display(boolean=True, description="used")
    def used(self, issued: IssuedCode) -> bool:
        return issued.redemption_or_none is not None

    @admin.display(description="cart")
    def cart_id(self, issued: IssuedCode):
        redemption = issued.redemption_or_none
        return redemption.cart_id if redemption else None


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Which carts hold a use of which code (search by cart id or code)."""

    list_display = ["discount", "cart_id", "created_at"]
    search_fields = ["=cart_id", "=discount__code"]
    list_select_related = ["discount"]
    date_hierarchy = "created_at"
