from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from payments.domain import Decision, KeyRecord, idempotency_decide, request_fingerprint
from servicekit.money import parse_money

NOW = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)
TIMEOUT = timedelta(seconds=30)
FP = request_fingerprint(reference="cart:1", amount=Decimal("10.00"), currency="USD")
OTHER_FP = request_fingerprint(reference="cart:1", amount=Decimal("11.00"), currency="USD")


def _decide(record):
    return idempotency_decide(record=record, fingerprint=FP, now=NOW, lock_timeout=TIMEOUT)


# --- fingerprint -------------------------------------------------------------


@pytest.mark.parametrize("written", ["10", "10.0", "10.00", 10, Decimal("10.0"), " 10.00 "])
def test_fingerprint_is_the_same_however_the_amount_is_written(written):
    amount = parse_money(written)

    assert request_fingerprint(reference="cart:1", amount=amount, currency="USD") == FP


@pytest.mark.parametrize(
    "body",
    [
        {"reference": "cart:2", "amount": Decimal("10.00"), "currency": "USD"},
        {"reference": "cart:1", "amount": Decimal("10.01"), "currency": "USD"},
        {"reference": "cart:1", "amount": Decimal("10.00"), "currency": "EUR"},
    ],
)
def test_fingerprint_differs_when_any_field_differs(body):
    assert request_fingerprint(**body) != FP


def test_fingerprint_cannot_be_confused_by_separators_inside_fields():
    a = request_fingerprint(
        reference='cart:1","currency":"EUR', amount=Decimal("1"), currency="USD"
    )
    b = request_fingerprint(reference="cart:1", amount=Decimal("1"), currency="EUR")

    assert a != b


# --- decision ----------------------------------------------------------------


def test_unknown_key_is_claimed():
    assert _decide(None) is Decision.CLAIM


def test_completed_key_with_the_same_body_replays():
    record = KeyRecord(fingerprint=FP, completed=True, updated_at=NOW - timedelta(days=3))

    assert _decide(record) is Decision.REPLAY


def test_completed_key_with_a_different_body_is_reused():
    record = KeyRecord(fingerprint=OTHER_FP, completed=True, updated_at=NOW)

    assert _decide(record) is Decision.REUSED


def test_fresh_claim_with_the_same_body_is_in_use():
    record = KeyRecord(fingerprint=FP, completed=False, updated_at=NOW - timedelta(seconds=29))

    assert _decide(record) is Decision.IN_USE


@pytest.mark.parametrize("age", [timedelta(seconds=30), timedelta(seconds=31), timedelta(hours=5)])
def test_claim_as_old_as_the_lock_timeout_is_taken_over(age):
    record = KeyRecord(fingerprint=FP, completed=False, updated_at=NOW - age)

    assert _decide(record) is Decision.TAKE_OVER


@pytest.mark.parametrize("age", [timedelta(0), timedelta(hours=5)])
def test_claim_with_a_different_body_is_reused_whether_fresh_or_abandoned(age):
    record = KeyRecord(fingerprint=OTHER_FP, completed=False, updated_at=NOW - age)

    assert _decide(record) is Decision.REUSED
