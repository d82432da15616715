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

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carts import domain, pricing, states
from carts.clients.discount import CartTerms
from carts.clients.ports import CatalogProvider, DiscountProvider
from carts.errors import (
    DISCOUNT_STATUS_REFUSALS,
    CartInvalid,
    CartNotEditable,
    DiscountNotFound,
    ItemNotFound,
)
from carts.models import MAX_QUANTITY, Cart, CartItem
from carts.releases import owe_release, releases_give_back
from carts.selectors import cart_get, cart_locked
from servicekit.codes import is_valid_code
from servicekit.ids import parse_uuid
from servicekit.money import MAX_AMOUNT
from servicekit.perf.db import create, save_fields, update_where

# What each write changes, so that its UPDATE names only those columns.
DISCOUNT_FIELDS = [
    "discount_code",
    "discount_kind",
    "discount_value",
    "discount_currency",
    "discount_skus",
    "redemption_held",
    "releases_owed",
    "updated_at",
]

# -- helpers --------------------------------------------------------------------


def _ensure_editable(cart: Cart) -> None:
    if states.is_held_for_operator(cart):
        raise CartNotEditable(
            "The payment service recorded a payment that does not match this cart; "
            "it is held until an operator settles it."
        )
    if states.is_paid(cart):
        raise CartNotEditable("The cart is paid and can no longer change.")
    if states.is_cancelled(cart):
        raise CartNotEditable("The cart was cancelled and can no longer change.")
    if states.is_unresolved(cart):
        raise CartNotEditable(
            "A checkout of this cart is being settled with the payment service; "
            "call checkout again to finish it before changing the cart."
        )


def _lock_editable(cart_id: object) -> Cart:
    cart = cart_locked(cart_id=cart_id)
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


def _same_line(lines: list[CartItem], sku: str) -> CartItem | None:
    """The line of this sku: adding it again adds to that line's quantity."""
    return next((i for i in lines if i.sku == sku), None)


def _touch(cart: Cart, *fields: str) -> None:
    cart.save(update_fields=["updated_at", *fields])


# -- carts and items ----------------------------------------------------------------
#
# Every line is priced by catalog_service (carts.pricing): the catalog is asked before the
# transaction that writes the line, so no lock is held while it answers.


def cart_create(
    *, currency: str, items: list[dict] | None = None, catalog_client: CatalogProvider
) -> Cart:
    """A cart, with its items priced by the catalog in one batch read.

    Each item is ``{sku, quantity, unit_price?}``: a ``unit_price`` sent is the price the
    shopper saw (another one now: 409 price_changed); items of one sku are one line.
    """
    items = items or []
    asked = timezone.now()
    products = catalog_client.products(item["sku"] for item in items) if items else {}
    lines: list[CartItem] = []
    for item in items:
        line = pricing.priced(products, item["sku"], currency)
        pricing.check_seen(line, item.get("unit_price"))
        same = _same_line(lines, line.sku)
        if same is None:
            lines.append(
                CartItem(
                    sku=line.sku,
                    name=line.name,
                    unit_price=line.unit_price,
                    quantity=item["quantity"],
                )
            )
        else:
            same.quantity = _merged_quantity(same, item["quantity"])
    _check_line_count(len(lines))
    _check_subtotal(lines, "items")
    with transaction.atomic():
        cart = create(Cart, currency=currency, prices_checked_at=asked)
        for each in lines:
            each.cart = cart
        cart.set_lines(CartItem.objects.bulk_create(lines))
    return cart


def cart_item_add(
    *,
    cart_id: object,
    sku: str,
    quantity: int,
    unit_price: Decimal | None = None,
    catalog_client: CatalogProvider,
) -> Cart:
    """Add ``quantity`` of ``sku`` at the catalog's price (``unit_price``: the price the
    shopper saw, checked). A sku the cart holds adds to its line, re-priced to the
    catalog's price now."""
    before = cart_get(cart_id=cart_id)
    _ensure_editable(before)  # refuse early, before asking the provider
    asked = timezone.now()
    priced = pricing.priced(catalog_client.products([sku]), sku, before.currency)
    pricing.check_seen(priced, unit_price)
    with transaction.atomic():
        cart = _lock_editable(cart_id)
        lines = cart.lines
        line = _same_line(lines, priced.sku)
        fields = []
        if not lines:  # the cart's prices are this line's: as old as this answer
            cart.prices_checked_at = asked
            fields.append("prices_checked_at")
        if line is None:
            _check_line_count(len(lines) + 1)
            line = CartItem(
                cart=cart,
                sku=priced.sku,
                name=priced.name,
                unit_price=priced.unit_price,
                quantity=quantity,
            )
            _check_subtotal([*lines, line], "quantity")
            line.save(force_insert=True)
            cart.set_lines([*lines, line])
        else:
            line.quantity = _merged_quantity(line, quantity)
            line.name, line.unit_price = priced.name, priced.unit_price
            _check_subtotal(lines, "quantity")
            line.save(update_fields=["quantity", "name", "unit_price"])
        _touch(cart, *fields)
    return cart


def cart_item_update(*, cart_id: object, item_id: object, quantity: int) -> Cart:
    with transaction.atomic():
        cart = cart_locked(cart_id=cart_id)
        item = _item(cart, item_id)
        _ensure_editable(cart)
        item.quantity = quantity
        _check_subtotal(cart.lines, "quantity")
        item.save(update_fields=["quantity"])
        _touch(cart)
    return cart


def cart_item_remove(*, cart_id: object, item_id: object) -> Cart:
    with transaction.atomic():
        cart = cart_locked(cart_id=cart_id)
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


# -- discounts ------------------------------------------------------------------------


def cart_discount_apply(*, cart_id: object, code: str, discount_client: DiscountProvider) -> Cart:
    """Snapshot a discount the cart may have onto it, replacing any other one.

    discount_service checks the code against the cart as it is now (its status, and a
    promotion's minimums and products); the checkout's redemption checks it again against
    the cart as it is then.
    """
    before = cart_get(cart_id=cart_id)
    _ensure_editable(before)  # refuse early, before asking the provider
    if not is_valid_code(code):  # it cannot exist: no need to ask (nor to put it in a URL)
        raise DiscountNotFound(f"No discount has the code {code[:64]!r}.")
    discount = discount_client.check(code, CartTerms.of(before.currency, before.lines))
    if discount.status != "active":
        raise DISCOUNT_STATUS_REFUSALS[discount.status]()
    applied = domain.AppliedDiscount(
        kind=discount.kind,
        value=discount.value,
        currency=discount.currency if discount.kind == "fixed" else None,
        skus=None if discount.skus is None else frozenset(discount.skus),
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
        cart.discount_skus = _skus_column(applied)
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
        "discount_skus": _skus_column(applied),
        "updated_at": timezone.now(),
    }
    unchanged = {
        "pk": cart.pk,
        **states.EDITABLE_COLUMNS,
        "payment_status": cart.payment_status,
        "checkout_attempt": cart.checkout_attempt,
        "redemption_held": False,
    }
    if not update_where(Cart, unchanged, values):
        return False
    for field, value in values.items():
        setattr(cart, field, value)
    return True


def _skus_column(applied: domain.AppliedDiscount) -> list[str] | None:
    return None if applied.skus is None else sorted(applied.skus)


def cart_discount_remove(*, cart_id: object, discount_client: DiscountProvider) -> Cart:
    with transaction.atomic():
        cart = _lock_editable(cart_id)
        if cart.redemption_held:
            owe_release(cart, cart.discount_code)
        cart.discount_code = cart.discount_kind = cart.discount_currency = ""
        cart.discount_value = cart.discount_skus = None
        cart.save(update_fields=DISCOUNT_FIELDS)
    if cart.releases_owed:
        releases_give_back(cart_id=cart.id, discount_client=discount_client)
    return cart
