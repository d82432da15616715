"""The process stack: throwaway PostgreSQL, the services, a proxy that can hold answers back.

Used by the end-to-end fixture, chaos, the schema fuzzing and the load run (``e2e.load.run``).
"""

from __future__ import annotations

from pathlib import Path

from e2e.env import PRICE_MAX_AGE
from harness.pgcluster import Cluster, free_port
from harness.proxy import DelayingProxy
from harness.stack import CHECKOUT_SERVICES, SERVICES, Stack
from harness.tokens import TOKENS

# Small downstream budgets keep the fault journeys quick; the rules are the same.
DOWNSTREAM = {
    "DOWNSTREAM_CONNECT_TIMEOUT": "0.5",
    "DOWNSTREAM_READ_TIMEOUT": "1.0",
    "DOWNSTREAM_RETRIES": "1",
    "DOWNSTREAM_BACKOFF": "0.1",
    "DOWNSTREAM_TIME_BUDGET": "3.0",
}


class ProcessStack:
    """The running system in process mode, with handles for the fault journeys.

    ``reconcile`` (e.g. ``{"CART_RECONCILE_AFTER": "3", "CART_RECONCILE_INTERVAL": "1"}``)
    also runs cart_service's reconciler as a process, with those settings. ``env`` is
    added to every service's environment (e.g. the ``OTEL_*`` variables). ``durable``
    keeps PostgreSQL's durability on (a run that crashes it on purpose).
    """

    def __init__(
        self,
        tmp: Path,
        *,
        downstream: dict[str, str] | None = None,
        reconcile: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        durable: bool = False,
    ) -> None:
        self.cluster = Cluster(databases=CHECKOUT_SERVICES, durable=durable)
        ports = {name: free_port() for name in SERVICES}  # every service's URL is known
        self.proxy = DelayingProxy(("127.0.0.1", ports["payment"]))
        self.log_dir = tmp / "logs"
        self.stack = Stack(
            ports=ports,
            log_dir=self.log_dir,
            env={**TOKENS, "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "8", **(env or {})},
            service_env={
                "cart": {
                    **(DOWNSTREAM if downstream is None else downstream),
                    "PAYMENT_SERVICE_URL": f"http://127.0.0.1:{self.proxy.port}",
                    "CART_PRICE_MAX_AGE": str(PRICE_MAX_AGE),
                    **(reconcile or {}),
                },
            },
            reconciler=reconcile is not None,
        )

    def start(self) -> ProcessStack:
        self.cluster.start()
        self.stack.database_urls = {n: self.cluster.url(n) for n in CHECKOUT_SERVICES}
        self.proxy.start()
        self.stack.start()
        return self

    def stop(self) -> None:
        try:
            self.stack.stop()
        finally:
            self.proxy.stop()
            self.cluster.stop()

    @property
    def names(self) -> tuple[str, ...]:
        """The services it runs."""
        return self.stack.only

    def url(self, name: str) -> str:
        return self.stack.url(name)

    def log(self, name: str) -> str:
        return self.stack.log_path(name).read_text(errors="replace")
