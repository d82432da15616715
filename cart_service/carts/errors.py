"""The errors cart_service answers with, each with its stable ``code``.

Imports nothing from Django: the provider clients raise these and are used
(and contract-tested) without Django settings.
"""

from __future__ import annotations

from servicekit.errors import Conflict, NotFound, ProblemError, ServiceUnavailable, Unprocessable


class CartNotFound(NotFound):
    code = "cart_not_found"
    title = "Cart not found"
    default_detail = "No cart has this id."


class ItemNotFound(NotFound):
    code = "item_not_found"
    title = "Item not found"
    default_detail = "The cart has no item with this id."


class CartNotEditable(Conflict):
    code = "cart_not_editable"
    title = "Cart not editable"
    default_detail = "The cart is paid and can no longer change."


class CartEmpty(Unprocessable):
    code = "cart_empty"
    title = "Cart is empty"
    default_detail = "Add at least one item before checking out."


class CartInvalid(ProblemError):
    """Input that is well-formed but breaks a cart rule (e.g. a merged quantity over 999)."""

    status = 400

    code = "validation_error"

    title = "Invalid input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__("One or more fields are invalid; see 'errors'.", errors={field: [message]})


# Discounts: the provider's refusals keep their codes at cart_service (422).
class DiscountRefused(Unprocessable):
    code = "discount_refused"
    title = "Discount refused"


class DiscountNotFound(DiscountRefused):
    code = "discount_not_found"
    title = "Discount not found"
    default_detail = "No discount has this code."


class DiscountExpired(DiscountRefused):
    code = "discount_expired"
    title = "Discount expired"
    default_detail = "The discount has expired."


class DiscountInactive(DiscountRefused):
    code = "discount_inactive"
    title = "Discount inactive"
    default_detail = "The discount has been deactivated."


class DiscountExhausted(DiscountRefused):
    code = "discount_exhausted"
    title = "Discount exhausted"
    default_detail = "The discount has reached its maximum number of redemptions."


class DiscountCurrencyMismatch(DiscountRefused):
    code = "discount_currency_mismatch"
    title = "Discount currency mismatch"
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


class CatalogServiceUnavailable(ServiceUnavailable):
    code = "catalog_service_unavailable"
    title = "Catalog service unavailable"
    default_detail = "The catalog service did not answer usefully; nothing was changed."


class DiscountServiceUnavailable(ServiceUnavailable):
    code = "discount_service_unavailable"
    title = "Discount service unavailable"
    default_detail = "The discount service did not answer usefully; try again later."


class PaymentServiceUnavailable(ServiceUnavailable):
    code = "payment_service_unavailable"
    title = "Payment service unavailable"
    default_detail = "The payment service did not answer usefully; try again later."


class PaymentKeyReused(PaymentServiceUnavailable):
    """422 ``idempotency_key_reused``: the key holds another body; settled by the reference."""


class PaymentRefused(ProblemError):
    """payment_service refused the charge for good (a 4xx): nothing was charged."""

    status = 502

    code = "payment_refused"

    title = "Payment refused"
    default_detail = (
        "The payment service refused the charge, so nothing was charged; "
        "the cart may be checked out again."
    )


class PaymentMismatch(Conflict):
    code = "payment_mismatch"
    title = "Payment does not match the cart"
    default_detail = (
        "The payment service recorded a payment of another amount or currency than the "
        "cart's total; the cart is held until an operator settles it."
    )
