"""The payment rules, with no database access: the approval rule of the stand-in card
processor, the request fingerprint, and what to do with an Idempotency-Key's record."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from payments.models import Payment, Refund
from servicekit.money import format_money

# -- approval: a card with a fixed balance ------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str
    decline_code: str | None


def payment_outcome(*, amount: Decimal, limit: Decimal) -> Outcome:
    """Strictly below ``limit`` succeeds; at or above it is declined for insufficient funds."""
    if amount < limit:
        return Outcome(Payment.Status.SUCCEEDED, None)
    return Outcome(Payment.Status.DECLINED, Payment.DeclineCode.INSUFFICIENT_FUNDS)


@dataclass(frozen=True)
class RefundOutcome:
    status: str
    failure_code: str | None


def refund_outcome(*, amount: Decimal, failing: Decimal) -> RefundOutcome:
    """The stand-in processor refuses to give back exactly ``failing``: a refund that
    fails, deterministically, so consumers can test it (PAYMENT_REFUND_FAILING_AMOUNT)."""
    if amount == failing:
        return RefundOutcome(Refund.Status.FAILED, Refund.FailureCode.REFUND_DECLINED)
    return RefundOutcome(Refund.Status.SUCCEEDED, None)


# -- idempotency ------------------------------------------------------------------------

KEY_MAX_LENGTH = 255


def request_fingerprint(*, reference: str, amount: Decimal, currency: str) -> str:
    """SHA-256 of the canonical validated body: "10", 10 and "10.00" are the same request."""
    canonical = json.dumps(
        {"amount": format_money(amount), "currency": currency, "reference": reference},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def refund_fingerprint(
    *, payment_id: object, amount: Decimal | None, currency: str | None, reason: str
) -> str:
    """SHA-256 of a refund request: the payment, and the validated body as sent (an amount
    left out, meaning "all that is left", is another request than that amount given)."""
    canonical = json.dumps(
        {
            "operation": "refund",
            "payment": str(payment_id),
            "amount": None if amount is None else format_money(amount),
            "currency": currency,
            "reason": reason,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class KeyRecord:
    """What the decision needs to know of a stored key."""

    fingerprint: str
    completed: bool
    updated_at: datetime


class Decision(enum.Enum):
    CLAIM = "claim"  # no record: claim the key and charge
    REPLAY = "replay"  # same request already answered: return the stored response
    REUSED = "reused"  # the key was bound to a different request: 422
    IN_USE = "in_use"  # the same request is in flight: 409
    TAKE_OVER = "take_over"  # the in-flight claim is abandoned: take it and charge


def idempotency_decide(
    *, record: KeyRecord | None, fingerprint: str, now: datetime, lock_timeout: timedelta
) -> Decision:
    """Decide what a request with this fingerprint does about its key's record.

    A key is bound to the first valid request made with it, also while that request is
    in flight or after it was abandoned: a different body is always refused (422).
    """
    if record is None:
        return Decision.CLAIM
    if record.fingerprint != fingerprint:
        return Decision.REUSED
    if record.completed:
        return Decision.REPLAY
    if now - record.updated_at >= lock_timeout:
        return Decision.TAKE_OVER
    return Decision.IN_USE
