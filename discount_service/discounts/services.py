"""Writes: creating and changing discounts, issuing a promotion's codes, redeeming and
releasing them.

Redemptions lock the discount's row (``select_for_update``) for the whole
decision, through whichever of its codes they come, so under any concurrency a
discount is never redeemed more than ``max_redemptions`` times (a promotion's: across
all its codes), a cart holds at most one redemption of it, an issued code is held by
one cart at most, and ``times_redeemed`` always equals its number of redemptions.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from discounts.domain import (
    Cart,
    issued_code,
    max_redemptions_error,
    normalise_code,
    refusal,
    window_error,
)
from discounts.errors import (
    DiscountCodeTaken,
    DiscountNotFound,
    DiscountNotSingleUse,
    InvalidDiscount,
    refused,
)
from discounts.metrics import CODES_ISSUED, REDEMPTIONS, RELEASES
from discounts.models import Discount, IssuedCode, Redemption
from discounts.selectors import code_locked, discount_locked
from servicekit.perf.db import CompiledLookup, create, save_fields, update_where

UPDATABLE_FIELDS = ("description", "ends_at", "max_redemptions", "is_active")


@dataclass(frozen=True)
class RedeemResult:
    redemption: Redemption
    created: bool


@dataclass(frozen=True)
class IssuedBatch:
    discount: Discount
    prefix: str
    codes: list[str]

    @property
    def count(self) -> int:
        return len(self.codes)


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
    minimum_subtotal: Decimal | None = None,
    minimum_items: int | None = None,
    skus: list[str] | None = None,
    single_use_codes: bool = False,
) -> Discount:
    """Create a discount whose terms were validated; a code taken (by a discount or an issued
    code) raises DiscountCodeTaken."""
    code = normalise_code(code)
    if _taken([code]):
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
                minimum_subtotal=minimum_subtotal,
                minimum_items=minimum_items,
                skus=skus,
                single_use_codes=single_use_codes,
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


def discount_redeem(*, code: str, cart_id: uuid.UUID, cart: Cart | None = None) -> RedeemResult:
    """Redeem a code for a cart, checking its rules against ``cart``; a cart that already holds
    the use gets its redemption back, and one holding another code of the promotion moves
    its use to this one."""
    with transaction.atomic():
        discount = code_locked(code=code)
        issued = discount.issued
        held = next(iter(_held(discount.pk, cart_id)), None)
        holder = held if held is not None and held.issued_code_id == _pk(issued) else None
        if issued is not None and holder is None:
            holder = next(iter(_holder(issued.pk)), None)
        # A cart that holds a use keeps it while the discount is exhausted (its own use
        # counts towards the limit), so retries stay idempotent; but a discount switched
        # off, ended or not started, or a cart that does not meet the rules now, is granted
        # nothing, whoever held it before. The held use is left for the cart to release: it
        # may belong to an attempt that began while the discount was usable.
        problem = refusal(
            code=discount.shown_code,
            status=discount.status_at(timezone.now()),
            used_by_another=holder is not None and holder.cart_id != cart_id,
            holds_use=held is not None,
            rules=discount.rules,
            cart=cart,
        )
        if problem is not None:
            REDEMPTIONS.labels("refused").inc()
            raise refused(problem)
        if held is not None:
            held.discount, held.issued_code = discount, issued
            if held is holder:
                REDEMPTIONS.labels("already_held").inc()
                return RedeemResult(redemption=held, created=False)
            # The cart holds another code of the promotion: the use moves to this one (the
            # other is free again), still one use of the promotion.
            held.created_at = timezone.now()
            save_fields(held, ["issued_code", "created_at"])
            REDEMPTIONS.labels("moved").inc()
            return RedeemResult(redemption=held, created=True)
        redemption = create(Redemption, discount=discount, cart_id=cart_id, issued_code=issued)
        _count_redemptions(discount, +1)
    REDEMPTIONS.labels("created").inc()
    return RedeemResult(redemption=redemption, created=True)


def _pk(issued: IssuedCode | None) -> int | None:
    return None if issued is None else issued.pk


# The cart's use of the discount, at most one row (unique per discount and cart): every
# redemption asks, so its SQL is compiled once (no ORDER BY to build).
_held = CompiledLookup(lambda: Redemption.objects.order_by(), "discount", "cart_id")
# Who holds an issued code, if anyone (at most one row: the column is unique).
_holder = CompiledLookup(lambda: Redemption.objects.order_by(), "issued_code")


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
    """Give back the cart's use of the discount taken through this code; whether it held one.

    Idempotent: nothing held, or no such code, is not an error.
    """
    with transaction.atomic():
        try:
            discount = code_locked(code=code)
        except DiscountNotFound:
            RELEASES.labels("nothing_held").inc()
            return False
        deleted, _ = Redemption.objects.filter(
            discount=discount, cart_id=cart_id, issued_code=discount.issued
        ).delete()
        if deleted:
            _count_redemptions(discount, -1)
    RELEASES.labels("released" if deleted else "nothing_held").inc()
    return bool(deleted)


def issued_codes_create(*, code: str, count: int, prefix: str = "") -> IssuedBatch:
    """``count`` new codes of a single-use promotion, each ``prefix`` and 60 random bits, made
    in one transaction (all or none); none is any discount's or issued code's already."""
    for attempt in range(_DRAWS):
        try:
            with transaction.atomic():
                # Locked: batches of one promotion add to codes_issued one at a time.
                discount = discount_locked(code=code)
                if not discount.single_use_codes:
                    raise DiscountNotSingleUse(
                        f"{discount.code!r} is not a single_use_codes promotion: its own "
                        "code is redeemable, and it issues none."
                    )
                codes = _fresh_codes(prefix, count)
                now = timezone.now()
                IssuedCode.objects.bulk_create(
                    IssuedCode(discount=discount, code=issued, created_at=now) for issued in codes
                )
                Discount.objects.filter(pk=discount.pk).update(
                    codes_issued=F("codes_issued") + count
                )
                discount.codes_issued += count
        except IntegrityError:
            # Another batch committed one of these codes after they were drawn and checked
            # (60 random bits each: this is for correctness, not a case to expect).
            if attempt + 1 == _DRAWS:
                raise
            continue
        CODES_ISSUED.inc(count)
        return IssuedBatch(discount=discount, prefix=prefix, codes=codes)
    raise AssertionError("unreachable")  # pragma: no cover


_DRAWS = 3


def _fresh_codes(prefix: str, count: int) -> list[str]:
    """``count`` distinct new codes with ``prefix`` that no discount or issued code has."""
    codes: dict[str, None] = {}
    while len(codes) < count:
        drawn = {issued_code(prefix) for _ in range(count - len(codes))} - codes.keys()
        codes.update(dict.fromkeys(sorted(drawn - _taken(drawn))))
    return list(codes)


def _taken(codes: Collection[str]) -> set[str]:
    """Those of ``codes`` that a discount or an issued code has: a code names one thing."""
    taken: set[str] = set()
    listed = list(codes)
    # Bounded by the database's parameters per statement (SQLite: 999 by default).
    size = connection.features.max_query_params or len(listed) or 1
    for start in range(0, len(listed), size):
        chunk = listed[start : start + size]
        taken.update(Discount.objects.filter(code__in=chunk).values_list("code", flat=True))
        taken.update(IssuedCode.objects.filter(code__in=chunk).values_list("code", flat=True))
    return taken
