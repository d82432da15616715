"""The throttle's counters serve every limit now (carts.throttle), not only refused codes.

The table keeps its rows (the code limits keep their bucket names); an index on the window
serves the cleanup of windows that ended.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("carts", "0005_redemption_held_at")]

    operations = [
        migrations.RunSQL(
            sql="ALTER TABLE carts_code_attempts RENAME TO carts_throttle_counts",
            reverse_sql="ALTER TABLE carts_throttle_counts RENAME TO carts_code_attempts",
        ),
        migrations.RunSQL(
            sql="CREATE INDEX carts_throttle_counts_window ON carts_throttle_counts (window_start)",
            reverse_sql="DROP INDEX carts_throttle_counts_window",
        ),
    ]
