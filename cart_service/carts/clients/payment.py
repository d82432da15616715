"""Client of payment_service: charge with an Idempotency-Key, read payments back."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Literal

from carts import errors
from carts.clients.http import ProviderClient, error_code
from carts.clients.replies import Money, Reply, Text, Timestamp
from carts.clients.wiring import shared_client
from servicekit.money import format_money

logger = logging.getLogger(__name__)

# 4xx answers that do not mean "refused for good": our token is wrong (an operator fixes it,
# then the attempt is finished), a timeout, the key still in use, rate limiting.
TRANSIENT = {401, 403, 408, 409, 429}
# payment_service's refusals of a refund that are final: nothing was given back, and
# repeating the same request cannot change that.
REFUND_REFUSALS = {
    "refund_exceeds_remaining",
    "payment_not_refundable",
    "refund_currency_mismatch",
    "payment_not_found",
}
# Follow at most this many pages of a listing; a cart has a handful of payments.
MAX_PAGES = 20


class Payment(Reply):
    id: Text
    reference: Text
    amount: Money
    currency: Text
    status: Literal["succeeded", "declined"]
    decline_code: Text | None
    created_at: Timestamp | None = None  # required in listings, where attempts are told apart


class ListedPayment(Payment):
    created_at: Timestamp


class PaymentPage(Reply):
    results: list[ListedPayment]
    next: Text | None


class Refund(Reply):
    id: Text
    payment_id: Text
    amount: Money
    currency: Text
    status: Literal["succeeded", "failed"]
    failure_code: Text | None


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
            return self.reply(Payment, response)
        code = error_code(response)
        if response.status_code == 422 and code == "idempotency_key_reused":
            # We never send one key with two bodies; if it happens it is our bug, logged loud.
            self.log_unusable(
                response, f"idempotency key {idempotency_key!r} reused with another body"
            )
            raise errors.PaymentKeyReused()
        if 400 <= response.status_code < 500 and code and response.status_code not in TRANSIENT:
            self.log_unusable(
                response, f"charge refused for good (HTTP {response.status_code} {code})"
            )
            raise errors.PaymentRefused(
                f"The payment service refused the charge ({code}); nothing was charged."
            )
        self.fail(response, f"unexpected HTTP {response.status_code}")

    def refund(
        self, *, payment_id: str, amount: Decimal, reason: str, idempotency_key: str
    ) -> Refund:
        """Give ``amount`` of the payment back. A refund the processor declines is a Refund
        too (status "failed"). Retried safely under its Idempotency-Key.

        RefundRefused: a 4xx that means nothing was given back and repeating cannot help
        (more than what is left, a payment not refundable); its ``code`` is payment_service's.
        """
        response = self.request(
            "POST",
            self.url("api", "payments", payment_id, "refunds"),
            json_body={"amount": format_money(amount), "reason": reason},
            headers={"Idempotency-Key": idempotency_key},
            idempotent=True,  # by contract, thanks to the Idempotency-Key
        )
        if response.status_code in (200, 201):
            return self.reply(Refund, response)
        code = error_code(response)
        if code in REFUND_REFUSALS and response.status_code in (404, 422):
            self.log_unusable(response, f"refund refused for good ({code})")
            raise errors.RefundRefused(code)
        self.fail(response, f"unexpected HTTP {response.status_code} (code {code!r})")

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
                self.fail(response, f"unexpected HTTP {response.status_code}")
            page = self.reply(PaymentPage, response)
            payments.extend(page.results)
            url = page.next
            params = None  # "next" carries the query
        return payments


def from_settings() -> PaymentClient:
    """This process's client, configured from Django settings (read now, not at import)."""
    from django.conf import settings

    return shared_client(
        PaymentClient, settings.PAYMENT_SERVICE_URL, settings.PAYMENT_SERVICE_TOKEN
    )
