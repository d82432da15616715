"""The fake providers the checkout and reconciler tests share."""

import pytest

from tests.fakes import FakeDiscountClient, FakePaymentClient


@pytest.fixture
def discounts():
    client = FakeDiscountClient()
    client.add("SAVE10", "percent", "10.00")
    return client


@pytest.fixture
def payments():
    return FakePaymentClient()
