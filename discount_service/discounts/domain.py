"""Discount rules with no database: code normalisation, the terms of a discount, its status,
the promotion's rules checked against a cart, and issued codes."""

from __future__ import annotations

import enum
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

# One rule for codes, written in servicekit and shared with cart_service.
from servicekit.codes import CODE_RULE, is_valid_code, normalise_code  # noqa: F401
from servicekit.money import format_money
from servicekit.skus import SKU_RULE, is_valid_sku, normalise_sku

MAX_PERCENT = Decimal("100")
MAX_MINIMUM_ITEMS = 10_000
MAX_SKUS = 100


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
    minimum_subtotal: Decimal | None = None
    minimum_items: int | None = None


def terms_errors(terms: Terms) -> dict[str, list[str]]:
    """The rules a discount's terms break, by field; empty when they hold."""
    errors: dict[str, list[str]] = {}
    if terms.kind == Kind.PERCENT:
        if not Decimal("0") < terms.value <= MAX_PERCENT:
            errors["value"] = ["A percent discount must be greater than 0 and at most 100."]
        if terms.currency is not None and terms.minimum_subtotal is None:
            errors["currency"] = [
                "A percent discount has a currency only with a minimum_subtotal (the currency "
                "the minimum is counted in); send null or leave it out."
            ]
        elif terms.currency is None and terms.minimum_subtotal is not None:
            errors["currency"] = ["A minimum_subtotal is counted in a currency: name it."]
    elif terms.kind == Kind.FIXED:
        if terms.value <= 0:
            errors["value"] = ["A fixed discount must be greater than 0.00."]
        if not terms.currency:
            errors["currency"] = ["A fixed discount needs a currency."]
    else:
        errors["kind"] = [f"Use one of {', '.join(k.value for k in Kind)}."]
    if (error := window_error(terms.starts_at, terms.ends_at)) is not None:
        errors["ends_at"] = [error]
    if terms.minimum_subtotal is not None and terms.minimum_subtotal <= 0:
        errors["minimum_subtotal"] = ["Must be greater than 0.00."]
    if terms.minimum_items is not None and not 1 <= terms.minimum_items <= MAX_MINIMUM_ITEMS:
        errors["minimum_items"] = [f"Must be from 1 to {MAX_MINIMUM_ITEMS}."]
    return errors


def skus_rule(raw: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """A discount's ``skus`` normalised as the catalog keeps them, and what is wrong with them.

    1 to MAX_SKUS distinct skus (after normalisation), each one that can exist.
    """
    if not raw:
        return (), ["Name at least one sku, or send null for the whole cart."]
    if len(raw) > MAX_SKUS:
        return (), [f"At most {MAX_SKUS} skus."]
    skus = tuple(normalise_sku(sku) for sku in raw)
    errors = [f"{sku!r}: a sku is {SKU_RULE}" for sku in skus if not is_valid_sku(sku)]
    if repeated := sorted(sku for sku, times in Counter(skus).items() if times > 1):
        errors.append(f"Each sku once; repeated: {', '.join(repeated)}.")
    return skus, errors


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


def code_status(status: Status, *, used: bool) -> Status:
    """An issued code's status: its promotion's, or exhausted once a cart holds the code."""
    return Status.EXHAUSTED if used and status == Status.ACTIVE else status


# -- the promotion's rules, checked against a cart ------------------------------------------


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Cart:
    """What a cart tells discount_service: its currency and lines (skus normalised)."""

    currency: str
    lines: tuple[Line, ...]

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))

    @property
    def items_number(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class Rules:
    """What a discount asks of a cart. ``currency`` is the discount's (a fixed one's, or the
    one a percent discount's minimum is counted in); ``skus`` None means the whole cart."""

    currency: str | None
    minimum_subtotal: Decimal | None
    minimum_items: int | None
    skus: tuple[str, ...] | None

    @property
    def need_a_cart(self) -> bool:
        """Whether the discount may be granted only against a cart."""
        return (
            self.minimum_subtotal is not None
            or self.minimum_items is not None
            or self.skus is not None
        )


class Refusal(enum.StrEnum):
    """Why a code is not granted: its status, its own use, the request, or a rule."""

    NOT_STARTED = "not_started"
    EXPIRED = "expired"
    INACTIVE = "inactive"
    EXHAUSTED = "exhausted"
    CODE_USED = "code_used"
    CART_REQUIRED = "cart_required"
    CURRENCY = "currency"
    MINIMUM_SUBTOTAL = "minimum_subtotal"
    MINIMUM_ITEMS = "minimum_items"
    SKUS = "skus"


STATUS_REFUSALS = {
    Status.SCHEDULED: Refusal.NOT_STARTED,
    Status.EXPIRED: Refusal.EXPIRED,
    Status.INACTIVE: Refusal.INACTIVE,
    Status.EXHAUSTED: Refusal.EXHAUSTED,
}


@dataclass(frozen=True)
class Refused:
    """A refusal, what it says, and the facts a storefront acts on ("add 12.50 more"),
    as they go on the wire (money as strings)."""

    reason: Refusal
    detail: str
    facts: dict[str, object] = field(default_factory=dict)


def refusal(
    *,
    code: str,
    status: Status,
    used_by_another: bool,
    holds_use: bool,
    rules: Rules,
    cart: Cart | None,
) -> Refused | None:
    """Why ``code`` is not granted to a cart, or None when it is; the first check that fails.

    In order: the promotion's status (a cart that holds a use keeps it while the promotion
    is exhausted: its own use counts; nobody gets one that has not started, has ended or is
    switched off), the code's own use by another cart, a cart when a rule needs one, then
    the rules against the cart: currency, minimum subtotal, minimum items, skus.
    """
    if status in (Status.SCHEDULED, Status.EXPIRED, Status.INACTIVE):
        return Refused(STATUS_REFUSALS[status], f"The discount {code!r} is {status}.")
    if used_by_another:
        return Refused(Refusal.CODE_USED, f"The code {code!r} has been used by another cart.")
    if status == Status.EXHAUSTED and not holds_use:
        return Refused(Refusal.EXHAUSTED, f"The discount {code!r} is {status}.")
    if cart is None:
        if rules.need_a_cart:
            return Refused(
                Refusal.CART_REQUIRED,
                f"The discount {code!r} has rules a cart must meet: send the cart.",
            )
        return None
    return unmet_rule(rules, cart)


def unmet_rule(rules: Rules, cart: Cart) -> Refused | None:
    """The first of the discount's rules the cart does not meet, or None."""
    if rules.currency is not None and cart.currency != rules.currency:
        return Refused(
            Refusal.CURRENCY,
            f"The discount is for carts in {rules.currency}, not {cart.currency}.",
            {"currency": rules.currency},
        )
    if rules.minimum_subtotal is not None and cart.subtotal < rules.minimum_subtotal:
        minimum, missing = rules.minimum_subtotal, rules.minimum_subtotal - cart.subtotal
        return Refused(
            Refusal.MINIMUM_SUBTOTAL,
            f"The discount needs a subtotal of {format_money(minimum)} {rules.currency}: "
            f"add {format_money(missing)} more.",
            {
                "minimum_subtotal": format_money(minimum),
                "currency": rules.currency,
                "missing": format_money(missing),
            },
        )
    if rules.minimum_items is not None and cart.items_number < rules.minimum_items:
        missing_items = rules.minimum_items - cart.items_number
        return Refused(
            Refusal.MINIMUM_ITEMS,
            f"The discount needs {rules.minimum_items} items: add {missing_items} more.",
            {"minimum_items": rules.minimum_items, "missing_items": missing_items},
        )
    if rules.skus is not None and not matching_lines(rules.skus, cart.lines):
        return Refused(
            Refusal.SKUS,
            f"The discount applies only to {', '.join(rules.skus)}; the cart has none.",
            {"skus": list(rules.skus)},
        )
    return None


def matching_lines(skus: Iterable[str], lines: Iterable[Line]) -> list[Line]:
    """The cart's lines a discount restricted to ``skus`` takes off from."""
    wanted = set(skus)
    return [line for line in lines if line.sku in wanted]


# -- issued codes -----------------------------------------------------------------------

# Crockford's base 32: digits and letters without I, L, O and U (no 1/I/L or 0/O mix-ups).
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ISSUED_CODE_CHARACTERS = 12  # 5 bits each: 60 bits drawn by ``secrets``
ISSUED_CODE_BITS = 5 * ISSUED_CODE_CHARACTERS
PREFIX_MAX_LENGTH = 12
PREFIX_PATTERN = re.compile(rf"[A-Z0-9_-]{{1,{PREFIX_MAX_LENGTH}}}")
PREFIX_RULE = (
    f"up to {PREFIX_MAX_LENGTH} characters of A-Z, 0-9, '-' and '_' (upper-cased; no blanks)."
)
MAX_BATCH = 10_000


def normalise_prefix(raw: str) -> str:
    """ASCII letters upper-cased; nothing trimmed (a blank in a prefix is refused)."""
    return "".join(c.upper() if c.isascii() else c for c in raw)


def prefix_error(prefix: str) -> str | None:
    """What is wrong with a normalised prefix ("" is none), or None."""
    if prefix and PREFIX_PATTERN.fullmatch(prefix) is None:
        return f"A prefix is {PREFIX_RULE}"
    return None


def issued_code(prefix: str) -> str:
    """``prefix`` and 12 characters of Crockford's base 32 from ``secrets``: 60 bits."""
    bits = secrets.randbits(ISSUED_CODE_BITS)
    return prefix + "".join(
        CROCKFORD[(bits >> shift) & 31] for shift in range(0, ISSUED_CODE_BITS, 5)
    )
