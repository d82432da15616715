"""Client of discount_service: check a code against a cart, redeem it, release it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NoReturn

import requests

from carts import errors
from carts.clients.http import ProviderClient, error_code, problem_body
from carts.clients.replies import Money, Reply, Text, Timestamp
from carts.clients.wiring import shared_client
from servicekit.codes import is_valid_code

logger = logging.getLogger(__name__)


class Discount(Reply):
    code: Text
    kind: Literal["percent", "fixed"]
    value: Money
    currency: Text | None
    status: Literal["active", "scheduled", "expired", "inactive", "exhausted"]
    # The promotion's rules. discount_service checks the minimums; the cart takes off only
    # from the lines of ``skus`` (None: the whole cart).
    minimum_subtotal: Money | None = None
    minimum_items: int | None = None
    skus: tuple[Text, ...] | None = None


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class CartTerms:
    """What discount_service checks a promotion's rules against: the cart's currency and
    lines (it computes the subtotal and the number of items from them)."""

    currency: str
    items: tuple[CartLine, ...]

    @classmethod
    def of(cls, currency: str, lines: Iterable) -> CartTerms:
        """From anything with ``sku``, ``quantity`` and ``unit_price`` (the cart's items)."""
        return cls(currency, tuple(CartLine(ln.sku, ln.quantity, ln.unit_price) for ln in lines))

    def as_json(self) -> dict:
        return {
            "currency": self.currency,
            "items": [
                {"sku": ln.sku, "quantity": ln.quantity, "unit_price": f"{ln.unit_price:.2f}"}
                for ln in self.items
            ],
        }


class Redemption(Reply):
    code: Text
    cart_id: Text
    created_at: Timestamp


class DiscountClient(ProviderClient):
    provider = "discount_service"
    unavailable = errors.DiscountServiceUnavailable

    def code_url(self, code: str, *more: str) -> str:
        """The URL of a discount's resource. A code that cannot exist is never put in a URL
        (".", ".." or "A/B" would name another path): it is simply not found."""
        if not is_valid_code(code):
            raise errors.DiscountNotFound(f"No discount has the code {code[:64]!r}.")
        return self.url("api", "discounts", code, *more)

    def check(self, code: str, cart: CartTerms) -> Discount:
        """The discount, if this cart may have it now (its status and rules checked against
        the cart); a DiscountRefused naming the rule otherwise. Nothing is held."""
        response = self.request(
            "POST",
            self.code_url(code, "eligibility"),
            json_body={"cart": cart.as_json()},
            idempotent=True,  # a question: asking twice changes nothing
        )
        if response.status_code == 200:
            return self.reply(Discount, response)
        self._refuse(response)

    def redeem(self, code: str, cart_id: str, cart: CartTerms) -> Redemption:
        """Hold one use of the discount for the cart, its rules checked against ``cart``;
        idempotent per cart (201, then 200)."""
        response = self.request(
            "POST",
            self.code_url(code, "redemptions"),
            json_body={"cart_id": str(cart_id), "cart": cart.as_json()},
            idempotent=True,  # by contract: one redemption per cart
        )
        if response.status_code in (200, 201):
            return self.reply(Redemption, response)
        self._refuse(response)

    def release(self, code: str, cart_id: str) -> None:
        """Give the cart's use back; idempotent (204 also when nothing was held)."""
        if not is_valid_code(code):
            return  # no such discount can exist, so nothing is held
        response = self.request(
            "DELETE",
            self.code_url(code, "redemptions", str(cart_id)),
            idempotent=True,
        )
        if response.status_code in (200, 204):
            return
        if response.status_code == 404 and error_code(response) == "discount_not_found":
            return  # the discount is gone, so nothing is held
        self.fail(response, f"unexpected HTTP {response.status_code}")

    def _refuse(self, response: requests.Response) -> NoReturn:
        """The refusal the provider answered with, or unavailable for anything else."""
        code = error_code(response)
        if response.status_code in (404, 422) and code in errors.DISCOUNT_REFUSALS:
            raise errors.DISCOUNT_REFUSALS[code].from_problem(problem_body(response))
        self.fail(response, f"unexpected HTTP {response.status_code} (code {code!r})")


def from_settings() -> DiscountClient:
    """This process's client, configured from Django settings (read now, not at import)."""
    from django.conf import settings

    return shared_client(
        DiscountClient, settings.DISCOUNT_SERVICE_URL, settings.DISCOUNT_SERVICE_TOKEN
    )
