"""Payment keys not guessable from a cart's id (issue 23, finding 6).

Carts made before this keep an empty secret, so an attempt in flight across the deploy
keeps the key it was charged under; new carts get a random one (``new_key_secret``).
"""

from django.db import migrations, models

import carts.models


class Migration(migrations.Migration):
    dependencies = [("carts", "0006_throttle_counts")]

    operations = [
        migrations.AddField(
            model_name="cart",
            name="payment_key_secret",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AlterField(
            model_name="cart",
            name="payment_key_secret",
            field=models.CharField(blank=True, default=carts.models.new_key_secret, max_length=32),
        ),
    ]
