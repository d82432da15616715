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
from servicekit import dbfaults

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
            self.guarded_pass()
            stop.wait(settings.CART_RECONCILE_INTERVAL)
        logger.info("reconciler stopped")

    def guarded_pass(self) -> None:
        """A pass of the loop: one that fails on the database is tried again next interval.

        An unavailable database (restarting, refusing connections, the connection dropped)
        is a normal outcome, like a provider that is down: one WARNING line. What the pass
        had claimed stays leased until CART_RECONCILE_LEASE runs out, so no other pass
        takes it meanwhile; whatever it had committed stays, and is finished from there.
        Its connection is discarded if it is broken, so the next pass reconnects.
        """
        try:
            self._pass()
        except DatabaseError as exc:
            if dbfaults.is_unavailable(exc):
                said = str(exc).strip().splitlines()
                logger.warning(
                    "reconcile pass stopped: the database is unavailable (%s); tried again in %ss",
                    said[0] if said else type(exc).__name__,
                    settings.CART_RECONCILE_INTERVAL,
                )
            else:
                logger.exception("reconcile pass failed on the database; next pass")
        finally:
            close_old_connections()

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
