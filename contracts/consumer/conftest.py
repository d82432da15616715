"""One Pact object per test; each test's interaction is merged into pacts/ afterwards.

`make pacts` empties pacts/ first, so a renamed or removed interaction cannot
linger (write_file merges into an existing file).
"""

from __future__ import annotations

import pytest
from pact import Pact

from contracts.common import PACTS_DIR


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _pact_fixture(consumer: str, provider: str, specification: str = "V4"):
    @pytest.fixture
    def fixture(request):
        pact = Pact(consumer, provider).with_specification(specification)
        yield pact
        # Only a test that passed contributes its interaction to the contract.
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.passed:
            pact.write_file(PACTS_DIR, overwrite=False)

    return fixture


discount_pact = _pact_fixture("cart_service", "discount_service")
payment_pact = _pact_fixture("cart_service", "payment_service")
catalog_pact = _pact_fixture("cart_service", "catalog_service")
storefront_pact = _pact_fixture("storefront", "cart_service")
# The admin console writes V3 pacts on purpose: the providers must verify either spec.
admin_discount_pact = _pact_fixture("admin_console", "discount_service", "V3")
admin_cart_pact = _pact_fixture("admin_console", "cart_service", "V3")
admin_payment_pact = _pact_fixture("admin_console", "payment_service", "V3")
admin_catalog_pact = _pact_fixture("admin_console", "catalog_service", "V3")
