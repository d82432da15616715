"""The providers as cart_service's services see them: what they call, nothing more.

The services (carts.services, carts.reconciler) are typed against these Protocols; the
HTTP clients (carts.clients.discount, carts.clients.payment) and the hand-written fakes
of the tests (tests/fakes.py) implement them, and tests/unit/test_ports.py holds all
of them to the same signatures.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

from carts.clients.catalog import Product
from carts.clients.discount import CartTerms, Discount, Redemption
from carts.clients.payment import Payment, Refund


class DiscountProvider(Protocol):
    def check(self, code: str, cart: CartTerms) -> Discount:
        """The discount if this cart may have it now (nothing held); DiscountRefused
        subclasses (DiscountNotFound if no such code) naming the status or rule."""

    def redeem(self, code: str, cart_id: str, cart: CartTerms) -> Redemption:
        """Hold one use for the cart, its rules checked against ``cart``; idempotent per
        cart. DiscountRefused subclasses."""

    def release(self, code: str, cart_id: str) -> None:
        """Give the cart's use back; idempotent (nothing held is fine)."""


class CatalogProvider(Protocol):
    def products(self, skus: Iterable[str]) -> dict[str, Product]:
        """The products with these skus, by sku; an unknown sku is absent."""


class PaymentProvider(Protocol):
    def charge(
        self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> Payment:
        """Take (or replay, for a known key) a payment; a decline is a Payment too."""

    def list_by_reference(self, reference: str) -> list[Payment]:
        """Every payment carrying this reference."""

    def refund(
        self, *, payment_id: str, amount: Decimal, reason: str, idempotency_key: str
    ) -> Refund:
        """Give part or all of a payment back (or replay, for a known key); a refund the
        processor declines is a Refund too. RefundRefused when refused for good."""


__all__ = ["CatalogProvider", "DiscountProvider", "PaymentProvider"]
