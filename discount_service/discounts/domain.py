"""Discount rules with no database: code normalisation, the terms of a discount, its status."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

# One rule for codes, written in servicekit and shared with cart_service.
from servicekit.codes import CODE_RULE, is_valid_code, normalise_code  # noqa: F401

MAX_PERCENT = Decimal("100")


class Kind(enum.StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


class Status(enum.StrEnum):
    SCHEDULED = "scheduled"
    EXPIRED = "expired"
    INACTIVE = "inactive"
    EXHAUSTED = "exhausted"
    ACTIVE = "active"


@dataclass(frozen=True)
class Terms:
    kind: str
    value: Decimal
    currency: str | None
    starts_at: datetime
    ends_at: datetime | None


def terms_errors(terms: Terms) -> dict[str, list[str]]:
    """The rules a discount's terms break, by field; empty when they hold."""
    errors: dict[str, list[str]] = {}
    if terms.kind == Kind.PERCENT:
        if not Decimal("0") < terms.value <= MAX_PERCENT:
            errors["value"] = ["A percent discount must be greater than 0 and at most 100."]
        if terms.currency is not None:
            errors["currency"] = ["A percent discount has no currency; send null or leave it out."]
    elif terms.kind == Kind.FIXED:
        if terms.value <= 0:
            errors["value"] = ["A fixed discount must be greater than 0.00."]
        if not terms.currency:
            errors["currency"] = ["A fixed discount needs a currency."]
    else:
        errors["kind"] = [f"Use one of {', '.join(k.value for k in Kind)}."]
    if (error := window_error(terms.starts_at, terms.ends_at)) is not None:
        errors["ends_at"] = [error]
    return errors


def window_error(starts_at: datetime, ends_at: datetime | None) -> str | None:
    if ends_at is not None and ends_at <= starts_at:
        return "Must be after starts_at."
    return None


def max_redemptions_error(max_redemptions: int | None, times_redeemed: int) -> str | None:
    if max_redemptions is not None and max_redemptions < times_redeemed:
        return f"Must be at least times_redeemed ({times_redeemed}) or null for unlimited."
    return None


def discount_status(
    *,
    starts_at: datetime,
    ends_at: datetime | None,
    is_active: bool,
    max_redemptions: int | None,
    times_redeemed: int,
    now: datetime,
) -> Status:
    """The computed status, checked in the order the API documents.

    The window is inclusive: a discount is usable at exactly ``starts_at`` and at
    exactly ``ends_at``; ``ends_at`` null means it never expires.
    """
    if now < starts_at:
        return Status.SCHEDULED
    if ends_at is not None and now > ends_at:
        return Status.EXPIRED
    if not is_active:
        return Status.INACTIVE
    if max_redemptions is not None and times_redeemed >= max_redemptions:
        return Status.EXHAUSTED
    return Status.ACTIVE
