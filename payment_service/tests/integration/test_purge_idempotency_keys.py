"""manage.py purge_idempotency_keys: keys older than the retention go, payments stay."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from payments.models import IdempotencyKey, Payment
from payments.serializers import render_payment
from payments.services import payment_create

pytestmark = pytest.mark.django_db
REQUEST = {"reference": "cart:1", "amount": Decimal("10.00"), "currency": "USD"}


def test_keys_older_than_the_retention_are_purged_and_younger_ones_replay(settings):
    payment_create(caller="service", idempotency_key="old", **REQUEST, render=render_payment)
    young = payment_create(
        caller="service", idempotency_key="young", **REQUEST, render=render_payment
    )
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now()
        - timedelta(seconds=settings.PAYMENT_IDEMPOTENCY_KEY_RETENTION + 60)
    )

    call_command("purge_idempotency_keys")

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]
    assert Payment.objects.count() == 2
    assert payment_create(
        caller="service", idempotency_key="young", **REQUEST, render=render_payment
    ) == (young.__class__(young.status, young.body, replayed=True))


def test_a_retention_below_24_hours_is_refused():
    import os
    import subprocess
    import sys
    from pathlib import Path

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PAYMENT_IDEMPOTENCY_KEY_RETENTION": "3600"},
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "at least 86400" in result.stderr
