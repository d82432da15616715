"""The operators' console for payments: read-only for everyone, superusers included.

Money moves only through the API (a charge under its Idempotency-Key, a refund under its
own), so nothing here adds, changes or deletes a row (ReadOnlyAdminMixin overrides the
permission checks themselves, which superusers do not bypass).
"""

from __future__ import annotations

from django.contrib import admin

from payments.models import IdempotencyKey, Payment, Refund, masked_key
from servicekit.operators.admin import ReadOnlyAdminMixin


class RefundInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = ("id", "amount", "status", "failure_code", "reason", "created_at")
    fields = readonly_fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "reference",
        "amount",
        "currency",
        "status",
        "decline_code",
        "amount_refunded",
        "created_at",
    ]
    list_filter = ["status", "currency", "decline_code"]
    # "cart:<id>" finds a cart's payments (the reference cart_service sends).
    search_fields = ["=reference", "=id"]
    date_hierarchy = "created_at"
    inlines = [RefundInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "payment", "amount", "status", "failure_code", "reason", "created_at"]
    list_filter = ["status", "failure_code"]
    search_fields = ["=payment__reference", "=payment__id", "=id"]
    date_hierarchy = "created_at"


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key_shown", "caller", "state", "response_status", "payment", "updated_at"]
    list_filter = ["caller", "state", "response_status"]
    search_fields = ["=key"]  # the whole key only: no guessing by prefix
    date_hierarchy = "created_at"
    # Neither the stored response nor the claim token, nor the key's secret tail.
    fields = readonly_fields = (
        "key_shown",
        "caller",
        "state",
        "fingerprint",
        "response_status",
        "payment",
        "created_at",
        "updated_at",
    )

    @admin.display(description="key")
    def key_shown(self, row: IdempotencyKey) -> str:
        return masked_key(row.key)
