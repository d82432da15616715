"""Writes to carts: items, discounts and checkout.

Every change locks the cart row (``select_for_update`` inside a short
``transaction.atomic``), so changes and checkouts of one cart are serialised.
No transaction is ever open while a provider is called over HTTP: a slow
provider must not hold a lock (on SQLite, the whole database's write lock)
that every other request waits behind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carts import pricing
from carts.clients.discount import DiscountClient
from carts.clients.payment import Payment, PaymentClient
from carts.errors import (
    DISCOUNT_STATUS_REFUSALS,
    CartEmpty,
    CartInvalid,
    CartNotEditable,
    CartNotFound,
    DiscountServiceUnavailable,
    ItemNotFound,
)
from carts.models import MAX_QUANTITY, Cart, CartItem, PaymentStatus
from carts.selectors import cart_for_checkout, cart_get, parse_uuid
from servicekit.money import MAX_AMOUNT

logger = logging.getLogger(__name__)

# What each write changes, so that its UPDATE names only those columns.
DISCOUNT_FIELDS = [
    "discount_code",
    "discount_kind",
    "discount_value",
    "discount_currency",
    "redemption_held",
    "updated_at",
]
ATTEMPT_FIELDS = [
    "checkout_attempt",
    "attempt_unresolved",
    "payment_status",
    "redemption_held",
    "updated_at",
]

# -- helpers --------------------------------------------------------------------


def _lock(cart_id: object) -> Cart:
    """The cart row, locked until the surrounding transaction ends."""
    pk = parse_uuid(cart_id)
    try:
        if pk is None:
            raise Cart.DoesNotExist
        return Cart.objects.select_for_update().get(pk=pk)
    except Cart.DoesNotExist:
        raise CartNotFound(f"No cart has the id {str(cart_id)[:64]!r}.") from None


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


def _check_subtotal(lines: list[CartItem], field: str) -> None:
    """Refuse a change that would make the cart's amount unpayable (over 12 digits)."""
    if pricing.subtotal(lines) > MAX_AMOUNT:
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
    cart = Cart.objects.create(currency=currency)
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
        cart = _lock(cart_id)
        item = _item(cart, item_id)
        _ensure_editable(cart)
        item.quantity = quantity
        _check_subtotal(cart.lines, "quantity")
        item.save(update_fields=["quantity"])
        _touch(cart)
    return cart


def cart_item_remove(*, cart_id: object, item_id: object) -> Cart:
    with transaction.atomic():
        cart = _lock(cart_id)
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


def _release_quietly(cart_id: object, code: str, discount_client: DiscountClient) -> bool:
    """Give back a use of ``code`` the cart may hold; on failure log it and go on.

    Returns whether discount_service confirmed the release. Called outside any
    transaction.
    """
    try:
        discount_client.release(code, str(cart_id))
    except DiscountServiceUnavailable:
        logger.error(
            "could not release discount %s held by cart %s; release it at discount_service",
            code,
            cart_id,
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
    replaced = ""
    with transaction.atomic():
        cart = _lock_editable(cart_id)
        pricing.check_discount_currency(applied, cart.currency)
        if cart.redemption_held and cart.discount_code != discount.code:
            replaced = cart.discount_code
            cart.redemption_held = False
        cart.discount_code = discount.code
        cart.discount_kind = applied.kind
        cart.discount_value = applied.value
        cart.discount_currency = applied.currency or ""
        cart.save(update_fields=DISCOUNT_FIELDS)
    if replaced:
        _release_quietly(cart.id, replaced, discount_client)
    return cart


def cart_discount_remove(*, cart_id: object, discount_client: DiscountClient) -> Cart:
    with transaction.atomic():
        cart = _lock_editable(cart_id)
        held = cart.discount_code if cart.redemption_held else ""
        cart.redemption_held = False
        cart.discount_code = cart.discount_kind = cart.discount_currency = ""
        cart.discount_value = None
        cart.save(update_fields=DISCOUNT_FIELDS)
    if held:
        _release_quietly(cart.id, held, discount_client)
    return cart


# -- checkout ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    """What one checkout attempt charges: fixed when it starts, the same on every retry."""

    cart: Cart  # as locked by the begin step, with its lines
    number: int
    code: str
    total: Decimal
    currency: str
    reference: str
    idempotency_key: str


def cart_checkout(
    *, cart_id: object, discount_client: DiscountClient, payment_client: PaymentClient
) -> Cart:
    """Redeem the discount, charge the total, record the outcome. See README "Checkout".

    Short writes around the two provider calls, no transaction open during a call:

    1. redeem the cart's code (idempotent per cart) unless the unresolved attempt
       being resumed already holds it;
    2. begin: under the row lock, start attempt n+1 (or resume the unresolved
       attempt n) and COMMIT "attempt n is unresolved" with its amount fixed by
       the (now frozen) cart, before any money moves, so that neither a crash nor
       an error can make the attempt number be reused for a different amount;
    3. charge attempt n under its Idempotency-Key. Concurrent checkouts that
       resume the same attempt send the same key and amount, and payment_service
       answers them with the one payment;
    4. settle: record the outcome only if attempt n is still the unresolved one (a
       concurrent checkout may have recorded it already). One attempt, one charge.
    """
    for _ in range(3):
        cart = cart_for_checkout(cart_id=cart_id)
        if cart.payment_status == PaymentStatus.PAID:
            return cart
        if not cart.has_items:
            raise CartEmpty()
        code = cart.discount_code
        redeemed = False
        # Resuming an attempt whose redemption was confirmed: it is still held (the
        # cart cannot change meanwhile), and the discount may have expired since.
        if code and not (cart.attempt_unresolved and cart.redemption_held):
            try:
                discount_client.redeem(code, str(cart.id))  # a refusal changes nothing
            except DiscountServiceUnavailable:
                # A redemption may be held now; releases will clean it up.
                Cart.objects.filter(pk=cart.pk, discount_code=code).update(redemption_held=True)
                raise
            redeemed = True
        begun = _checkout_begin(cart_id=cart.id, code=code, redeemed=redeemed)
        if isinstance(begun, Cart):
            return begun  # paid meanwhile by a concurrent checkout
        if begun is not None:
            return _checkout_charge(
                attempt=begun, discount_client=discount_client, payment_client=payment_client
            )
        # The code changed while we redeemed it: give that use back and look again.
        _release_quietly(cart.id, code, discount_client)
    raise CartNotEditable("The cart kept changing during checkout; try again.")


def _checkout_begin(*, cart_id: object, code: str, redeemed: bool) -> _Attempt | Cart | None:
    """Start or resume the attempt; the paid cart, or None if the code changed meanwhile."""
    with transaction.atomic():
        cart = _lock(cart_id)
        if cart.payment_status == PaymentStatus.PAID:
            return cart
        if cart.discount_code != code:
            return None
        if not cart.lines:
            raise CartEmpty()
        if redeemed:
            cart.redemption_held = True
        if not cart.attempt_unresolved:
            cart.checkout_attempt += 1
            cart.attempt_unresolved = True
            cart.payment_status = PaymentStatus.PENDING
        cart.save(update_fields=ATTEMPT_FIELDS)
        return _Attempt(
            cart=cart,
            number=cart.checkout_attempt,
            code=cart.discount_code,
            total=cart.totals().total,
            currency=cart.currency,
            reference=cart.payment_reference,
            idempotency_key=cart.idempotency_key,
        )


def _checkout_charge(
    *, attempt: _Attempt, discount_client: DiscountClient, payment_client: PaymentClient
) -> Cart:
    payment = None
    if attempt.total != 0:  # payment_service refuses 0: a fully discounted cart is paid as is
        # PaymentServiceUnavailable: the outcome is unknown, the attempt stays unresolved,
        # and the next checkout repeats it with the same key and amount.
        payment = payment_client.charge(
            reference=attempt.reference,
            amount=attempt.total,
            currency=attempt.currency,
            idempotency_key=attempt.idempotency_key,
        )
    cart, settled_here = _checkout_settle(attempt=attempt, payment=payment)
    if not settled_here:
        return cart  # a concurrent checkout recorded it, and gives the use back if needed
    # A decline gives the discount's use back; if that fails the next checkout re-redeems
    # idempotently, so keep going. Cleared only if no later attempt re-redeemed it.
    if (
        cart.payment_status == PaymentStatus.FAILED
        and cart.redemption_held
        and _release_quietly(cart.id, attempt.code, discount_client)
        and Cart.objects.filter(
            pk=cart.pk, checkout_attempt=attempt.number, payment_status=PaymentStatus.FAILED
        ).update(redemption_held=False)
    ):
        cart.redemption_held = False
    return cart


def _checkout_settle(*, attempt: _Attempt, payment: Payment | None) -> tuple[Cart, bool]:
    """Record the attempt's outcome if it is still unresolved; the cart, and whether we did.

    One conditional UPDATE: the attempt number and ``attempt_unresolved`` in its WHERE
    clause decide between concurrent settlers, so no lock is needed. The answer is the
    cart from the begin step (it cannot change while the attempt is unresolved) with the
    outcome applied. A settler that lost the race holds the same payment (same key), so
    its answer is the same outcome, and a checkout started after ours stays out of it.
    """
    cart = attempt.cart
    outcome = {
        "attempt_unresolved": False,
        "payment_status": PaymentStatus.PAID,
        "last_payment_id": "",
        "last_payment_status": "",
        "last_payment_decline_code": "",
        "updated_at": timezone.now(),
    }
    if payment is not None:
        if payment.amount != attempt.total or payment.currency != attempt.currency:
            logger.error(
                "payment %s of cart %s is %s %s, expected %s %s",
                payment.id,
                cart.id,
                payment.amount,
                payment.currency,
                attempt.total,
                attempt.currency,
            )
        outcome.update(
            last_payment_id=payment.id,
            last_payment_status=payment.status,
            last_payment_decline_code=payment.decline_code or "",
        )
        if payment.status != "succeeded":
            outcome["payment_status"] = PaymentStatus.FAILED
    settled = Cart.objects.filter(
        pk=cart.pk, checkout_attempt=attempt.number, attempt_unresolved=True
    ).update(**outcome)
    for field, value in outcome.items():
        setattr(cart, field, value)
    return cart, bool(settled)
