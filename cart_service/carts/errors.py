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
    # The members of discount_service's problem a storefront acts on, passed on as they came.
    extensions: tuple[str, ...] = ()
    # A refusal of a code that exists, for what the cart holds (under a minimum, no line the
    # code is for): the shopper fixes the cart, not the code, and a storefront applies the
    # code again as the cart changes ("add 12.50 more"), so it is no guess
    # (carts/throttle.py counts the others).
    about_the_cart = False

    @classmethod
    def from_problem(cls, body: dict) -> DiscountRefused:
        """The refusal discount_service answered, with its detail and extensions. A refusal
        answered under another code (``discount_not_started`` is ``discount_not_found`` to
        shoppers) keeps its own detail: the provider's would say what the code hides."""
        detail = body.get("detail") if body.get("code") == cls.code else None
        extra = {name: body[name] for name in cls.extensions if name in body}
        return cls(detail if isinstance(detail, str) and detail else None, **extra)


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


class DiscountCodeUsed(DiscountRefused):
    code = "discount_code_used"
    title = "Discount code used"
    default_detail = "This single-use code has been used by another cart."


class DiscountMinimumNotMet(DiscountRefused):
    code = "discount_minimum_not_met"
    title = "Discount minimum not met"
    default_detail = "The cart's subtotal is under the discount's minimum."
    extensions = ("minimum_subtotal", "currency", "missing")
    about_the_cart = True


class DiscountMinimumItemsNotMet(DiscountRefused):
    code = "discount_minimum_items_not_met"
    title = "Discount minimum items not met"
    default_detail = "The cart has fewer items than the discount asks for."
    extensions = ("minimum_items", "missing_items")
    about_the_cart = True


class DiscountNotApplicable(DiscountRefused):
    code = "discount_not_applicable"
    title = "Discount not applicable"
    default_detail = "No line of the cart is of a product the discount is for."
    extensions = ("skus",)
    about_the_cart = True


DISCOUNT_REFUSALS: dict[str, type[DiscountRefused]] = {
    cls.code: cls
    for cls in (
        DiscountNotFound,
        DiscountExpired,
        DiscountInactive,
        DiscountExhausted,
        DiscountCodeUsed,
        DiscountCurrencyMismatch,
        DiscountMinimumNotMet,
        DiscountMinimumItemsNotMet,
        DiscountNotApplicable,
    )
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


# Products and their prices: every line is priced by catalog_service.
class ProductRefused(Unprocessable):
    """A line the catalog cannot price for this cart; the problem names its ``sku``."""

    code = "product_refused"
    title = "Product refused"

    def __init__(self, sku: str, detail: str | None = None) -> None:
        super().__init__(detail, sku=sku)


class ProductNotFound(ProductRefused):
    code = "product_not_found"
    title = "Product not found"
    default_detail = "The catalog has no product with this sku."


class ProductInactive(ProductRefused):
    code = "product_inactive"
    title = "Product not sold any more"
    default_detail = "The product is no longer sold."


class ProductNotSoldInCurrency(ProductRefused):
    code = "product_not_sold_in_currency"
    title = "Product not sold in the cart's currency"
    default_detail = "The product has no price in the cart's currency."


class PriceChanged(Conflict):
    """The shopper said which price they saw, and the catalog's is another: nothing added.
    The problem names the ``sku`` and its current ``unit_price``."""

    code = "price_changed"
    title = "Price changed"
    default_detail = "The product's price is not the one sent; nothing was added."

    def __init__(self, sku: str, unit_price: str) -> None:
        super().__init__(
            f"The price of {sku!r} is {unit_price} now; nothing was added.",
            sku=sku,
            unit_price=unit_price,
        )


class PricesChanged(Conflict):
    """At checkout, the catalog's prices of some lines moved since they were last checked:
    the lines were re-priced, nothing was charged. The view adds the re-priced ``cart``."""

    code = "prices_changed"
    title = "Prices changed"
    default_detail = (
        "Some prices changed since the cart was last priced; the cart was re-priced and "
        "nothing was charged. Check the new total and check out again."
    )

    def __init__(self, cart: object, skus: list[str]) -> None:
        super().__init__(skus=skus)
        self.cart = cart


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


class PaymentBeingConfirmed(ServiceUnavailable):
    """The charge succeeded but cart_service's database could not record it (yet)."""

    code = "payment_being_confirmed"
    title = "Payment being confirmed"
    default_detail = (
        "The payment was taken, but the cart could not be marked paid yet. Check out again "
        "in a moment to see it paid: nothing will be charged again."
    )
    retry_after = 2


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


class RefundRefused(ProblemError):
    """payment_service refused a refund for good (a 4xx, or the processor declined it):
    nothing was given back. ``reason`` is payment_service's code (or refund_declined)."""

    status = 502

    code = "refund_refused"

    title = "Refund refused"
    default_detail = "The payment service refused the refund; nothing was given back."

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(detail, reason=reason)
        self.reason = reason


class CartNotPaid(Conflict):
    code = "cart_not_paid"
    title = "Cart not paid"
    default_detail = "Only a paid cart can be refunded or cancelled."


class CartCancelled(Conflict):
    code = "cart_cancelled"
    title = "Cart cancelled"
    default_detail = "The cart was cancelled and refunded; it cannot be checked out or refunded."


class RefundInProgress(Conflict):
    code = "refund_in_progress"
    title = "Refund in progress"
    default_detail = (
        "Another refund of this cart is being settled with the payment service; try again "
        "once it is (or send the same request again to finish it)."
    )


class RefundKeyReused(Unprocessable):
    """The operator's Idempotency-Key names an earlier refund of another amount or reason."""

    code = "idempotency_key_reused"
    title = "Idempotency key reused"
    default_detail = (
        "This Idempotency-Key was sent with another refund (another amount or reason); "
        "nothing was done. Use a new key for a new refund."
    )


class RefundExceedsPaid(Unprocessable):
    code = "refund_exceeds_paid"
    title = "Refund exceeds what was paid"
    default_detail = "The refund is more than what is left of the cart's payment."


class PaymentMismatch(Conflict):
    code = "payment_mismatch"
    title = "Payment does not match the cart"
    default_detail = (
        "The payment service recorded a payment of another amount or currency than the "
        "cart's total; the cart is held until an operator settles it."
    )
