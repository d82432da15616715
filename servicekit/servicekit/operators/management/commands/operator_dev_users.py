from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

from servicekit.operators.groups import ACT, READ, sync_groups
from servicekit.settings import is_production

# Documented in README.md (make run); refused in production, which has no default user.
DEV_PASSWORD = "dev-operator-password"
DEV_USERS = {"dev-admin": None, "dev-operator": ACT, "dev-viewer": READ}


class Command(BaseCommand):
    help = (
        "Development only: the users dev-admin (superuser), dev-operator (operators-act) and "
        "dev-viewer (operators-read), password dev-operator-password. Idempotent."
    )

    def handle(self, *args, **options):
        if is_production():
            raise CommandError("No development users in production: see createsuperuser.")
        sync_groups()
        for username, group in DEV_USERS.items():
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = True
            user.is_superuser = group is None
            user.set_password(DEV_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get(name=group)] if group else [])
        self.stdout.write(f"development users: {', '.join(DEV_USERS)} ({DEV_PASSWORD})")
