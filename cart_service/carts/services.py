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
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from carts import pricing
from carts.clients.discount import DiscountClient
from carts.clients.payment import Payment, PaymentClient
from carts.errors import (
    DISCOUNT_STATUS_REFUSALS,
    CartEmpty,
    CartInvalid,
    CartNotEditable,
    DiscountRefused,
    DiscountServiceUnavailable,
    ItemNotFound,
    PaymentKeyReused,
    PaymentMismatch,
    PaymentRefused,
    PaymentServiceUnavailable,
)
from carts.models import MAX_QUANTITY, Cart, CartItem, OwedRelease, PaymentStatus
from carts.selectors import cart_for_checkout, cart_get, cart_locked, parse_uuid
from servicekit.money import MAX_AMOUNT

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
ATTEMPT_FIELDS = [
    "checkout_attempt",
    "attempt_unresolved",
    "attempt_started_at",
    "payment_status",
    "redemption_held",
    "updated_at",
]
# The payment found by reference for an attempt may carry a timestamp from another clock.
CLOCK_SKEW = timedelta(seconds=5)

# -- helpers --------------------------------------------------------------------


def _lock(cart_id: object) -> Cart:
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


def _release_quietly(cart_id: object, code: str, discount_client: DiscountClient) -> bool:
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
    *, cart_id: object, discount_client: DiscountClient, owed: list[OwedRelease] | None = None
) -> tuple[int, int]:
    """Release the uses the cart owes (or just ``owed``); (released, still owed)."""
    rows = list(OwedRelease.objects.filter(cart_id=cart_id)) if owed is None else owed
    released = 0
    for row in rows:
        if _release_quietly(cart_id, row.code, discount_client):
            OwedRelease.objects.filter(pk=row.pk).delete()
            released += 1
    if released:
        _clear_releases_owed(cart_id)
    return released, len(rows) - released


def _clear_releases_owed(cart_id: object) -> None:
    """Clear the flag once no release is owed, under the row lock that guards its setting."""
    with transaction.atomic():
        list(Cart.objects.select_for_update().filter(pk=cart_id).values_list("pk"))
        Cart.objects.filter(pk=cart_id, releases_owed=True).exclude(
            Exists(OwedRelease.objects.filter(cart_id=OuterRef("pk")))
        ).update(releases_owed=False)


# -- discounts ------------------------------------------------------------------------


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
            owe_release(cart, cart.discount_code)
        cart.discount_code = discount.code
        cart.discount_kind = applied.kind
        cart.discount_value = applied.value
        cart.discount_currency = applied.currency or ""
        cart.save(update_fields=DISCOUNT_FIELDS)
    if cart.releases_owed:
        releases_give_back(cart_id=cart.id, discount_client=discount_client)
    return cart


def cart_discount_remove(*, cart_id: object, discount_client: DiscountClient) -> Cart:
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


def attempt_of(cart: Cart) -> _Attempt:
    """The cart's current attempt; its amount is the total, frozen while it is unresolved."""
    return _Attempt(
        cart=cart,
        number=cart.checkout_attempt,
        code=cart.discount_code,
        total=cart.totals().total,
        currency=cart.currency,
        reference=cart.payment_reference,
        idempotency_key=cart.idempotency_key,
    )


def _ensure_no_problem(cart: Cart) -> None:
    if cart.checkout_problem:
        raise PaymentMismatch()


def cart_checkout(
    *, cart_id: object, discount_client: DiscountClient, payment_client: PaymentClient
) -> Cart:
    """Redeem the discount, charge the total, record the outcome. See README "Checkout".

    Short writes around the provider calls, no transaction open during a call:

    1. give back first any use of the cart's code that is owed back (else that late
       release would take the new attempt's use); record "a use may be held" before
       redeeming, so a crash during the call leaves a trace the reconciler follows;
       redeem the cart's code (idempotent per cart) unless the unresolved attempt being
       resumed already holds it;
    2. begin: under the row lock, start attempt n+1 (or resume the unresolved
       attempt n) and COMMIT "attempt n is unresolved" with its amount fixed by
       the (now frozen) cart and its start time, before any money moves, so that
       neither a crash nor an error can make the attempt number be reused for a
       different amount, and the reconciler can finish it;
    3. charge attempt n under its Idempotency-Key. Concurrent checkouts (and the
       reconciler) that resume the same attempt send the same key and amount, and
       payment_service answers them with the one payment;
    4. settle: record the outcome only if attempt n is still the unresolved one (a
       concurrent checkout may have recorded it already). One attempt, one charge.
    """
    for _ in range(3):
        cart = cart_for_checkout(cart_id=cart_id)
        if cart.payment_status == PaymentStatus.PAID:
            return cart
        _ensure_no_problem(cart)
        if not cart.has_items:
            raise CartEmpty()
        code = cart.discount_code
        if code and cart.releases_owed and not cart.attempt_unresolved:
            _, owed = releases_give_back(
                cart_id=cart.id,
                discount_client=discount_client,
                owed=list(OwedRelease.objects.filter(cart_id=cart.id, code=code)),
            )
            if owed:
                raise DiscountServiceUnavailable()
        redeemed = False
        # Resuming an attempt whose redemption was confirmed: it is still held (the
        # cart cannot change meanwhile), and the discount may have expired since.
        if code and not (cart.attempt_unresolved and cart.redemption_held):
            _redeem(cart, code, discount_client)
            redeemed = True
        begun = _checkout_begin(cart_id=cart.id, code=code, redeemed=redeemed)
        if isinstance(begun, Cart):
            return begun  # paid meanwhile by a concurrent checkout
        if begun is not None:
            return _checkout_charge(
                attempt=begun, discount_client=discount_client, payment_client=payment_client
            )
        # The code changed, or a use of it became owed, while we redeemed: look again.
    raise CartNotEditable("The cart kept changing during checkout; try again.")


def _redeem(cart: Cart, code: str, discount_client: DiscountClient) -> None:
    """Redeem ``code`` for the cart, recorded as "may be held" before the call."""
    if not cart.redemption_held:
        # Written ahead: if we die during the call, discount_service may hold a use that
        # only this flag tells the reconciler about.
        Cart.objects.filter(pk=cart.pk, discount_code=code, attempt_unresolved=False).update(
            redemption_held=True, updated_at=timezone.now()
        )
    try:
        discount_client.redeem(code, str(cart.id))
    except DiscountRefused:
        if not cart.redemption_held:  # refused: nothing is held, so nothing is owed
            Cart.objects.filter(pk=cart.pk, discount_code=code, attempt_unresolved=False).update(
                redemption_held=False
            )
        raise
    # DiscountServiceUnavailable: "may be held" stays recorded; if the shopper does not come
    # back, the reconciler gives the use back after CART_RECONCILE_AFTER.


def _checkout_begin(*, cart_id: object, code: str, redeemed: bool) -> _Attempt | Cart | None:
    """Start or resume the attempt; the paid cart, or None if the code changed meanwhile."""
    with transaction.atomic():
        cart = _lock(cart_id)
        if cart.payment_status == PaymentStatus.PAID:
            return cart
        _ensure_no_problem(cart)
        if cart.discount_code != code:
            return None
        if not cart.lines:
            raise CartEmpty()
        if (
            code
            and cart.releases_owed
            and OwedRelease.objects.filter(cart_id=cart.pk, code=code).exists()
        ):
            return None  # a release of this code is owed: it is given back before we redeem
        if redeemed:
            cart.redemption_held = True
        if not cart.attempt_unresolved:
            cart.checkout_attempt += 1
            cart.attempt_unresolved = True
            cart.attempt_started_at = timezone.now()
            cart.payment_status = PaymentStatus.PENDING
        cart.save(update_fields=ATTEMPT_FIELDS)
        return attempt_of(cart)


def _checkout_charge(
    *, attempt: _Attempt, discount_client: DiscountClient, payment_client: PaymentClient
) -> Cart:
    payment, refused = None, None
    if attempt.total != 0:  # payment_service refuses 0: a fully discounted cart is paid as is
        try:
            payment = attempt_charge(attempt=attempt, payment_client=payment_client)
        except PaymentRefused as exc:
            refused = exc
        # PaymentServiceUnavailable: the outcome is unknown, the attempt stays unresolved,
        # and the next checkout (or the reconciler) repeats it with the same key and amount.
        if payment is None and refused is None:
            raise PaymentServiceUnavailable()
    cart, _ = attempt_settle(
        attempt=attempt, payment=payment, refused=refused, discount_client=discount_client
    )
    if refused is not None:
        raise refused
    _ensure_no_problem(cart)
    return cart


def attempt_charge(*, attempt: _Attempt, payment_client: PaymentClient) -> Payment | None:
    """Charge (or replay) the attempt; None when a reused key has no payment to show yet.

    Raises PaymentRefused (nothing charged, for good) and PaymentServiceUnavailable.
    """
    try:
        return payment_client.charge(
            reference=attempt.reference,
            amount=attempt.total,
            currency=attempt.currency,
            idempotency_key=attempt.idempotency_key,
        )
    except PaymentKeyReused:
        # The key holds another body: whatever it charged is listed under the reference.
        return attempt_payment_by_reference(attempt=attempt, payment_client=payment_client)


def attempt_payment_by_reference(
    *, attempt: _Attempt, payment_client: PaymentClient
) -> Payment | None:
    """The payment of this attempt among the cart's payments, or None if there is none.

    Attempts of one cart never overlap (a new one begins only once the last is settled),
    so the attempt's payment is the one created since it began, other than the payment
    the previous attempt settled with. Two candidates: logged, left for an operator.
    """
    cart = attempt.cart
    since = (cart.attempt_started_at or cart.created_at) - CLOCK_SKEW
    candidates = [
        p
        for p in payment_client.list_by_reference(attempt.reference)
        if p.id != cart.last_payment_id and (p.created_at is None or p.created_at >= since)
    ]
    if len(candidates) > 1:
        logger.error(
            "cart %s attempt %d: %d payments could be its own (%s); settle it by hand",
            cart.id,
            attempt.number,
            len(candidates),
            ", ".join(p.id for p in candidates),
        )
        raise PaymentServiceUnavailable()
    return candidates[0] if candidates else None


def attempt_settle(
    *,
    attempt: _Attempt,
    payment: Payment | None,
    refused: PaymentRefused | None = None,
    discount_client: DiscountClient,
) -> tuple[Cart, bool]:
    """Record the attempt's outcome if it is still unresolved; the cart, and whether we did.

    One conditional UPDATE: the attempt number and ``attempt_unresolved`` in its WHERE
    clause decide between concurrent settlers (checkouts and reconcilers), so no lock is
    needed. The answer is the cart from the begin step (it cannot change while the attempt
    is unresolved) with the outcome applied. A settler that lost the race holds the same
    payment (same key), so its answer is the same outcome.

    A decline or refusal records the use of the code as owed in the same transaction, then
    gives it back (outside it). A succeeded payment of another amount or currency is not
    taken as paid: the cart is held with ``checkout_problem = payment_mismatch``.
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
        outcome.update(
            last_payment_id=payment.id,
            last_payment_status=payment.status,
            last_payment_decline_code=payment.decline_code or "",
        )
        if payment.status != "succeeded":
            outcome["payment_status"] = PaymentStatus.FAILED
        elif payment.amount != attempt.total or payment.currency != attempt.currency:
            logger.error(
                "payment %s of cart %s is %s %s, expected %s %s: held for an operator",
                payment.id,
                cart.id,
                payment.amount,
                payment.currency,
                attempt.total,
                attempt.currency,
            )
            outcome.update(
                payment_status=PaymentStatus.PENDING, checkout_problem="payment_mismatch"
            )
    elif refused is not None:
        logger.error("cart %s attempt %d: %s", cart.id, attempt.number, refused.detail)
        outcome.update(payment_status=PaymentStatus.FAILED)
    owe = outcome["payment_status"] == PaymentStatus.FAILED and cart.redemption_held
    if owe:
        outcome.update(redemption_held=False, releases_owed=True)
    unresolved = Cart.objects.filter(
        pk=cart.pk, checkout_attempt=attempt.number, attempt_unresolved=True
    )
    if owe:
        with transaction.atomic():
            settled = unresolved.update(**outcome)
            if settled:
                OwedRelease.objects.bulk_create(
                    [OwedRelease(cart=cart, code=attempt.code)], ignore_conflicts=True
                )
    else:
        settled = unresolved.update(**outcome)
    for field, value in outcome.items():
        setattr(cart, field, value)
    if settled and owe:
        # Given back now if discount_service answers; otherwise the reconciler does it.
        releases_give_back(cart_id=cart.pk, discount_client=discount_client)
    return cart, bool(settled)
