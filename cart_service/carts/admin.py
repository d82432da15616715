"""The operators' console for carts (Django's admin; servicekit.operators).

Everything is read-only: an operator changes a cart only through the actions below, which
call the same functions as the API and the reconciler (carts.reconciler.settle_carts,
carts.holds, carts.refunds), each gated by a permission of the group operators-act, each
reported per cart and kept in the cart's history with the operator and the reason.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from carts import holds, reconciler, refunds, states
from carts.clients import discount, payment
from carts.models import Cart, CartItem, CartRefund, OwedRelease
from servicekit.operators.actions import Outcome, ReasonForm, act_on_rows, with_reason
from servicekit.operators.admin import ReadOnlyAdminMixin

# The states an operator looks for, each a named Q of carts.states.
STATES = {
    "held": ("held for an operator (payment_mismatch)", states.HELD_FOR_OPERATOR),
    "unresolved": ("checkout awaiting the reconciler", states.UNRESOLVED),
    "redeeming": ("redeeming, or stopped at the redeem step", states.MAY_HOLD_UNNEEDED_USE),
    "uses_owed": ("uses owed back to discount_service", states.USES_OWED),
    "refunding": ("refund being settled", states.REFUNDING),
    "open": ("open (editable)", states.EDITABLE),
    "paid": ("paid", states.PAID),
    "failed": ("failed", states.FAILED),
    "cancelled": ("cancelled", states.CANCELLED),
}


def state_of(cart: Cart) -> str:
    if states.is_held_for_operator(cart):
        return f"held ({cart.checkout_problem})"
    if states.is_unresolved(cart):
        return "awaiting the reconciler"
    if states.is_cancelled(cart):
        return "cancelled"
    if states.is_paid(cart):
        return "paid, partly refunded" if cart.amount_refunded else "paid"
    if states.may_hold_unneeded_use(cart):
        return "redeeming"
    return str(cart.payment_status)


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in STATES.items()]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None or value not in STATES:
            return queryset
        return queryset.filter(STATES[value][1]).distinct()


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False


class ItemInline(ReadOnlyInline):
    model = CartItem
    readonly_fields = ("sku", "name", "unit_price", "quantity", "line_total", "created_at")
    fields = readonly_fields


class RefundInline(ReadOnlyInline):
    model = CartRefund
    readonly_fields = (
        "number",
        "kind",
        "amount",
        "status",
        "reason",
        "payment_refund_id",
        "failure_code",
        "started_at",
        "settled_at",
    )
    fields = readonly_fields


class OwedReleaseInline(ReadOnlyInline):
    model = OwedRelease
    verbose_name_plural = "uses owed back to discount_service"
    readonly_fields = ("code", "created_at", "claimed_until", "generation")
    fields = readonly_fields


class ReleaseHoldForm(ReasonForm):
    outcome = forms.ChoiceField(
        label="What you did at payment_service",
        widget=forms.RadioSelect,
        choices=[
            (holds.HoldOutcome.ACCEPTED.value, "Accepted the payment: the cart is paid with it"),
            (
                holds.HoldOutcome.REFUNDED.value,
                "Refunded the payment in full: the cart is failed, its code's use given back",
            ),
        ],
    )
    field_order = ["outcome", "reason"]


class RefundForm(ReasonForm):
    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="Given back of each chosen cart's payment, in the cart's currency.",
    )
    field_order = ["amount", "reason"]


ATTEMPT_FIELDS = (
    "checkout_attempt",
    "attempt_unresolved",
    "attempt_started_at",
    "checkout_problem",
    "reconcile_claimed_until",
    "last_payment_id",
    "last_payment_status",
    "last_payment_decline_code",
    "prices_checked_at",
)
DISCOUNT_FIELDS = (
    "discount_code",
    "discount_kind",
    "discount_value",
    "discount_currency",
    "redemption_held",
    "redemption_held_at",
    "releases_owed",
)
# What settle_carts reports when it changed nothing.
SETTLED_NOTHING = {"nothing_to_settle", "busy", "unresolved", "refund_unresolved"}


@admin.register(Cart)
class CartAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "state",
        "currency",
        "total",
        "discount_code",
        "checkout_attempt",
        "last_payment_id",
        "amount_refunded",
        "updated_at",
    ]
    list_filter = [StateFilter, "currency", "payment_status"]
    search_fields = ["discount_code", "last_payment_id"]
    date_hierarchy = "created_at"
    inlines = [ItemInline, RefundInline, OwedReleaseInline]
    actions = ["settle_now", "release_hold", "cancel", "refund"]
    # payment_key_secret is never shown: it completes every payment key of the cart.
    fieldsets = [
        (None, {"fields": ["id", "state", "currency", "payment_status", "total"]}),
        ("Checkout attempt", {"fields": ATTEMPT_FIELDS}),
        ("Discount", {"fields": DISCOUNT_FIELDS}),
        ("Refunds", {"fields": ["amount_refunded"]}),
        ("Times", {"fields": ["created_at", "updated_at"]}),
    ]
    readonly_fields = [
        "id",
        "state",
        "currency",
        "payment_status",
        "total",
        *ATTEMPT_FIELDS,
        *DISCOUNT_FIELDS,
        "amount_refunded",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("items")

    def get_search_results(self, request, queryset, search_term):
        """A cart's id finds the cart (the id is what the logs and the shopper quote)."""
        try:
            return queryset.filter(pk=uuid.UUID(search_term.strip())), False
        except ValueError:
            return super().get_search_results(request, queryset, search_term)

    @admin.display(description="state")
    def state(self, cart: Cart) -> str:
        return state_of(cart)

    @admin.display(description="total")
    def total(self, cart: Cart) -> Decimal:
        return cart.totals().total

    # -- nobody adds, edits or deletes a cart here (ReadOnlyAdminMixin): the actions go
    # through the services, each with its own permission.

    def has_settle_permission(self, request) -> bool:
        return request.user.has_perm("carts.settle_cart")

    def has_release_hold_permission(self, request) -> bool:
        return request.user.has_perm("carts.release_hold")

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("carts.refund_cart")

    # -- the actions ----------------------------------------------------------------------

    @admin.action(description="Settle now (the reconciler's logic)", permissions=["settle"])
    def settle_now(self, request: HttpRequest, queryset: QuerySet[Cart]) -> None:
        carts = list(queryset)
        done = reconciler.settle_carts(
            cart_ids=[cart.pk for cart in carts],
            discount_client=discount.from_settings(),
            payment_client=payment.from_settings(),
        )

        def settled(cart: Cart) -> Outcome:
            what = done[cart.pk]
            return Outcome(f"settle now: {what}", changed=what not in SETTLED_NOTHING)

        act_on_rows(self, request, carts, settled)

    @admin.action(
        description="Release the hold (after settling the payment)", permissions=["release_hold"]
    )
    def release_hold(self, request: HttpRequest, queryset: QuerySet[Cart]):
        def release(cart: Cart, data: dict) -> Outcome:
            outcome = holds.HoldOutcome(data["outcome"])
            result = holds.cart_release_hold(
                cart_id=cart.pk,
                outcome=outcome,
                reason=data["reason"],
                operator=request.user.get_username(),
                discount_client=discount.from_settings(),
            )
            if not result.released:
                return Outcome("not held: nothing to release", changed=False)
            return Outcome(f"hold released, payment {outcome.value}: now {state_of(result.cart)}")

        return with_reason(
            self,
            request,
            queryset,
            title="Release the hold",
            perform=release,
            form_class=ReleaseHoldForm,
        )

    @admin.action(description="Cancel (refund all that is left)", permissions=["refund"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Cart]):
        def cancel(cart: Cart, data: dict) -> Outcome:
            if states.is_cancelled(cart):
                return Outcome("cancelled already: nothing more refunded", changed=False)
            done = refunds.cart_cancel(
                cart_id=cart.pk,
                reason=data["reason"],
                payment_client=payment.from_settings(),
                discount_client=discount.from_settings(),
            )
            return Outcome(f"cancelled: {done.amount_refunded} {done.currency} refunded in all")

        return with_reason(self, request, queryset, title="Cancel", perform=cancel)

    @admin.action(description="Refund an amount", permissions=["refund"])
    def refund(self, request: HttpRequest, queryset: QuerySet[Cart]):
        def refund(cart: Cart, data: dict) -> Outcome:
            done = refunds.cart_refund(
                cart_id=cart.pk,
                amount=data["amount"],
                reason=data["reason"],
                payment_client=payment.from_settings(),
                discount_client=discount.from_settings(),
            )
            made = done.refund
            return Outcome(f"refund {made.number} of {made.amount} {cart.currency}: {made.status}")

        return with_reason(
            self, request, queryset, title="Refund", perform=refund, form_class=RefundForm
        )
