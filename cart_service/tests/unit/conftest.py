"""The fake providers the checkout and reconciler tests share."""

import pytest

from tests.fakes import FakeCatalogClient, FakeDiscountClient, FakePaymentClient


@pytest.fixture
def discounts():
    client = FakeDiscountClient()
    client.add("SAVE10", "percent", "10.00")
    return client


@pytest.fixture
def payments():
    return FakePaymentClient()


@pytest.fixture
def catalog():
    client = FakeCatalogClient()
    client.add("MUG-1", "Mug", {"USD": "7.50", "EUR": "6.90"})
    return client
