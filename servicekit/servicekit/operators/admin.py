"""Pieces of every service's admin, and the admin's history, all of it, for those who may
view it (both operator groups)."""

import json

from django import forms
from django.contrib import admin
from django.contrib.admin.models import LogEntry


class ReadOnlyAdminMixin:
    """Nobody adds, edits or deletes these rows here, superusers included: they change only
    through the service's own functions (the API, an action)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReasonFormMixin(forms.Form):
    """An admin form that asks why; ReasonInHistoryMixin keeps the answer in the history."""

    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Why: kept in the history with your name.",
    )


class ReasonInHistoryMixin:
    """A ModelAdmin whose add and change forms ask why (a ``ReasonFormMixin`` form): the
    history entry reads "Changed Ends at. Reason: ..." instead of Django's bare list."""

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)  # type: ignore[misc]
        said = LogEntry(change_message=json.dumps(message)).get_change_message()
        return f"{said} Reason: {form.cleaned_data['reason']}"


@admin.register(LogEntry)
class HistoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["action_time", "user", "content_type", "object_repr", "change_message"]
    list_filter = ["action_flag", "content_type", "user"]
    search_fields = ["object_repr", "object_id", "change_message"]
    date_hierarchy = "action_time"
