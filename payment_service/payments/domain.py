"""The payment rules, with no database access: the approval rule of the stand-in card
processor, the request fingerprint, and what to do with an Idempotency-Key's record."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from payments.models import Payment
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
