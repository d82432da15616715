"""HTTP clients of the public APIs, as their users call them.

``StorefrontClient`` is the web storefront's client of cart_service. The
storefront's consumer contract (``pacts/storefront-cart_service.json``) is written
by driving this very class against the Pact mock server, and the end-to-end
suite drives it against the running system, so the contract pins code that
really runs. ``DiscountAdminClient``, ``CatalogAdminClient``, ``CartAdminClient`` and
``PaymentLedgerClient`` are what an operator (and the end-to-end suite) uses to set up
discounts and products, cancel or refund paid carts, and inspect payments.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests

DEFAULT_TIMEOUT = (2.0, 15.0)


@dataclass
class ApiError(Exception):
    """A problem+json answer: ``status`` and the stable ``code`` clients branch on."""

    status: int
    code: str
    body: dict[str, Any]
    # What a client acts on besides the body, e.g. Retry-After of a 429.
    retry_after: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.body.get('detail', '')}"


class _Client:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        headers: dict[str, str] | None = None,
        request_id: str | None = None,
    ) -> Any:
        headers = dict(headers or {})
        if request_id:
            headers["X-Request-ID"] = request_id
        response = self.session.request(
            method,
            self.base_url + path,
            json=json,
            params=params,
            headers=headers,
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"detail": response.text[:500]}
            raise ApiError(
                response.status_code,
                str(body.get("code", "unknown")),
                body,
                retry_after=response.headers.get("Retry-After"),
            )
        if response.status_code == 204 or not response.content:
            return None
        return response.json()


# The request ids of requests a journey makes to be refused with a documented 502 (a refund
# the stand-in processor declines: refund_refused): compose-scale counts them apart from the
# 5xx it fails on, as it does the ``stuck-`` checkouts.
DECLINED_ON_PURPOSE = "declined-on-purpose-"


def declined_on_purpose() -> str:
    """A request id for a request made to be declined (see DECLINED_ON_PURPOSE)."""
    return f"{DECLINED_ON_PURPOSE}{uuid.uuid4()}"


def money(value: Decimal | str | int) -> str:
    return f"{Decimal(value):.2f}"


class StorefrontClient(_Client):
    """The storefront's calls to cart_service; every method returns the cart as JSON."""

    def create_cart(self, currency: str, items: list[dict] | None = None, **kw) -> dict:
        """A cart; each item ``{sku, quantity, unit_price?}``: the catalog prices it, a
        ``unit_price`` is only the price the shopper saw (409 price_changed if it moved)."""
        body: dict[str, Any] = {"currency": currency}
        if items is not None:
            body["items"] = [_item(**item) for item in items]
        return self._call("POST", "/api/carts/", json=body, **kw)

    def get_cart(self, cart_id: str, **kw) -> dict:
        return self._call("GET", f"/api/carts/{cart_id}/", **kw)

    def add_item(self, cart_id: str, *, sku: str, quantity: int, unit_price=None, **kw) -> dict:
        return self._call(
            "POST",
            f"/api/carts/{cart_id}/items/",
            json=_item(sku=sku, quantity=quantity, unit_price=unit_price),
            **kw,
        )

    def change_quantity(self, cart_id: str, item_id: str, quantity: int, **kw) -> dict:
        return self._call(
            "PATCH", f"/api/carts/{cart_id}/items/{item_id}/", json={"quantity": quantity}, **kw
        )

    def remove_item(self, cart_id: str, item_id: str, **kw) -> dict:
        return self._call("DELETE", f"/api/carts/{cart_id}/items/{item_id}/", **kw)

    def apply_discount(self, cart_id: str, code: str, **kw) -> dict:
        return self._call("PUT", f"/api/carts/{cart_id}/discount/", json={"code": code}, **kw)

    def remove_discount(self, cart_id: str, **kw) -> dict:
        return self._call("DELETE", f"/api/carts/{cart_id}/discount/", **kw)

    def checkout(self, cart_id: str, **kw) -> dict:
        return self._call("POST", f"/api/carts/{cart_id}/checkout/", **kw)


def _item(*, sku: str, quantity: int, unit_price=None) -> dict:
    """What the storefront sends of an item: never a price to charge, at most the one shown."""
    item: dict[str, Any] = {"sku": sku, "quantity": quantity}
    if unit_price is not None:
        item["unit_price"] = money(unit_price)
    return item


class DiscountAdminClient(_Client):
    def create(self, **fields) -> dict:
        return self._call("POST", "/api/discounts/", json=fields)

    def list(self, **params) -> dict:
        return self._call("GET", "/api/discounts/", params=params)

    def get(self, code: str) -> dict:
        return self._call("GET", f"/api/discounts/{code}/")

    def update(self, code: str, **fields) -> dict:
        return self._call("PATCH", f"/api/discounts/{code}/", json=fields)

    def issue_codes(self, code: str, count: int, prefix: str = "") -> dict:
        """A batch of single-use codes of the promotion ``code``."""
        return self._call(
            "POST", f"/api/discounts/{code}/codes/", json={"count": count, "prefix": prefix}
        )

    def codes(self, code: str, **params) -> dict:
        """A page of the codes the promotion issued (``status``, ``page``, ``page_size``)."""
        return self._call("GET", f"/api/discounts/{code}/codes/", params=params)


class CatalogAdminClient(_Client):
    """The shop's admin of catalog_service: products and their prices."""

    def create(self, sku: str, name: str, prices: dict[str, Any], active: bool = True) -> dict:
        body = {"sku": sku, "name": name, "active": active, "prices": _prices(prices)}
        return self._call("POST", "/api/products/", json=body)

    def get(self, sku: str) -> dict:
        return self._call("GET", f"/api/products/{sku}/")

    def update(self, sku: str, **fields) -> dict:
        if "prices" in fields:
            fields["prices"] = _prices(fields["prices"])
        return self._call("PATCH", f"/api/products/{sku}/", json=fields)


def _prices(prices: dict[str, Any]) -> dict[str, str]:
    return {currency: money(amount) for currency, amount in prices.items()}


class CartAdminClient(_Client):
    """An operator's calls to cart_service (the cart admin token): cancel or refund paid carts."""

    def get(self, cart_id: str, **kw) -> dict:
        return self._call("GET", f"/api/carts/{cart_id}/", **kw)

    def cancel(self, cart_id: str, reason: str = "", **kw) -> dict:
        """The cart, ``cancelled``: all that is left of its payment refunded."""
        return self._call("POST", f"/api/carts/{cart_id}/cancel/", json={"reason": reason}, **kw)

    def refund(
        self, cart_id: str, amount: Decimal | str, reason: str = "", key: str | None = None, **kw
    ) -> dict:
        """A refund of part of a paid cart; ``key`` (Idempotency-Key) makes a repeat the same."""
        headers = {"Idempotency-Key": key} if key else None
        body = {"amount": money(amount), "reason": reason}
        return self._call(
            "POST", f"/api/carts/{cart_id}/refunds/", json=body, headers=headers, **kw
        )

    def refunds(self, cart_id: str) -> list[dict]:
        return self._call("GET", f"/api/carts/{cart_id}/refunds/")["results"]

    def list_carts(self, **params) -> dict:
        return self._call("GET", "/api/carts/", params=params)


class PaymentLedgerClient(_Client):
    def payments_for(self, reference: str) -> list[dict]:
        page = self._call(
            "GET", "/api/payments/", params={"reference": reference, "page_size": 100}
        )
        return page["results"]

    def get(self, payment_id: str) -> dict:
        return self._call("GET", f"/api/payments/{payment_id}/")

    def refunds_of(self, payment_id: str) -> list[dict]:
        return self._call("GET", f"/api/payments/{payment_id}/refunds/")["results"]
