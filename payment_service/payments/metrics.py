"""payment_service's business metrics (the HTTP and DB ones are servicekit's)."""

from prometheus_client import Counter

PAYMENTS = Counter(
    "payments_total",
    "Payments taken, by status (succeeded, declined); replays are not counted again.",
    ["status"],
)
REPLAYS = Counter(
    "payment_idempotent_replays_total",
    "Requests answered with the stored response of an earlier one with the same "
    "Idempotency-Key and body.",
)
REFUNDS = Counter(
    "payment_refunds_total",
    "Refunds made, by status (succeeded; failed: declined by the processor, nothing given "
    "back); replays are not counted again.",
    ["status"],
)
REFUNDED = Counter(
    "payment_refunded_amount_total",
    "Money given back by succeeded refunds, by currency (in units of the currency).",
    ["currency"],
)
CONFLICTS = Counter(
    "payment_idempotency_conflicts_total",
    "Requests refused because of their Idempotency-Key, by code: idempotency_key_in_use "
    "(409, the same request is in flight), idempotency_key_reused (422, another body).",
    ["code"],
)
for _status in ("succeeded", "declined"):
    PAYMENTS.labels(_status)
for _status in ("succeeded", "failed"):
    REFUNDS.labels(_status)
for _code in ("idempotency_key_in_use", "idempotency_key_reused"):
    CONFLICTS.labels(_code)
