"""``manage.py purge_idempotency_keys``: forget Idempotency-Keys older than the retention."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from payments.models import IdempotencyKey

logger = logging.getLogger("payments.purge")


class Command(BaseCommand):
    help = (
        "Delete Idempotency-Keys created more than PAYMENT_IDEMPOTENCY_KEY_RETENTION seconds "
        "ago (at least 24 hours). The payments stay; a retry with a purged key is a new charge."
    )

    def handle(self, *args, **options) -> None:
        cutoff = timezone.now() - timedelta(seconds=settings.PAYMENT_IDEMPOTENCY_KEY_RETENTION)
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
        logger.info("purged %d idempotency keys created before %s", deleted, cutoff.isoformat())
