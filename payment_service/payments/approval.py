"""The approval rule of the stand-in card processor: a card with a fixed balance."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from payments.models import Payment


@dataclass(frozen=True)
class Outcome:
    status: str
    decline_code: str | None


def payment_outcome(*, amount: Decimal, limit: Decimal) -> Outcome:
    """Strictly below ``limit`` succeeds; at or above it is declined for insufficient funds."""
    if amount < limit:
        return Outcome(Payment.Status.SUCCEEDED, None)
    return Outcome(Payment.Status.DECLINED, Payment.DeclineCode.INSUFFICIENT_FUNDS)
