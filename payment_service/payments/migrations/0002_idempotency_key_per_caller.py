"""Idempotency keys scoped to the caller that sent them (issue 23, finding 6).

Every key stored so far was sent by the one role that may create payments, ``service``.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="idempotencykey",
            name="caller",
            field=models.CharField(default="service", max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="key",
            field=models.CharField(max_length=255),
        ),
        migrations.AddConstraint(
            model_name="idempotencykey",
            constraint=models.UniqueConstraint(
                fields=("caller", "key"), name="idempotency_key_per_caller"
            ),
        ),
    ]
