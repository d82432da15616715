"""Writes to carts: items and discounts (checkout is carts.checkout).

Every change locks the cart row (``select_for_update`` inside a short
``transaction.atomic``), so changes and checkouts of one cart are serialised; the
one exception, applying a code to a cart that holds no use of one, is a single
UPDATE whose WHERE clause does the lock's checking (``_apply_unlocked``).
No transaction is ever open while a provider is called over HTTP: a slow
provider must not hold a lock (on SQLite, the whole database's write lock)
that every other request waits behind.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from carts import domain
from carts.clients.ports import DiscountProvider
from carts.errors import (
    DISCOUNT_STATUS_REFUSALS,
    CartInvalid,
    CartNotEditable,
    DiscountServiceUnavailable,
    ItemNotFound,
)
from carts.models import MAX_QUANTITY, Cart, CartItem, OwedRelease, PaymentStatus
from carts.selectors import cart_get, cart_locked
from servicekit.ids import parse_uuid
from servicekit.money import MAX_AMOUNT
from servicekit.perf.db import create, save_fields, update_where

logger = logging.getLogger(__name__)

# What each write changes, so that its UPDATE names only those columns.
DISCOUNT_FIELDS = [
    "discount_code",
    "discount_kind",
    "discount_value",
    "discount_currency",
    "redemption_held",
    "releases_owed",
    "updated_at",
]

# -- helpers --------------------------------------------------------------------


def lock_cart(cart_id: object) -> Cart:
    """The cart row, locked until the surrounding transaction ends."""
    return cart_locked(cart_id=cart_id)


def _ensure_editable(cart: Cart) -> None:
    if cart.checkout_problem:
        raise CartNotEditable(
            "The payment service recorded a payment that does not match this cart; "
            "it is held until an operator settles it."
        )
    if cart.payment_status == PaymentStatus.PAID:
        raise CartNotEditable("The cart is paid and can no longer change.")
    if cart.attempt_unresolved:
        raise CartNotEditable(
            "A checkout of this cart is being settled with the payment service; "
            "call checkout again to finish it before changing the cart."
        )


def _lock_editable(cart_id: object) -> Cart:
    cart = lock_cart(cart_id)
    _ensure_editable(cart)
    return cart


def _check_subtotal(lines: list[CartItem], field: str) -> None:
    """Refuse a change that would make the cart's amount unpayable (over 12 digits)."""
    if domain.subtotal(lines) > MAX_AMOUNT:
        raise CartInvalid(field, f"The cart's subtotal would exceed {MAX_AMOUNT}.")


def _check_line_count(count: int) -> None:
    if count > settings.CART_MAX_LINES:
        raise CartInvalid("items", f"A cart holds at most {settings.CART_MAX_LINES} lines.")


def _merged_quantity(item: CartItem, quantity: int) -> int:
    merged = item.quantity + quantity
    if merged > MAX_QUANTITY:
        raise CartInvalid(
            "quantity",
            f"The cart already holds {item.quantity} of {item.sku!r}; "
            f"at most {MAX_QUANTITY} in total.",
        )
    return merged


def _same_line(lines: list[CartItem], sku: str, unit_price: Decimal) -> CartItem | None:
    """An item with this sku at this unit price: adding it adds to that line's quantity."""
    return next((i for i in lines if i.sku == sku and i.unit_price == unit_price), None)


def _touch(cart: Cart) -> None:
    cart.save(update_fields=["updated_at"])


# -- carts and items ----------------------------------------------------------------


@transaction.atomic
def cart_create(*, currency: str, items: list[dict] | None = None) -> Cart:
    lines: list[CartItem] = []
    for item in items or []:
        line = _same_line(lines, item["sku"], item["unit_price"])
        if line is None:
            lines.append(CartItem(**item))
        else:
            line.quantity = _merged_quantity(line, item["quantity"])
    _check_line_count(len(lines))
    _check_subtotal(lines, "items")
    cart = create(Cart, currency=currency)
    for line in lines:
        line.cart = cart
    cart.set_lines(CartItem.objects.bulk_create(lines))
    return cart


def cart_item_add(
    *, cart_id: object, sku: str, name: str, unit_price: Decimal, quantity: int
) -> Cart:
    with transaction.atomic():
        cart = _lock_editable(cart_id)
        lines = cart.lines
        line = _same_line(lines, sku, unit_price)
        if line is None:
            _check_line_count(len(lines) + 1)
            line = CartItem(cart=cart, sku=sku, name=name, unit_price=unit_price, quantity=quantity)
            _check_subtotal([*lines, line], "quantity")
            line.save(force_insert=True)
            cart.set_lines([*lines, line])
        else:
            line.quantity = _merged_quantity(line, quantity)
            _check_subtotal(lines, "quantity")
            line.save(update_fields=["quantity"])
        _touch(cart)
    return cart


def cart_item_update(*, cart_id: object, item_id: object, quantity: int) -> Cart:
    with transaction.atomic():
        cart = lock_cart(cart_id)
        item = _item(cart, item_id)
        _ensure_editable(cart)
        item.quantity = quantity
        _check_subtotal(cart.lines, "quantity")
        item.save(update_fields=["quantity"])
        _touch(cart)
    return cart


def cart_item_remove(*, cart_id: object, item_id: object) -> Cart:
    with transaction.atomic():
        cart = lock_cart(cart_id)
        item = _item(cart, item_id)
        _ensure_editable(cart)
        item.delete()
        cart.set_lines([line for line in cart.lines if line is not item])
        _touch(cart)
    return cart


def _item(cart: Cart, item_id: object) -> CartItem:
    pk = parse_uuid(item_id)
    item = next((line for line in cart.lines if line.pk == pk), None) if pk else None
    if item is None:
        raise ItemNotFound(f"The cart has no item with the id {str(item_id)[:64]!r}.")
    return item


# -- discount uses owed back -------------------------------------------------------------


def owe_release(cart: Cart, code: str) -> None:
    """Record that the cart's use of ``code`` is to be given back.

    Called inside the transaction that stops needing the use, with the cart row locked
    or being updated; the caller saves the cart's ``releases_owed`` and
    ``redemption_held``. The row is deleted only when discount_service confirms (204).
    """
    OwedRelease.objects.bulk_create([OwedRelease(cart=cart, code=code)], ignore_conflicts=True)
    cart.releases_owed = True
    cart.redemption_held = False


def owe_release_of(cart: Cart, code: str) -> None:
    """Record that a use of ``code``, a code the cart no longer has, is to be given back.

    Under the cart's row lock. Unlike :func:`owe_release`, the cart's own code and the use
    it may hold of that are left as they are; only the owed row and the flag are written.
    """
    # If the row is there already, a release of it may be in flight and have landed before
    # the redeem that made this use: a new generation makes that release send another.
    # Bumped before the insert, so a release deleting the row in between cannot be missed.
    OwedRelease.objects.filter(cart=cart, code=code).update(generation=F("generation") + 1)
    OwedRelease.objects.bulk_create([OwedRelease(cart=cart, code=code)], ignore_conflicts=True)
    if not cart.releases_owed:
        cart.releases_owed = True
        save_fields(cart, ["releases_owed"])


def _release_quietly(cart_id: object, code: str, discount_client: DiscountProvider) -> bool:
    """Give back a use of ``code`` the cart may hold; whether discount_service confirmed it.

    Called outside any transaction. A failure is logged; the owed row stays for the next try.
    """
    try:
        discount_client.release(code, str(cart_id))
    except DiscountServiceUnavailable:
        logger.warning("release of %s for cart %s failed; it stays owed", code, cart_id)
        return False
    logger.info("released discount %s held by cart %s", code, cart_id)
    return True


def releases_give_back(
    *,
    cart_id: uuid.UUID,
    discount_client: DiscountProvider,
    owed: list[OwedRelease] | None = None,
    code: str | None = None,
    claimed: bool = False,
) -> tuple[int, int]:
    """Release the uses the cart owes (or just ``owed``, or those of ``code``); (released,
    still owed).

    One releaser at a time per owed row: each is claimed with the reconciler's lease
    (``claimed``: the caller, the reconciler, holds it already), a row someone else
    is releasing stays owed, and a failed release frees the claim. Two releases in
    flight for one use could be answered in any order, and one landing after the
    checkout that followed redeemed again would take that checkout's use.
    """
    if owed is None:
        of_cart = OwedRelease.objects.filter(cart_id=cart_id)
        owed = list(of_cart if code is None else of_cart.filter(code=code))
    released = 0
    for row in owed:
        if not claimed and not _claim_release(row):
            continue  # being given back by someone else
        if _release_row(cart_id, row, discount_client):
            released += 1
        else:  # free the claim: the next releaser need not wait for the lease to run out
            OwedRelease.objects.filter(pk=row.pk).update(claimed_until=None)
    if released:
        _clear_releases_owed(cart_id)
    return released, len(owed) - released


def _release_row(cart_id: object, row: OwedRelease, discount_client: DiscountProvider) -> bool:
    """Release the claimed row's use; whether it is given back and the row deleted.

    The row is deleted only at the generation this release was sent for. If it was owed
    again meanwhile (``owe_release_of``: a redeem may have landed after our release), the
    use is released again, a few times at most; after that it stays owed.
    """
    for _ in range(3):
        if not _release_quietly(cart_id, row.code, discount_client):
            return False
        deleted, _ = OwedRelease.objects.filter(pk=row.pk, generation=row.generation).delete()
        if deleted:
            return True
        again = OwedRelease.objects.filter(pk=row.pk).first()
        if again is None:
            return True  # deleted by another releaser meanwhile
        row = again
    return False


def _claim_release(row: OwedRelease) -> bool:
    """Take the lease on an owed release, as the reconciler does; whether we got it."""
    now = timezone.now()
    claimed = OwedRelease.objects.filter(lease_free("claimed_until", now), pk=row.pk)
    return bool(claimed.update(claimed_until=lease_end(now)))


def lease_free(field: str, now: datetime) -> Q:
    """Rows whose lease ``field`` (a time it runs until) is unset or has run out at ``now``."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now})


def lease_end(now: datetime) -> datetime:
    """Until when a lease taken at ``now`` holds (``CART_RECONCILE_LEASE``)."""
    return now + timedelta(seconds=settings.CART_RECONCILE_LEASE)


def _clear_releases_owed(cart_id: uuid.UUID) -> None:
    """Clear the flag once no release is owed, under the row lock that guards its setting."""
    with transaction.atomic():
        list(Cart.objects.select_for_update().filter(pk=cart_id).values_list("pk"))
        Cart.objects.filter(pk=cart_id, releases_owed=True).exclude(
            Exists(OwedRelease.objects.filter(cart_id=OuterRef("pk")))
        ).update(releases_owed=False)


# -- discounts ------------------------------------------------------------------------


def cart_discount_apply(*, cart_id: object, code: str, discount_client: DiscountProvider) -> Cart:
    """Snapshot an active discount onto the cart, replacing any other one."""
    before = cart_get(cart_id=cart_id)
    _ensure_editable(before)  # refuse early, before asking the provider
    discount = discount_client.get(code)
    if discount.status != "active":
        raise DISCOUNT_STATUS_REFUSALS[discount.status]()
    applied = domain.AppliedDiscount(
        kind=discount.kind,
        value=discount.value,
        currency=discount.currency if discount.kind == "fixed" else None,
    )
    # A discount in another currency takes the locked path, which refuses it only after
    # checking the cart is editable (409 before 422, as ever); a cart's currency is fixed.
    plain = not before.redemption_held and domain.fits_currency(applied, before.currency)
    if plain and _apply_unlocked(before, discount.code, applied):
        if before.releases_owed:
            releases_give_back(cart_id=before.id, discount_client=discount_client)
        return before
    with transaction.atomic():
        cart = _lock_editable(cart_id)
        domain.check_discount_currency(applied, cart.currency)
        if cart.redemption_held and cart.discount_code != discount.code:
            owe_release(cart, cart.discount_code)
        cart.discount_code = discount.code
        cart.discount_kind = applied.kind
        cart.discount_value = applied.value
        cart.discount_currency = applied.currency or ""
        save_fields(cart, DISCOUNT_FIELDS)
    if cart.releases_owed:
        releases_give_back(cart_id=cart.id, discount_client=discount_client)
    return cart


def _apply_unlocked(cart: Cart, code: str, applied: domain.AppliedDiscount) -> bool:
    """Apply the discount in one conditional UPDATE, if the cart is as ``cart`` was read.

    The usual case: nothing held, nothing owed to change. The WHERE clause holds the row
    to what made the cart editable and the write plain when it was read (no checkout
    problem, not paid, no attempt unresolved, no use held, and the same attempt number,
    so no checkout ran meanwhile and the payment shown is still the cart's), so no lock and
    no transaction are needed: three round trips fewer than locking. False (nothing
    written) if the row has changed since; the caller then takes the lock and decides again.
    """
    values = {
        "discount_code": code,
        "discount_kind": applied.kind,
        "discount_value": applied.value,
        "discount_currency": applied.currency or "",
        "updated_at": timezone.now(),
    }
    unchanged = {
        "pk": cart.pk,
        "checkout_problem": "",
        "payment_status": cart.payment_status,
        "checkout_attempt": cart.checkout_attempt,
        "attempt_unresolved": False,
        "redemption_held": False,
    }
    if not update_where(Cart, unchanged, values):
        return False
    for field, value in values.items():
        setattr(cart, field, value)
    return True


def cart_discount_remove(*, cart_id: object, discount_client: DiscountProvider) -> Cart:
    with transaction.atomic():
        cart = _lock_editable(cart_id)
        if cart.redemption_held:
            owe_release(cart, cart.discount_code)
        cart.discount_code = cart.discount_kind = cart.discount_currency = ""
        cart.discount_value = None
        cart.save(update_fields=DISCOUNT_FIELDS)
    if cart.releases_owed:
        releases_give_back(cart_id=cart.id, discount_client=discount_client)
    return cart
