"""Reads of discounts and of the codes promotions issue."""

from __future__ import annotations

from django.db.models import QuerySet

from discounts.domain import Cart, is_valid_code, normalise_code, refusal
from discounts.errors import DiscountNotFound, refused
from discounts.metrics import CHECKS
from discounts.models import Discount, IssuedCode
from servicekit.perf.db import CompiledLookup


def discount_list(*, is_active: bool | None = None, search: str = "") -> QuerySet[Discount]:
    """Discounts, newest first; ``search`` is a case-insensitive code prefix."""
    discounts = Discount.objects.all()
    if is_active is not None:
        discounts = discounts.filter(is_active=is_active)
    if prefix := normalise_code(search):
        # Codes are stored upper-cased, so a plain prefix match is case-insensitive.
        discounts = discounts.filter(code__startswith=prefix)
    return discounts


def discount_get(*, code: str) -> Discount:
    """The discount with this code of its own (what admins manage), however it is stored:
    trimmed, upper-case."""
    return _get(_by_code, code)


def discount_locked(*, code: str) -> Discount:
    """The discount row by its own code, locked until the surrounding transaction ends."""
    return _get(_locked, code)


def code_get(*, code: str, admin: bool = False) -> Discount:
    """What a code names: a discount by its own code, else the promotion that issued it
    (with ``issued`` set, and whether a cart holds it).

    A single-use promotion's own code names nothing to carts, only to admins.
    """
    normalised = _normalised(code)
    found = _by_code(normalised)
    if found:
        if found[0].single_use_codes and not admin:
            raise _not_found(normalised)
        return found[0]
    issued = (
        IssuedCode.objects.select_related("discount", "redemption").filter(code=normalised).first()
    )
    if issued is None:
        raise _not_found(normalised)
    discount = issued.discount
    discount.issued = issued
    return discount


def code_locked(*, code: str) -> Discount:
    """What a code names to a cart, as :func:`code_get`, with the discount's row locked until
    the surrounding transaction ends (call inside one): the lock every use of a discount,
    through any of its codes, is decided under."""
    normalised = _normalised(code)
    found = _locked(normalised)
    if found:
        if found[0].single_use_codes:
            raise _not_found(normalised)
        return found[0]
    issued = IssuedCode.objects.filter(code=normalised).first()
    if issued is None:
        raise _not_found(normalised)
    locked = _locked_pk(issued.discount_id)
    if not locked:  # deleted since
        raise _not_found(normalised)
    discount = issued.discount = locked[0]
    discount.issued = issued
    return discount


def code_check(*, code: str, cart: Cart) -> Discount:
    """The discount a code names, if ``cart`` may have it; else its refusal, raised.

    Nothing is held: the redemption checks again, under the discount's lock.
    """
    discount = code_get(code=code)
    problem = refusal(
        code=discount.shown_code,
        status=discount.status,
        used_by_another=discount.issued is not None and discount.issued.used,
        holds_use=False,
        rules=discount.rules,
        cart=cart,
    )
    if problem is not None:
        CHECKS.labels("refused").inc()
        raise refused(problem)
    CHECKS.labels("eligible").inc()
    return discount


def issued_code_list(*, discount: Discount, used: bool | None = None) -> QuerySet[IssuedCode]:
    """A promotion's issued codes in the order they were made; ``used`` filters by state."""
    codes = IssuedCode.objects.filter(discount=discount).select_related("redemption")
    if used is not None:
        codes = codes.filter(redemption__isnull=not used)
    return codes.order_by("id")


def _normalised(code: str) -> str:
    normalised = normalise_code(code)
    if not is_valid_code(normalised):
        raise DiscountNotFound(f"No discount with code {code!r}.")
    return normalised


def _not_found(code: str) -> DiscountNotFound:
    return DiscountNotFound(f"No discount with code {code!r}.")


def _get(lookup: CompiledLookup[Discount], code: str) -> Discount:
    normalised = _normalised(code)
    found = lookup(normalised)
    if not found:
        raise _not_found(normalised)
    return found[0]


# The hot read: cart_service asks for a code on every PUT /discount/.
_by_code = CompiledLookup(lambda: Discount.objects.order_by(), "code")
# Every redemption and release: SELECT ... FOR UPDATE on PostgreSQL; on SQLite the
# IMMEDIATE transaction holds the lock.
_locked = CompiledLookup(lambda: Discount.objects.select_for_update().order_by(), "code")
_locked_pk = CompiledLookup(lambda: Discount.objects.select_for_update().order_by(), "pk")
