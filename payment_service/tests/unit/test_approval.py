from decimal import Decimal

import pytest

from payments.domain import payment_outcome

LIMIT = Decimal("20.00")


@pytest.mark.parametrize("amount", ["0.01", "10.00", "19.99"])
def test_amount_below_the_limit_succeeds(amount):
    outcome = payment_outcome(amount=Decimal(amount), limit=LIMIT)

    assert outcome.status == "succeeded"
    assert outcome.decline_code is None


@pytest.mark.parametrize("amount", ["20.00", "20.01", "9999999999.99"])
def test_amount_at_or_above_the_limit_is_declined_for_insufficient_funds(amount):
    outcome = payment_outcome(amount=Decimal(amount), limit=LIMIT)

    assert outcome.status == "declined"
    assert outcome.decline_code == "insufficient_funds"


def test_the_limit_is_a_parameter_not_a_constant():
    assert payment_outcome(amount=Decimal("25.00"), limit=Decimal("100.00")).status == "succeeded"
    assert payment_outcome(amount=Decimal("5.00"), limit=Decimal("5.00")).status == "declined"
