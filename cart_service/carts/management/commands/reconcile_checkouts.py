"""``manage.py reconcile_checkouts [--loop]``: see carts/reconciler.py."""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from carts.clients import discount, payment
from carts.reconciler import reconcile_pass

logger = logging.getLogger("carts.reconciler")


class Command(BaseCommand):
    help = (
        "Settle checkout attempts left unresolved and give back discount uses nobody needs: "
        "one pass, or with --loop a pass every CART_RECONCILE_INTERVAL seconds."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--loop", action="store_true", help="run passes until SIGTERM or SIGINT"
        )

    def handle(self, *args, loop: bool = False, **options) -> None:
        if not loop:
            self._pass()
            return
        if settings.CART_RECONCILER_METRICS_BIND:
            serve_metrics(settings.CART_RECONCILER_METRICS_BIND)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        logger.info(
            "reconciler started: attempts older than %ss, a pass every %ss",
            settings.CART_RECONCILE_AFTER,
            settings.CART_RECONCILE_INTERVAL,
        )
        while not stop.is_set():
            try:
                self._pass()
            except DatabaseError:
                # The database is a dependency like the providers: try again next pass.
                logger.exception("reconcile pass failed on the database; next pass")
            close_old_connections()
            stop.wait(settings.CART_RECONCILE_INTERVAL)
        logger.info("reconciler stopped")

    def _pass(self) -> None:
        reconcile_pass(
            discount_client=discount.from_settings(), payment_client=payment.from_settings()
        )


def serve_metrics(bind: str) -> None:
    """The reconciler's counters at http://host:port/ (a thread of this process)."""
    from prometheus_client import start_http_server

    host, _, port = bind.rpartition(":")
    start_http_server(int(port), addr=host.strip("[]") or "127.0.0.1")
    logger.info("reconciler metrics at http://%s/metrics", bind)
