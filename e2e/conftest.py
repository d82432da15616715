"""The end-to-end stack: started here from processes, or given by the environment.

Process mode (default, what `make test` and `make e2e` use): a throwaway
PostgreSQL cluster with one database per service, the three services migrated
and run under gunicorn on free loopback ports, cart_service reaching
payment_service through a delaying proxy; everything stops afterwards, even
when a test fails.

Compose mode: set ``E2E_DISCOUNT_URL``, ``E2E_CART_URL`` and ``E2E_PAYMENT_URL``
(and the tokens if they are not the development ones) and the same tests run
against that stack; tests marked ``processes`` need to stop and slow services
and are deselected there.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from e2e.api_client import DiscountAdminClient, PaymentLedgerClient, StorefrontClient  # noqa: E402

TOKENS = {
    "DISCOUNT_ADMIN_TOKEN": os.environ.get("DISCOUNT_ADMIN_TOKEN", "dev-admin-token"),
    "DISCOUNT_SERVICE_TOKEN": os.environ.get(
        "DISCOUNT_SERVICE_TOKEN", "dev-discount-service-token"
    ),
    "PAYMENT_SERVICE_TOKEN": os.environ.get("PAYMENT_SERVICE_TOKEN", "dev-payment-service-token"),
    "CART_ADMIN_TOKEN": os.environ.get("CART_ADMIN_TOKEN", "dev-cart-admin-token"),
}
# Small downstream budgets keep the fault journeys quick; the rules are the same.
DOWNSTREAM = {
    "DOWNSTREAM_CONNECT_TIMEOUT": "0.5",
    "DOWNSTREAM_READ_TIMEOUT": "1.0",
    "DOWNSTREAM_RETRIES": "1",
    "DOWNSTREAM_BACKOFF": "0.1",
    "DOWNSTREAM_TIME_BUDGET": "3.0",
}
COMPOSE_MODE = bool(os.environ.get("E2E_CART_URL"))


def pytest_configure(config):
    config.addinivalue_line("markers", "processes: needs the process stack (stops/slows services)")


def pytest_collection_modifyitems(config, items):
    if COMPOSE_MODE:
        skip = pytest.mark.skip(reason="needs the process stack: it stops and slows services")
        for item in items:
            if item.get_closest_marker("processes"):
                item.add_marker(skip)


class ProcessStack:
    """The running system in process mode, with handles for the fault journeys."""

    def __init__(self, tmp: Path) -> None:
        from e2e.proxy import DelayingProxy
        from scripts.pgcluster import Cluster, free_port
        from scripts.stack import Stack

        self.cluster = Cluster(databases=("discount", "payment", "cart"))
        ports = {name: free_port() for name in ("discount", "payment", "cart")}
        self.proxy = DelayingProxy(("127.0.0.1", ports["payment"]))
        self.log_dir = tmp / "logs"
        self.stack = Stack(
            ports=ports,
            log_dir=self.log_dir,
            env={**TOKENS, "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "8"},
            service_env={
                "cart": {
                    **DOWNSTREAM,
                    "PAYMENT_SERVICE_URL": f"http://127.0.0.1:{self.proxy.port}",
                },
            },
        )

    def start(self) -> ProcessStack:
        self.cluster.start()
        self.stack.database_urls = {n: self.cluster.url(n) for n in ("discount", "payment", "cart")}
        self.proxy.start()
        self.stack.start()
        return self

    def stop(self) -> None:
        try:
            self.stack.stop()
        finally:
            self.proxy.stop()
            self.cluster.stop()

    def url(self, name: str) -> str:
        return self.stack.url(name)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}_service.log").read_text(errors="replace")


@pytest.fixture(scope="session")
def process_stack(tmp_path_factory):
    if COMPOSE_MODE:
        yield None
        return
    stack = ProcessStack(tmp_path_factory.mktemp("e2e"))
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def urls(process_stack) -> dict[str, str]:
    if COMPOSE_MODE:
        return {
            "discount": os.environ["E2E_DISCOUNT_URL"],
            "cart": os.environ["E2E_CART_URL"],
            "payment": os.environ["E2E_PAYMENT_URL"],
        }
    return {name: process_stack.url(name) for name in ("discount", "cart", "payment")}


@pytest.fixture
def stack(process_stack) -> ProcessStack:
    """The process stack, for journeys that stop or slow a service; restored afterwards."""
    assert process_stack is not None
    yield process_stack
    process_stack.proxy.delay = 0.0
    for name in ("discount", "payment", "cart"):
        if name not in process_stack.stack._procs:
            process_stack.stack.start(name, migrate=False)


@pytest.fixture
def storefront(urls) -> StorefrontClient:
    return StorefrontClient(urls["cart"])


@pytest.fixture
def discounts(urls) -> DiscountAdminClient:
    return DiscountAdminClient(urls["discount"], token=TOKENS["DISCOUNT_ADMIN_TOKEN"])


@pytest.fixture
def payments(urls) -> PaymentLedgerClient:
    return PaymentLedgerClient(urls["payment"], token=TOKENS["PAYMENT_SERVICE_TOKEN"])


@pytest.fixture
def new_code():
    """A discount code no other test uses (the stack is shared by the whole session)."""
    return lambda prefix="E2E": f"{prefix}-{uuid.uuid4().hex[:10].upper()}"
