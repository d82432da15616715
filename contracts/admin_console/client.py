"""The admin console's HTTP client: one small class over the four public APIs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests

# (connect, read) seconds: an operator waits a little, never forever.
TIMEOUT = (3.05, 10.0)


@dataclass(frozen=True)
class Service:
    url: str
    token: str | None = None


@dataclass
class ConsoleError(Exception):
    """A problem+json answer: ``code`` is what the console branches on."""

    status: int
    code: str
    detail: str = ""

    def __str__(self) -> str:
        return f"HTTP {self.status} {self.code}: {self.detail}"


@dataclass(frozen=True)
class DiscountRow:
    code: str
    kind: str
    value: Decimal
    status: str
    times_redeemed: int


@dataclass(frozen=True)
class IssuedCodeRow:
    code: str
    status: str
    cart_id: str | None


@dataclass(frozen=True)
class CartRow:
    id: str
    total: Decimal
    payment_status: str


@dataclass(frozen=True)
class ProductRow:
    sku: str
    name: str
    active: bool
    prices: dict[str, Decimal]


@dataclass(frozen=True)
class RefundRow:
    number: int
    kind: str
    amount: Decimal
    status: str


@dataclass(frozen=True)
class PaymentRow:
    id: str
    reference: str
    amount: Decimal
    status: str


class AdminConsole:
    def __init__(
        self,
        *,
        discounts: Service | None = None,
        carts: Service | None = None,
        payments: Service | None = None,
        products: Service | None = None,
    ) -> None:
        self._services = {
            "discounts": discounts,
            "carts": carts,
            "payments": payments,
            "products": products,
        }
        self._session = requests.Session()

    def list_discounts(self, *, active: bool | None = None, search: str = "") -> list[DiscountRow]:
        params = {"search": search} if search else {}
        if active is not None:
            params["is_active"] = "true" if active else "false"
        page = self._call("discounts", "GET", "/api/discounts/", params=params)
        return [_discount(d) for d in page["results"]]

    def create_discount(
        self, *, code: str, kind: str, value: Decimal, description: str = ""
    ) -> DiscountRow:
        body = {"code": code, "kind": kind, "value": f"{value:.2f}", "description": description}
        return _discount(self._call("discounts", "POST", "/api/discounts/", json=body))

    def create_promotion(
        self,
        *,
        code: str,
        kind: str,
        value: Decimal,
        minimum_subtotal: Decimal | None = None,
        currency: str | None = None,
        skus: list[str] | None = None,
        max_redemptions: int | None = None,
    ) -> DiscountRow:
        """A promotion redeemed only through the single-use codes it issues."""
        body: dict[str, Any] = {
            "code": code,
            "kind": kind,
            "value": f"{value:.2f}",
            "single_use_codes": True,
        }
        if minimum_subtotal is not None:
            body["minimum_subtotal"] = f"{minimum_subtotal:.2f}"
            body["currency"] = currency
        if skus:
            body["skus"] = skus
        if max_redemptions is not None:
            body["max_redemptions"] = max_redemptions
        return _discount(self._call("discounts", "POST", "/api/discounts/", json=body))

    def issue_codes(self, code: str, *, count: int, prefix: str = "") -> list[str]:
        """A batch of single-use codes for the promotion ``code``; all or none."""
        body = {"count": count, "prefix": prefix}
        return self._call("discounts", "POST", f"/api/discounts/{code}/codes/", json=body)["codes"]

    def issued_codes(
        self, code: str, *, status: str | None = None, page_size: int = 1000
    ) -> list[IssuedCodeRow]:
        """Every code the promotion issued (the export: page after page, in the order made)."""
        params: dict[str, str] = {"page_size": str(page_size)}
        if status:
            params["status"] = status
        rows: list[IssuedCodeRow] = []
        page_number = 1
        while True:
            page = self._call(
                "discounts",
                "GET",
                f"/api/discounts/{code}/codes/",
                params={**params, "page": str(page_number)},
            )
            rows += [IssuedCodeRow(c["code"], c["status"], c["cart_id"]) for c in page["results"]]
            if not page.get("next"):
                return rows
            page_number += 1

    def deactivate_discount(self, code: str) -> DiscountRow:
        body = {"is_active": False}
        return _discount(self._call("discounts", "PATCH", f"/api/discounts/{code}/", json=body))

    def find_discount(self, code: str) -> DiscountRow | None:
        try:
            return _discount(self._call("discounts", "GET", f"/api/discounts/{code}/"))
        except ConsoleError as exc:
            if exc.code == "discount_not_found":
                return None
            raise

    def list_carts(self, *, page_size: int = 20) -> tuple[int, list[CartRow]]:
        """(how many carts exist, the first page of them)."""
        page = self._call("carts", "GET", "/api/carts/", params={"page_size": str(page_size)})
        rows = [CartRow(c["id"], Decimal(c["total"]), c["payment_status"]) for c in page["results"]]
        return page["count"], rows

    def put_on_sale(self, *, sku: str, name: str, prices: dict[str, Decimal]) -> ProductRow:
        body = {"sku": sku, "name": name, "prices": {c: f"{a:.2f}" for c, a in prices.items()}}
        return _product(self._call("products", "POST", "/api/products/", json=body))

    def reprice(self, sku: str, prices: dict[str, Decimal]) -> ProductRow:
        body = {"prices": {c: f"{a:.2f}" for c, a in prices.items()}}
        return _product(self._call("products", "PATCH", f"/api/products/{sku}/", json=body))

    def withdraw(self, sku: str) -> ProductRow:
        body = {"active": False}
        return _product(self._call("products", "PATCH", f"/api/products/{sku}/", json=body))

    def list_products(self, *, search: str = "") -> tuple[int, list[ProductRow]]:
        params = {"search": search} if search else {}
        page = self._call("products", "GET", "/api/products/", params=params)
        return page["count"], [_product(p) for p in page["results"]]

    def cancel_cart(self, cart_id: str, reason: str) -> CartRow:
        c = self._call("carts", "POST", f"/api/carts/{cart_id}/cancel/", json={"reason": reason})
        return CartRow(c["id"], Decimal(c["total"]), c["payment_status"])

    def refund_cart(self, cart_id: str, amount: Decimal, reason: str, key: str) -> RefundRow:
        r = self._call(
            "carts",
            "POST",
            f"/api/carts/{cart_id}/refunds/",
            json={"amount": f"{amount:.2f}", "reason": reason},
            headers={"Idempotency-Key": key},
        )
        return _refund(r)

    def cart_refunds(self, cart_id: str) -> list[RefundRow]:
        page = self._call("carts", "GET", f"/api/carts/{cart_id}/refunds/")
        return [_refund(r) for r in page["results"]]

    def find_payment(self, payment_id: str) -> PaymentRow | None:
        try:
            p = self._call("payments", "GET", f"/api/payments/{payment_id}/")
        except ConsoleError as exc:
            if exc.code == "payment_not_found":
                return None
            raise
        return PaymentRow(p["id"], p["reference"], Decimal(p["amount"]), p["status"])

    def _call(
        self, service: str, method: str, path: str, headers: dict | None = None, **kwargs: Any
    ) -> Any:
        target = self._services[service]
        if target is None:
            raise ValueError(f"the console has no {service} service configured")
        headers = {"Accept": "application/json", **(headers or {})}
        if target.token:
            headers["Authorization"] = f"Bearer {target.token}"
        response = self._session.request(
            method, target.url.rstrip("/") + path, headers=headers, timeout=TIMEOUT, **kwargs
        )
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            raise ConsoleError(
                response.status_code, problem.get("code", "unknown"), problem.get("detail", "")
            )
        return response.json()


def _discount(d: dict) -> DiscountRow:
    return DiscountRow(d["code"], d["kind"], Decimal(d["value"]), d["status"], d["times_redeemed"])


def _product(p: dict) -> ProductRow:
    prices = {currency: Decimal(amount) for currency, amount in p["prices"].items()}
    return ProductRow(p["sku"], p["name"], p["active"], prices)


def _refund(r: dict) -> RefundRow:
    return RefundRow(r["number"], r["kind"], Decimal(r["amount"]), r["status"])
