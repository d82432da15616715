from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OperatorsConfig(AppConfig):
    name = "servicekit.operators"
    label = "servicekit_operators"
    verbose_name = "Operators"

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib import admin

        from servicekit.operators.groups import sync_groups

        admin.site.site_header = f"{settings.SERVICE_NAME}: operators"
        admin.site.site_title = settings.SERVICE_NAME
        admin.site.index_title = "What an operator can see and do"
        # After every app's permissions exist (this app is installed last).
        post_migrate.connect(sync_groups, sender=self, dispatch_uid="servicekit-operator-groups")
