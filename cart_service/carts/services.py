"""Writes to carts: items, discounts and checkout.

Every change locks the cart row (``select_for_update`` inside
``transaction.atomic``), so changes and checkouts of one cart are serialised.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction

from carts import pricing
from carts.clients.discount import DiscountClient
from carts.clients.payment import PaymentClient
from carts.errors import (
    DISCOUNT_STATUS_REFUSALS,
    CartEmpty,
    CartInvalid,
    CartNotEditable,
    CartNotFound,
    DiscountRefused,
    DiscountServiceUnavailable,
    ItemNotFound,
    PaymentServiceUnavailable,
)
from carts.models import MAX_QUANTITY, Cart, CartItem, PaymentStatus
from carts.selectors import cart_get, parse_uuid
from servicekit.money import MAX_AMOUNT

logger = logging.getLogger(__name__)


# -- helpers --------------------------------------------------------------------


def _lock(cart_id: object) -> Cart:
    """The cart row, locked until the surrounding transaction ends."""
    pk = parse_uuid(cart_id)
    cart = Cart.objects.select_for_update().filter(pk=pk).first() if pk else None
    if cart is None:
        raise CartNotFound(f"No cart has the id {str(cart_id)[:64]!r}.")
    return cart


def _ensure_editable(cart: Cart) -> None:
    if cart.payment_status == PaymentStatus.PAID:
        raise CartNotEditable("The cart is paid and can no longer change.")
    if cart.attempt_unresolved:
        raise CartNotEditable(
            "A checkout of this cart is being settled with the payment service; "
            "call checkout again to finish it before changing the cart."
        )


def _lock_editable(cart_id: object) -> Cart:
    cart = _lock(cart_id)
    _ensure_editable(cart)
    return cart


def _check_subtotal(cart: Cart, field: str) -> None:
    """Refuse a change that would make the cart's amount unpayable (over 12 digits)."""
    if pricing.subtotal(cart.items.all()) > MAX_AMOUNT:
        raise CartInvalid(field, f"The cart's subtotal would exceed {MAX_AMOUNT}.")


def _add_line(cart: Cart, *, sku: str, name: str, unit_price: Decimal, quantity: int) -> None:
    """Add an item; the same sku at the same unit price adds to the existing quantity."""
    item = cart.items.filter(sku=sku, unit_price=unit_price).first()
    if item is None:
        CartItem.objects.create(
            cart=cart, sku=sku, name=name, unit_price=unit_price, quantity=quantity
        )
        return
    merged = item.quantity + quantity
    if merged > MAX_QUANTITY:
        raise CartInvalid(
            "quantity",
            f"The cart already holds {item.quantity} of {sku!r}; at most {MAX_QUANTITY} in total.",
        )
    item.quantity = merged
    item.save(update_fields=["quantity"])


def _touch(cart: Cart) -> None:
    cart.save(update_fields=["updated_at"])


# -- carts and items ----------------------------------------------------------------


@transaction.atomic
def cart_create(*, currency: str, items: list[dict] | None = None) -> Cart:
    cart = Cart.objects.create(currency=currency)
    for item in items or []:
        _add_line(cart, **item)
    _check_subtotal(cart, "items")
    return cart_get(cart_id=cart.id)


def cart_item_add(
    *, cart_id: object, sku: str, name: str, unit_price: Decimal, quantity: int
) -> Cart:
    with transaction.atomic():
        cart = _lock_editable(cart_id)
        _add_line(cart, sku=sku, name=name, unit_price=unit_price, quantity=quantity)
        _check_subtotal(cart, "quantity")
        _touch(cart)
    return cart_get(cart_id=cart.id)


def cart_item_update(*, cart_id: object, item_id: object, quantity: int) -> Cart:
    with transaction.atomic():
        cart = _lock(cart_id)
        item = _item(cart, item_id)
        _ensure_editable(cart)
        item.quantity = quantity
        item.save(update_fields=["quantity"])
        _check_subtotal(cart, "quantity")
        _touch(cart)
    return cart_get(cart_id=cart.id)


def cart_item_remove(*, cart_id: object, item_id: object) -> Cart:
    with transaction.atomic():
        cart = _lock(cart_id)
        item = _item(cart, item_id)
        _ensure_editable(cart)
        item.delete()
        _touch(cart)
    return cart_get(cart_id=cart.id)


def _item(cart: Cart, item_id: object) -> CartItem:
    pk = parse_uuid(item_id)
    item = cart.items.filter(pk=pk).first() if pk else None
    if item is None:
        raise ItemNotFound(f"The cart has no item with the id {str(item_id)[:64]!r}.")
    return item


# -- discounts ------------------------------------------------------------------------


def _release_quietly(cart: Cart, discount_client: DiscountClient) -> bool:
    """Give back a redemption the cart may hold; on failure log it and go on.

    Returns whether discount_service confirmed the release.
    """
    try:
        discount_client.release(cart.discount_code, str(cart.id))
    except DiscountServiceUnavailable:
        logger.error(
            "could not release discount %s held by cart %s; release it at discount_service",
            cart.discount_code,
            cart.id,
        )
        return False
    return True


def cart_discount_apply(*, cart_id: object, code: str, discount_client: DiscountClient) -> Cart:
    """Snapshot an active discount onto the cart, replacing any other one."""
    _ensure_editable(cart_get(cart_id=cart_id))  # refuse early, before asking the provider
    discount = discount_client.get(code)
    if discount.status != "active":
        raise DISCOUNT_STATUS_REFUSALS[discount.status]()
    applied = pricing.AppliedDiscount(
        kind=discount.kind,
        value=discount.value,
        currency=discount.currency if discount.kind == "fixed" else None,
    )
    with transaction.atomic():
        cart = _lock_editable(cart_id)
        pricing.check_discount_currency(applied, cart.currency)
        if cart.redemption_held and cart.discount_code != discount.code:
            _release_quietly(cart, discount_client)
            cart.redemption_held = False
        cart.discount_code = discount.code
        cart.discount_kind = applied.kind
        cart.discount_value = applied.value
        cart.discount_currency = applied.currency or ""
        cart.save()
    return cart_get(cart_id=cart.id)


def cart_discount_remove(*, cart_id: object, discount_client: DiscountClient) -> Cart:
    with transaction.atomic():
        cart = _lock_editable(cart_id)
        if cart.redemption_held and cart.discount_code:
            _release_quietly(cart, discount_client)
        cart.redemption_held = False
        cart.discount_code = cart.discount_kind = cart.discount_currency = ""
        cart.discount_value = None
        cart.save()
    return cart_get(cart_id=cart.id)


# -- checkout ------------------------------------------------------------------------


def cart_checkout(
    *, cart_id: object, discount_client: DiscountClient, payment_client: PaymentClient
) -> Cart:
    """Redeem the discount, charge the total, record the outcome. See README "Checkout".

    Two transactions, each holding the cart's row lock:

    1. begin: start attempt n+1 (or resume the unresolved attempt n), redeem the
       discount, and COMMIT "attempt n is unresolved" before any money moves, so
       that neither a crash nor an error can make the attempt number be reused
       for a different amount;
    2. settle: charge the unresolved attempt's total under its Idempotency-Key
       and record the outcome. Whoever holds the lock settles the attempt that
       is unresolved (same key, same amount, whichever request started it); a
       request that finds nothing unresolved returns the cart as settled by a
       concurrent checkout. One attempt, one charge.
    """
    paid = _checkout_begin(cart_id=cart_id, discount_client=discount_client)
    if paid is not None:
        return paid
    return _checkout_settle(
        cart_id=cart_id, discount_client=discount_client, payment_client=payment_client
    )


def _checkout_begin(*, cart_id: object, discount_client: DiscountClient) -> Cart | None:
    """Start or resume an attempt; returns the cart only if it is already paid."""
    failure: DiscountServiceUnavailable | None = None
    with transaction.atomic():
        cart = _lock(cart_id)
        if cart.payment_status == PaymentStatus.PAID:
            return cart_get(cart_id=cart.id)
        if not cart.items.exists():
            raise CartEmpty()
        resuming = cart.attempt_unresolved
        # Resuming an attempt whose redemption was confirmed: it is still held (the
        # cart cannot change meanwhile), and the discount may have expired since.
        if cart.discount_code and not (resuming and cart.redemption_held):
            try:
                discount_client.redeem(cart.discount_code, str(cart.id))
            except DiscountRefused:
                raise  # rolls back: the cart stays as it was, the attempt is not counted
            except DiscountServiceUnavailable as exc:
                failure = exc  # a redemption may be held now; releases will clean it up
            cart.redemption_held = True
        if failure is None and not resuming:
            cart.checkout_attempt += 1
            cart.attempt_unresolved = True
            cart.payment_status = PaymentStatus.PENDING
        cart.save()
    if failure is not None:
        raise failure  # after the commit, so what we learnt is kept
    return None


def _checkout_settle(
    *,
    cart_id: object,
    discount_client: DiscountClient,
    payment_client: PaymentClient,
) -> Cart:
    """Settle the unresolved attempt; the cart as this request left it (read under the lock)."""
    failure: PaymentServiceUnavailable | None = None
    with transaction.atomic():
        cart = _lock(cart_id)
        if not cart.attempt_unresolved:
            # A concurrent checkout settled the attempt while we waited for the lock.
            return cart_get(cart_id=cart.id)
        total = cart.totals().total
        if total == 0:
            # payment_service refuses an amount of 0: a fully discounted cart is paid as is.
            cart.payment_status = PaymentStatus.PAID
            cart.last_payment_id = cart.last_payment_status = cart.last_payment_decline_code = ""
            cart.attempt_unresolved = False
        else:
            try:
                payment = payment_client.charge(
                    reference=cart.payment_reference,
                    amount=total,
                    currency=cart.currency,
                    idempotency_key=cart.idempotency_key,
                )
            except PaymentServiceUnavailable as exc:
                # Outcome unknown: the attempt stays unresolved and the next checkout
                # repeats it with the same key and amount.
                failure = exc
            else:
                if payment.amount != total or payment.currency != cart.currency:
                    logger.error(
                        "payment %s of cart %s is %s %s, expected %s %s",
                        payment.id,
                        cart.id,
                        payment.amount,
                        payment.currency,
                        total,
                        cart.currency,
                    )
                cart.last_payment_id = payment.id
                cart.last_payment_status = payment.status
                cart.last_payment_decline_code = payment.decline_code or ""
                cart.attempt_unresolved = False
                if payment.status == "succeeded":
                    cart.payment_status = PaymentStatus.PAID
                else:
                    cart.payment_status = PaymentStatus.FAILED
                    # Give the discount's use back; if that fails the next checkout
                    # re-redeems idempotently, so keep going.
                    if cart.discount_code and cart.redemption_held:
                        cart.redemption_held = not _release_quietly(cart, discount_client)
        cart.save()
        # Read under the lock: a checkout started after ours must not show up in our answer.
        settled = cart_get(cart_id=cart.id)
    if failure is not None:
        raise failure
    return settled
