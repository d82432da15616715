"""The two operator groups, from the service's settings.

- ``operators-read``: the view permission of every model of ``OPERATORS_APPS`` and of the
  admin's history (LogEntry). They look; they change nothing.
- ``operators-act``: the same, and ``OPERATORS_ACT_PERMISSIONS`` (the service's actions,
  e.g. ``carts.settle_cart``, or ``discounts.change_discount``).

Kept in step after every ``migrate`` (post_migrate) and by ``manage.py operator_groups``:
permissions a group should not have are taken away, so a settings change is the whole story.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

READ = "operators-read"
ACT = "operators-act"


def _permission(name: str) -> Permission:
    app_label, codename = name.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def group_permissions() -> dict[str, list[Permission]]:
    view = list(
        Permission.objects.filter(
            Q(content_type__app_label__in=settings.OPERATORS_APPS)
            | Q(content_type__app_label="admin", content_type__model="logentry"),
            codename__startswith="view_",
        )
    )
    act = [_permission(name) for name in settings.OPERATORS_ACT_PERMISSIONS]
    return {READ: view, ACT: view + act}


def sync_groups(**kwargs: object) -> dict[str, int]:
    """Create or update the groups; how many permissions each has."""
    sizes = {}
    for name, permissions in group_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
        sizes[name] = len(permissions)
    return sizes
