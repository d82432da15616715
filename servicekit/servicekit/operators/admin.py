"""Pieces of every service's admin, and the admin's history, all of it, for those who may
view it (both operator groups)."""

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


@admin.register(LogEntry)
class HistoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["action_time", "user", "content_type", "object_repr", "change_message"]
    list_filter = ["action_flag", "content_type", "user"]
    search_fields = ["object_repr", "object_id", "change_message"]
    date_hierarchy = "action_time"
