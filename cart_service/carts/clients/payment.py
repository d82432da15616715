"""Client of payment_service: charge with an Idempotency-Key, read payments back."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from carts import errors
from servicekit.money import format_money

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

STATUSES = {"succeeded", "declined"}
# 4xx answers that do not mean "refused for good": our token is wrong (an operator fixes it,
# then the attempt is finished), a timeout, the key still in use, rate limiting.
TRANSIENT = {401, 403, 408, 409, 429}
# Follow at most this many pages of a listing; a cart has a handful of payments.
MAX_PAGES = 20


@dataclass(frozen=True)
class Payment:
    id: str
    reference: str
    amount: Decimal
    currency: str
    status: str
    decline_code: str | None
    created_at: datetime | None = None  # read from listings, where attempts are told apart


class PaymentClient(ProviderClient):
    provider = "payment_service"
    unavailable = errors.PaymentServiceUnavailable

    def charge(
        self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> Payment:
        """Take a payment. A decline is a payment (status "declined"), not an error.

        Retried safely: payment_service answers a repeated key with the original result.
        PaymentRefused: a 4xx that means nothing was charged and repeating cannot help.
        PaymentKeyReused: the key was used with another body (look the reference up).
        """
        response = self.request(
            "POST",
            self.url("api", "payments"),
            json_body={
                "reference": reference,
                "amount": format_money(amount),
                "currency": currency,
            },
            headers={"Idempotency-Key": idempotency_key},
            idempotent=True,  # by contract, thanks to the Idempotency-Key
        )
        if response.status_code in (200, 201):
            return self._payment(response, self.body(response))
        code = error_code(response)
        if response.status_code == 422 and code == "idempotency_key_reused":
            # We never send one key with two bodies; if it happens it is our bug, logged loud.
            self.fail(response, f"idempotency key {idempotency_key!r} reused with another body")
            raise errors.PaymentKeyReused()
        if 400 <= response.status_code < 500 and code and response.status_code not in TRANSIENT:
            self.fail(response, f"charge refused for good (HTTP {response.status_code} {code})")
            raise errors.PaymentRefused(
                f"The payment service refused the charge ({code}); nothing was charged."
            )
        raise self.fail(response, f"unexpected HTTP {response.status_code}")

    def list_by_reference(self, reference: str) -> list[Payment]:
        """Every payment carrying this reference, following the pages."""
        payments: list[Payment] = []
        url: str | None = self.url("api", "payments")
        params: dict[str, str] | None = {"reference": reference, "page_size": "100"}
        for _ in range(MAX_PAGES):
            if url is None:
                break
            response = self.request("GET", url, params=params, idempotent=True)
            if response.status_code != 200:
                raise self.fail(response, f"unexpected HTTP {response.status_code}")
            page = self.body(response)
            results, url = page.get("results"), page.get("next")
            if not isinstance(results, list) or not (url is None or isinstance(url, str)):
                raise self.fail(response, "not a page of payments")
            payments.extend(self._payment(response, item, listed=True) for item in results)
            params = None  # "next" carries the query
        return payments

    def _payment(self, response, data: object, *, listed: bool = False) -> Payment:
        try:
            if not isinstance(data, dict):
                raise MalformedResponse("a payment must be a JSON object")
            return Payment(
                id=read_str(data, "id"),
                reference=read_str(data, "reference"),
                amount=read_money(data, "amount"),
                currency=read_str(data, "currency"),
                status=read_choice(data, "status", STATUSES),
                decline_code=read_str(data, "decline_code", nullable=True),
                created_at=read_datetime(data, "created_at") if listed else None,
            )
        except MalformedResponse as exc:
            raise self.fail(response, str(exc)) from None


def from_settings() -> PaymentClient:
    """This process's client, configured from Django settings (read now, not at import)."""
    from django.conf import settings

    return shared_client(
        PaymentClient, settings.PAYMENT_SERVICE_URL, settings.PAYMENT_SERVICE_TOKEN
    )
