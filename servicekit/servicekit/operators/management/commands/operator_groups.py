from django.core.management.base import BaseCommand

from servicekit.operators.groups import sync_groups


class Command(BaseCommand):
    help = "Create or update the groups operators-read and operators-act (migrate does it too)."

    def handle(self, *args, **options):
        for name, size in sync_groups().items():
            self.stdout.write(f"{name}: {size} permissions")
