"""Hand-written fakes of the provider clients, for unit and concurrency tests.

They behave like the real providers where checkout depends on it: redemptions
are idempotent per cart, charges are deduplicated by Idempotency-Key, amounts
strictly below 20.00 succeed and others are declined.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from carts import errors
from carts.clients.catalog import Product
from carts.clients.discount import CartTerms, Discount, Redemption
from carts.clients.payment import Payment, Refund
from carts.clients.ports import CatalogProvider, DiscountProvider, PaymentProvider

APPROVAL_LIMIT = Decimal("20.00")


@dataclass
class FakeDiscountClient:
    discounts: dict[str, Discount] = field(default_factory=dict)
    redeem_outages: int = 0  # the next N redeem calls fail as "unavailable"
    lost_redeems: int = 0  # the next N redeem calls take the use, then their answer is lost
    release_outages: int = 0
    redemptions: dict[tuple[str, str], Redemption] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    # The cart each check and redeem was sent with, by code (the last one).
    carts_sent: dict[str, CartTerms] = field(default_factory=dict)

    def add(
        self,
        code="SAVE10",
        kind="percent",
        value="10.00",
        currency=None,
        status="active",
        minimum_subtotal=None,
        minimum_items=None,
        skus=None,
    ):
        self.discounts[code] = Discount(
            code=code,
            kind=kind,
            value=Decimal(value),
            currency=currency,
            status=status,
            minimum_subtotal=None if minimum_subtotal is None else Decimal(minimum_subtotal),
            minimum_items=minimum_items,
            skus=None if skus is None else tuple(skus),
        )
        return self.discounts[code]

    def _get(self, code: str) -> Discount:
        if code not in self.discounts:
            raise errors.DiscountNotFound()
        return self.discounts[code]

    def check(self, code: str, cart: CartTerms) -> Discount:
        self.calls.append(("check", code, ""))
        self.carts_sent[code] = cart
        discount = self._get(code)
        if discount.status != "active":
            raise errors.DISCOUNT_STATUS_REFUSALS[discount.status]()
        _check_rules(discount, cart)
        return discount

    def redeem(self, code: str, cart_id: str, cart: CartTerms) -> Redemption:
        self.calls.append(("redeem", code, cart_id))
        self.carts_sent[code] = cart
        if self.redeem_outages:
            self.redeem_outages -= 1
            raise errors.DiscountServiceUnavailable()
        discount = self._get(code)
        held = (code, cart_id) in self.redemptions
        # As discount_service: a held use is answered again while the discount is active or
        # exhausted; an inactive, expired or unstarted one is refused, the use left held.
        if not (held and discount.status == "exhausted") and discount.status != "active":
            raise errors.DISCOUNT_STATUS_REFUSALS[discount.status]()
        _check_rules(discount, cart)  # also for a cart that holds a use
        if not held:
            self.redemptions[code, cart_id] = Redemption(
                code=code, cart_id=cart_id, created_at=datetime.now(UTC)
            )
        if self.lost_redeems:
            self.lost_redeems -= 1
            raise errors.DiscountServiceUnavailable()
        return self.redemptions[code, cart_id]

    def release(self, code: str, cart_id: str) -> None:
        self.calls.append(("release", code, cart_id))
        if self.release_outages:
            self.release_outages -= 1
            raise errors.DiscountServiceUnavailable()
        self.redemptions.pop((code, cart_id), None)

    def count(self, method: str) -> int:
        return sum(1 for call in self.calls if call[0] == method)


def _check_rules(discount: Discount, cart: CartTerms) -> None:
    """discount_service's rules, in its order (docs/api.md, "Checking a code against a cart")."""
    subtotal = sum((line.unit_price * line.quantity for line in cart.items), Decimal("0.00"))
    if discount.currency and discount.currency != cart.currency:
        raise errors.DiscountCurrencyMismatch()
    if discount.minimum_subtotal is not None and subtotal < discount.minimum_subtotal:
        raise errors.DiscountMinimumNotMet(
            minimum_subtotal=f"{discount.minimum_subtotal:.2f}",
            currency=discount.currency,
            missing=f"{discount.minimum_subtotal - subtotal:.2f}",
        )
    items = sum(line.quantity for line in cart.items)
    if discount.minimum_items is not None and items < discount.minimum_items:
        raise errors.DiscountMinimumItemsNotMet(
            minimum_items=discount.minimum_items, missing_items=discount.minimum_items - items
        )
    if discount.skus is not None and not {line.sku for line in cart.items} & set(discount.skus):
        raise errors.DiscountNotApplicable(skus=list(discount.skus))


@dataclass
class FakeCatalogClient:
    """The catalog's products by sku; ``outages``: the next N reads fail as unavailable."""

    catalog: dict[str, Product] = field(default_factory=dict)
    outages: int = 0
    calls: list[list[str]] = field(default_factory=list)

    def add(self, sku="MUG-1", name="Mug", prices=None, active=True) -> Product:
        prices = {"USD": "7.50", "EUR": "6.90"} if prices is None else prices
        self.catalog[sku] = Product(
            sku=sku,
            name=name,
            active=active,
            prices={currency: Decimal(amount) for currency, amount in prices.items()},
        )
        return self.catalog[sku]

    def products(self, skus) -> dict[str, Product]:
        wanted = list(skus)
        self.calls.append(wanted)
        if self.outages:
            self.outages -= 1
            raise errors.CatalogServiceUnavailable()
        return {sku: self.catalog[sku] for sku in wanted if sku in self.catalog}


@dataclass
class FakePaymentClient:
    """Records charges; a repeated Idempotency-Key returns the first result (thread-safe)."""

    outages: int = 0  # the next N charges fail before reaching the provider
    lost_responses: int = 0  # the next N charges are taken but their answer is lost
    refusals: int = 0  # the next N charges are refused for good (a 4xx): nothing charged
    key_reused: int = 0  # the next N charges answer 422 idempotency_key_reused
    overcharge: Decimal = Decimal("0")  # added to the amount taken: a payment that disagrees
    payments: dict[str, Payment] = field(default_factory=dict)  # by idempotency key
    bodies: dict[str, tuple] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)  # by idempotency key
    refund_outages: int = 0  # the next N refunds fail before reaching the provider
    lost_refunds: int = 0  # the next N refunds are made but their answer is lost
    calls: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def charge(self, *, reference, amount, currency, idempotency_key) -> Payment:
        with self.lock:
            self.calls.append(
                {
                    "reference": reference,
                    "amount": amount,
                    "currency": currency,
                    "idempotency_key": idempotency_key,
                }
            )
            if self.outages:
                self.outages -= 1
                raise errors.PaymentServiceUnavailable()
            if self.refusals:
                self.refusals -= 1
                raise errors.PaymentRefused()
            if self.key_reused:
                self.key_reused -= 1
                raise errors.PaymentKeyReused()
            body = (reference, amount, currency)
            if idempotency_key in self.payments:
                assert self.bodies[idempotency_key] == body, "idempotency_key_reused"
            else:
                status: Literal["succeeded", "declined"] = (
                    "succeeded" if amount < APPROVAL_LIMIT else "declined"
                )
                self.payments[idempotency_key] = Payment(
                    id=str(uuid.uuid4()),
                    reference=reference,
                    amount=amount + self.overcharge,
                    currency=currency,
                    status=status,
                    decline_code=None if status == "succeeded" else "insufficient_funds",
                    created_at=datetime.now(UTC),
                )
                self.bodies[idempotency_key] = body
            if self.lost_responses:
                self.lost_responses -= 1
                raise errors.PaymentServiceUnavailable()
            return self.payments[idempotency_key]

    def refund(self, *, payment_id, amount, reason, idempotency_key) -> Refund:
        """As payment_service: never beyond what is left; a refund of 13.13 is declined;
        a repeated key answers the refund it made."""
        with self.lock:
            self.calls.append({"refund": payment_id, "amount": amount, "key": idempotency_key})
            if self.refund_outages:
                self.refund_outages -= 1
                raise errors.PaymentServiceUnavailable()
            if idempotency_key not in self.refunds:
                payment = next((p for p in self.payments.values() if p.id == payment_id), None)
                if payment is None:
                    raise errors.RefundRefused("payment_not_found")
                if payment.status != "succeeded":
                    raise errors.RefundRefused("payment_not_refundable")
                if amount > payment.amount - self.refunded(payment_id):
                    raise errors.RefundRefused("refund_exceeds_remaining")
                declined = amount == Decimal("13.13")
                self.refunds[idempotency_key] = Refund(
                    id=str(uuid.uuid4()),
                    payment_id=payment_id,
                    amount=amount,
                    currency=payment.currency,
                    status="failed" if declined else "succeeded",
                    failure_code="refund_declined" if declined else None,
                )
            if self.lost_refunds:
                self.lost_refunds -= 1
                raise errors.PaymentServiceUnavailable()
            return self.refunds[idempotency_key]

    def refunded(self, payment_id: str) -> Decimal:
        return sum(
            (
                r.amount
                for r in self.refunds.values()
                if r.payment_id == payment_id and r.status == "succeeded"
            ),
            Decimal("0"),
        )

    def list_by_reference(self, reference: str) -> list[Payment]:
        with self.lock:
            self.calls.append({"list": reference})
            if self.outages:
                self.outages -= 1
                raise errors.PaymentServiceUnavailable()
            return [p for p in self.payments.values() if p.reference == reference]

    @property
    def keys(self) -> list[str]:
        return [call["idempotency_key"] for call in self.calls if "idempotency_key" in call]

    @property
    def charged(self) -> list[Payment]:
        return list(self.payments.values())


if TYPE_CHECKING:  # mypy (make lint) holds the fakes to the ports checkout is typed against
    _discounts: DiscountProvider = FakeDiscountClient()
    _payments: PaymentProvider = FakePaymentClient()
    _catalog: CatalogProvider = FakeCatalogClient()


def succeeded_payment_answer(request) -> tuple[int, dict[str, str], str]:
    """payment_service's answer to a charge, for ``responses``' callbacks: a succeeded
    payment of the amount and currency asked for."""
    body = json.loads(request.body)
    payment = {
        "id": "0b6f3c1e-0000-4000-8000-000000000001",
        "reference": body["reference"],
        "amount": body["amount"],
        "currency": body["currency"],
        "status": "succeeded",
        "decline_code": None,
        "created_at": "2026-01-01T00:00:00Z",
    }
    return 201, {"Content-Type": "application/json"}, json.dumps(payment)
