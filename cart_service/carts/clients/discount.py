"""Client of discount_service: look a discount up, redeem it for a cart, release it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import requests

from carts import errors

from .http import (
    MalformedResponse,
    ProviderClient,
    error_code,
    read_choice,
    read_datetime,
    read_money,
    read_str,
    shared_client,
)

logger = logging.getLogger(__name__)

KINDS = {"percent", "fixed"}
STATUSES = {"active", "scheduled", "expired", "inactive", "exhausted"}


@dataclass(frozen=True)
class Discount:
    code: str
    kind: str
    value: Decimal
    currency: str | None
    status: str


@dataclass(frozen=True)
class Redemption:
    code: str
    cart_id: str
    created_at: datetime


class DiscountClient(ProviderClient):
    provider = "discount_service"
    unavailable = errors.DiscountServiceUnavailable

    def get(self, code: str) -> Discount:
        """The discount with this code (any status); DiscountNotFound if none."""
        response = self.request("GET", self.url("api", "discounts", code), idempotent=True)
        if response.status_code == 200:
            data = self.body(response)
            try:
                return Discount(
                    code=read_str(data, "code"),
                    kind=read_choice(data, "kind", KINDS),
                    value=read_money(data, "value"),
                    currency=read_str(data, "currency", nullable=True),
                    status=read_choice(data, "status", STATUSES),
                )
            except MalformedResponse as exc:
                raise self.fail(response, str(exc)) from None
        raise self._refusal(response)

    def redeem(self, code: str, cart_id: str) -> Redemption:
        """Hold one use of the discount for the cart; idempotent per cart (201, then 200)."""
        response = self.request(
            "POST",
            self.url("api", "discounts", code, "redemptions"),
            json_body={"cart_id": str(cart_id)},
            idempotent=True,  # by contract: one redemption per cart
        )
        if response.status_code in (200, 201):
            data = self.body(response)
            try:
                return Redemption(
                    code=read_str(data, "code"),
                    cart_id=read_str(data, "cart_id"),
                    created_at=read_datetime(data, "created_at"),
                )
            except MalformedResponse as exc:
                raise self.fail(response, str(exc)) from None
        raise self._refusal(response)

    def release(self, code: str, cart_id: str) -> None:
        """Give the cart's use back; idempotent (204 also when nothing was held)."""
        response = self.request(
            "DELETE",
            self.url("api", "discounts", code, "redemptions", str(cart_id)),
            idempotent=True,
        )
        if response.status_code in (200, 204):
            return
        if response.status_code == 404 and error_code(response) == "discount_not_found":
            return  # the discount is gone, so nothing is held
        raise self.fail(response, f"unexpected HTTP {response.status_code}")

    def _refusal(self, response: requests.Response) -> Exception:
        code = error_code(response)
        if response.status_code in (404, 422) and code in errors.DISCOUNT_REFUSALS:
            return errors.DISCOUNT_REFUSALS[code]()
        return self.fail(response, f"unexpected HTTP {response.status_code} (code {code!r})")


def from_settings() -> DiscountClient:
    """This process's client, configured from Django settings (read now, not at import)."""
    from django.conf import settings

    return shared_client(
        DiscountClient, settings.DISCOUNT_SERVICE_URL, settings.DISCOUNT_SERVICE_TOKEN
    )
