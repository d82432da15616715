"""The errors cart_service answers with, each with its stable ``code``.

Imports nothing from Django: the provider clients raise these and are used
(and contract-tested) without Django settings.
"""

from __future__ import annotations

from servicekit.errors import Conflict, NotFound, ProblemError, ServiceUnavailable, Unprocessable


class CartNotFound(NotFound):
    code, title = "cart_not_found", "Cart not found"
    default_detail = "No cart has this id."


class ItemNotFound(NotFound):
    code, title = "item_not_found", "Item not found"
    default_detail = "The cart has no item with this id."


class CartNotEditable(Conflict):
    code, title = "cart_not_editable", "Cart not editable"
    default_detail = "The cart is paid and can no longer change."


class CartEmpty(Unprocessable):
    code, title = "cart_empty", "Cart is empty"
    default_detail = "Add at least one item before checking out."


class CartInvalid(ProblemError):
    """Input that is well-formed but breaks a cart rule (e.g. a merged quantity over 999)."""

    status, code, title = 400, "validation_error", "Invalid input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__("One or more fields are invalid; see 'errors'.", errors={field: [message]})


# Discounts: the provider's refusals keep their codes at cart_service (422).
class DiscountRefused(Unprocessable):
    code, title = "discount_refused", "Discount refused"


class DiscountNotFound(DiscountRefused):
    code, title = "discount_not_found", "Discount not found"
    default_detail = "No discount has this code."


class DiscountExpired(DiscountRefused):
    code, title = "discount_expired", "Discount expired"
    default_detail = "The discount has expired."


class DiscountInactive(DiscountRefused):
    code, title = "discount_inactive", "Discount inactive"
    default_detail = "The discount has been deactivated."


class DiscountExhausted(DiscountRefused):
    code, title = "discount_exhausted", "Discount exhausted"
    default_detail = "The discount has reached its maximum number of redemptions."


class DiscountCurrencyMismatch(DiscountRefused):
    code, title = "discount_currency_mismatch", "Discount currency mismatch"
    default_detail = "The fixed discount is in another currency than the cart."


DISCOUNT_REFUSALS: dict[str, type[DiscountRefused]] = {
    cls.code: cls
    for cls in (DiscountNotFound, DiscountExpired, DiscountInactive, DiscountExhausted)
}
# A promotion that has not started yet is not revealed to anonymous callers: to them it
# is a code that does not exist (what a guesser would otherwise learn from trying codes).
DISCOUNT_REFUSALS["discount_not_started"] = DiscountNotFound
# A discount's computed status, when it is not "active", and the refusal it means.
DISCOUNT_STATUS_REFUSALS: dict[str, type[DiscountRefused]] = {
    "scheduled": DiscountNotFound,
    "expired": DiscountExpired,
    "inactive": DiscountInactive,
    "exhausted": DiscountExhausted,
}


class DiscountServiceUnavailable(ServiceUnavailable):
    code, title = "discount_service_unavailable", "Discount service unavailable"
    default_detail = "The discount service did not answer usefully; try again later."


class PaymentServiceUnavailable(ServiceUnavailable):
    code, title = "payment_service_unavailable", "Payment service unavailable"
    default_detail = "The payment service did not answer usefully; try again later."


class PaymentKeyReused(PaymentServiceUnavailable):
    """422 ``idempotency_key_reused``: the key holds another body; settled by the reference."""


class PaymentRefused(ProblemError):
    """payment_service refused the charge for good (a 4xx): nothing was charged."""

    status, code, title = 502, "payment_refused", "Payment refused"
    default_detail = (
        "The payment service refused the charge, so nothing was charged; "
        "the cart may be checked out again."
    )


class PaymentMismatch(Conflict):
    code, title = "payment_mismatch", "Payment does not match the cart"
    default_detail = (
        "The payment service recorded a payment of another amount or currency than the "
        "cart's total; the cart is held until an operator settles it."
    )
