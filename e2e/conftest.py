"""The end-to-end stack: started here from processes, or given by the environment.

Process mode (default, what `make test` and `make e2e` use): a throwaway
PostgreSQL cluster with one database per service, the three services migrated
and run under gunicorn on free loopback ports, cart_service reaching
payment_service through a proxy that can hold its answers back; everything stops afterwards, even
when a test fails.

Compose mode: set ``E2E_DISCOUNT_URL``, ``E2E_CART_URL`` and ``E2E_PAYMENT_URL``
(and the tokens if they are not the development ones) and the same tests run
against that stack; tests marked ``processes`` need to stop and slow services
and are deselected there.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid

import pytest

from e2e.env import COMPOSE_MODE
from harness.api_client import (
    ApiError,
    CartAdminClient,
    CatalogAdminClient,
    DiscountAdminClient,
    PaymentLedgerClient,
    StorefrontClient,
)
from harness.stack import CHECKOUT_SERVICES
from harness.tokens import TOKENS


def pytest_configure(config):
    config.addinivalue_line("markers", "processes: needs the process stack (stops/slows services)")


def pytest_collection_modifyitems(config, items):
    if COMPOSE_MODE:
        skip = pytest.mark.skip(reason="needs the process stack: it stops and slows services")
        for item in items:
            if item.get_closest_marker("processes"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def process_stack(tmp_path_factory):
    if COMPOSE_MODE:
        yield None
        return
    from e2e.process_stack import ProcessStack  # starts processes: not in compose mode

    stack = ProcessStack(tmp_path_factory.mktemp("e2e"))
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def urls(process_stack, pytestconfig) -> dict[str, str]:
    if COMPOSE_MODE:
        given = {name: os.environ[f"E2E_{name.upper()}_URL"] for name in CHECKOUT_SERVICES}
        waited = wait_until_serving(given)
        reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line(f"e2e: the compose stack served a checkout after {waited:.1f}s")
        return given
    return {name: process_stack.url(name) for name in process_stack.names}


def wait_until_serving(urls: dict[str, str], budget: float = 90.0) -> float:
    """Compose mode: the runner starts when the healthchecks pass, but a container that
    has just joined the network may not resolve the services' names yet, and request
    timeouts do not cover name lookups. Wait, within a budget, until one real checkout
    crosses all three services, so the journeys measure the system and not its warm-up.
    """
    deadline = time.monotonic() + budget
    started, last = time.monotonic(), None
    storefront = StorefrontClient(urls["cart"], timeout=(2.0, 5.0))
    catalog = CatalogAdminClient(
        urls["catalog"], token=TOKENS["CATALOG_ADMIN_TOKEN"], timeout=(2.0, 5.0)
    )
    warm_up = f"WARMUP-{uuid.uuid4().hex[:8].upper()}"
    while time.monotonic() < deadline:
        try:
            with contextlib.suppress(ApiError):  # made by an earlier try
                catalog.create(warm_up, "Warm-up", {"USD": "1.00"})
            cart = storefront.create_cart("USD", items=[{"sku": warm_up, "quantity": 1}])
            if storefront.checkout(cart["id"])["payment_status"] == "paid":
                return time.monotonic() - started
        except (ApiError, OSError) as exc:  # requests' errors are OSErrors
            last = exc
        time.sleep(1.0)
    pytest.exit(f"the compose stack did not serve a checkout within {budget}s: {last!r}", 3)


@pytest.fixture
def stack(process_stack):
    """The process stack, for journeys that stop or slow a service; restored afterwards."""
    assert process_stack is not None
    yield process_stack
    process_stack.proxy.release_all()
    for name in process_stack.names:
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
    return PaymentLedgerClient(urls["payment"], token=TOKENS["PAYMENT_LEDGER_TOKEN"])


@pytest.fixture
def cart_admin(urls) -> CartAdminClient:
    """An operator's client of cart_service (the cart admin token): cancels and refunds."""
    return CartAdminClient(urls["cart"], token=TOKENS["CART_ADMIN_TOKEN"])


@pytest.fixture
def catalog(urls) -> CatalogAdminClient:
    return CatalogAdminClient(urls["catalog"], token=TOKENS["CATALOG_ADMIN_TOKEN"])


@pytest.fixture
def product(catalog):
    """Put a product on sale; the item a storefront sends for it: ``{"sku", "quantity"}``.

    ``product("5.00")`` is a new product at 5.00 in USD and EUR (the stack is shared by the
    whole session: every product is its own); ``prices={...}`` for others.
    """

    def put_on_sale(price=None, *, quantity=1, prices=None, name="E2E product", prefix="E2E"):
        sku = f"{prefix}-{uuid.uuid4().hex[:10].upper()}"
        catalog.create(sku, name, prices or {"USD": price, "EUR": price})
        return {"sku": sku, "quantity": quantity}

    return put_on_sale


@pytest.fixture
def new_code():
    """A discount code no other test uses (the stack is shared by the whole session)."""
    return lambda prefix="E2E": f"{prefix}-{uuid.uuid4().hex[:10].upper()}"
