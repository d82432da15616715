"""`make run` gives each service's console its documented development users, idempotently."""

from __future__ import annotations

from harness.stack import Stack

WHO = (
    "from django.contrib.auth.models import User; "
    "print(sorted((u.username, u.is_superuser, [g.name for g in u.groups.all()], "
    "u.check_password('dev-operator-password')) for u in User.objects.all()))"
)


def test_make_runs_migrate_creates_the_development_operators_once(tmp_path):
    stack = Stack(
        only=("discount",),
        database_urls={"discount": f"sqlite:///{tmp_path / 'discount.sqlite3'}"},
        dev_users=True,
    )

    stack.migrate("discount")
    stack.migrate("discount")  # make run again: the same users, not new ones
    who = stack.manage("discount", "shell", "-c", WHO, capture_output=True, text=True)

    assert who.stdout.strip().splitlines()[-1] == str(
        [
            ("dev-admin", True, [], True),
            ("dev-operator", False, ["operators-act"], True),
            ("dev-viewer", False, ["operators-read"], True),
        ]
    )
