"""Writes: creating and changing discounts, redeeming and releasing them.

Redemptions lock the discount's row (``select_for_update``) for the whole
decision, so under any concurrency a discount is never redeemed more than
``max_redemptions`` times, a cart holds at most one redemption of it, and
``times_redeemed`` always equals its number of redemptions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from discounts.domain import (
    Status,
    max_redemptions_error,
    normalise_code,
    window_error,
)
from discounts.errors import REFUSALS, DiscountCodeTaken, DiscountNotFound, InvalidDiscount
from discounts.metrics import REDEMPTIONS, RELEASES
from discounts.models import Discount, Redemption
from discounts.selectors import discount_locked
from servicekit.perf.db import CompiledLookup, create, update_where

UPDATABLE_FIELDS = ("description", "ends_at", "max_redemptions", "is_active")


@dataclass(frozen=True)
class RedeemResult:
    redemption: Redemption
    created: bool


def discount_create(
    *,
    code: str,
    kind: str,
    value: Decimal,
    currency: str | None = None,
    description: str = "",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    max_redemptions: int | None = None,
    is_active: bool = True,
) -> Discount:
    """Create a discount whose terms were validated; a taken code raises DiscountCodeTaken."""
    code = normalise_code(code)
    if Discount.objects.filter(code=code).exists():
        raise DiscountCodeTaken(f"The code {code!r} is taken.")
    try:
        # The unique index decides between two concurrent creates of one code.
        with transaction.atomic():
            return Discount.objects.create(
                code=code,
                kind=kind,
                value=value,
                currency=currency,
                description=description,
                starts_at=starts_at or timezone.now(),
                ends_at=ends_at,
                max_redemptions=max_redemptions,
                is_active=is_active,
            )
    except IntegrityError:
        if Discount.objects.filter(code=code).exists():
            raise DiscountCodeTaken(f"The code {code!r} is taken.") from None
        raise


def discount_update(*, code: str, changes: dict[str, Any]) -> Discount:
    """Apply ``changes`` (only UPDATABLE_FIELDS) checked against the locked, current row."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not updatable: {sorted(unknown)}")
    with transaction.atomic():
        discount = discount_locked(code=code)
        errors: dict[str, list[str]] = {}
        if "ends_at" in changes and (error := window_error(discount.starts_at, changes["ends_at"])):
            errors["ends_at"] = [error]
        if "max_redemptions" in changes and (
            error := max_redemptions_error(changes["max_redemptions"], discount.times_redeemed)
        ):
            errors["max_redemptions"] = [error]
        if errors:
            raise InvalidDiscount(errors)
        for field, value in changes.items():
            setattr(discount, field, value)
        if changes:
            discount.save(update_fields=list(changes))
    return discount


def discount_redeem(*, code: str, cart_id: uuid.UUID) -> RedeemResult:
    """Redeem the discount for a cart; a cart that already holds it gets its redemption back."""
    with transaction.atomic():
        discount = discount_locked(code=code)
        status = discount.status_at(timezone.now())
        held = next(iter(_held(discount.pk, cart_id)), None)
        # A cart that holds a use keeps it while the discount is exhausted (its own use
        # counts towards the limit), so retries stay idempotent; but a discount switched
        # off, ended or not started is granted to nobody, whoever held it before. The
        # held use is left for the cart to release: it may belong to an attempt that
        # began while the discount was usable.
        if held is not None and status in (Status.ACTIVE, Status.EXHAUSTED):
            REDEMPTIONS.labels("already_held").inc()
            return RedeemResult(redemption=held, created=False)
        if status != Status.ACTIVE:
            REDEMPTIONS.labels("refused").inc()
            raise REFUSALS[status](f"The discount {discount.code!r} is {status}.")
        redemption = create(Redemption, discount=discount, cart_id=cart_id)
        _count_redemptions(discount, +1)
    REDEMPTIONS.labels("created").inc()
    return RedeemResult(redemption=redemption, created=True)


# The cart's use of the discount, at most one row (unique per discount and cart): every
# redemption asks, so its SQL is compiled once (no ORDER BY to build).
_held = CompiledLookup(lambda: Redemption.objects.order_by(), "discount", "cart_id")


def _count_redemptions(discount: Discount, change: int) -> None:
    """``times_redeemed`` moved by ``change`` on the locked row (a compiled UPDATE).

    The row is locked (SELECT ... FOR UPDATE, or SQLite's IMMEDIATE transaction), so the
    count read with it is current; the WHERE clause holds it to that count all the same.
    """
    counted = update_where(
        Discount,
        {"pk": discount.pk, "times_redeemed": discount.times_redeemed},
        {"times_redeemed": discount.times_redeemed + change},
    )
    if counted != 1:
        raise DatabaseError(f"times_redeemed of {discount.code!r} changed under its lock")
    discount.times_redeemed += change


def discount_release(*, code: str, cart_id: uuid.UUID) -> bool:
    """Give the cart's use of the discount back; whether it held one.

    Idempotent: nothing held, or no such discount, is not an error.
    """
    with transaction.atomic():
        try:
            discount = discount_locked(code=code)
        except DiscountNotFound:
            RELEASES.labels("nothing_held").inc()
            return False
        deleted, _ = Redemption.objects.filter(discount=discount, cart_id=cart_id).delete()
        if deleted:
            _count_redemptions(discount, -1)
    RELEASES.labels("released" if deleted else "nothing_held").inc()
    return bool(deleted)
