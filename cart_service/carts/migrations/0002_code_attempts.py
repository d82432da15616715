"""The shared counter of refused discount-code attempts (``carts.throttle``).

A table of its own, not a model: it is written only with one atomic upsert that
the ORM cannot express, and it must be shared by every worker and replica.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("carts", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE TABLE carts_code_attempts ("
                " bucket varchar(200) NOT NULL PRIMARY KEY,"
                " window_start bigint NOT NULL,"
                " hits integer NOT NULL)"
            ),
            reverse_sql="DROP TABLE carts_code_attempts",
        ),
    ]
