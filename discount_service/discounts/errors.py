"""The errors discount_service answers with; each carries a stable ``code``."""

from discounts.domain import Refusal, Refused
from servicekit.errors import Conflict, NotFound, ProblemError, Unprocessable


class DiscountNotFound(NotFound):
    code = "discount_not_found"
    title = "Discount not found"


class DiscountCodeTaken(Conflict):
    code = "discount_code_taken"
    title = "Discount code taken"


class DiscountNotSingleUse(Conflict):
    code = "discount_not_single_use"
    title = "Discount not single-use"
    default_detail = "Only a single_use_codes promotion issues codes."


class InvalidDiscount(ProblemError):
    """A rule that needs the stored discount (e.g. under its row lock) was broken.

    Rendered like every other validation failure, with an ``errors`` dict.
    """

    status = 400

    code = "validation_error"

    title = "Invalid input"
    default_detail = "One or more fields are invalid; see 'errors'."

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors=errors)


class DiscountNotRedeemable(Unprocessable):
    """Base of the refusals to grant a code; the subclass says why. A rule's refusal carries
    the facts a storefront acts on as extension members (``missing``, ``skus``, ...)."""


class DiscountNotStarted(DiscountNotRedeemable):
    code = "discount_not_started"
    title = "Discount not started"


class DiscountExpired(DiscountNotRedeemable):
    code = "discount_expired"
    title = "Discount expired"


class DiscountInactive(DiscountNotRedeemable):
    code = "discount_inactive"
    title = "Discount inactive"


class DiscountExhausted(DiscountNotRedeemable):
    code = "discount_exhausted"
    title = "Discount exhausted"


class DiscountCodeUsed(DiscountNotRedeemable):
    code = "discount_code_used"
    title = "Discount code used"


class DiscountCartRequired(DiscountNotRedeemable):
    code = "discount_cart_required"
    title = "Discount cart required"


class DiscountCurrencyMismatch(DiscountNotRedeemable):
    code = "discount_currency_mismatch"
    title = "Discount currency mismatch"


class DiscountMinimumNotMet(DiscountNotRedeemable):
    code = "discount_minimum_not_met"
    title = "Discount minimum not met"


class DiscountMinimumItemsNotMet(DiscountNotRedeemable):
    code = "discount_minimum_items_not_met"
    title = "Discount minimum items not met"


class DiscountNotApplicable(DiscountNotRedeemable):
    code = "discount_not_applicable"
    title = "Discount not applicable"


REFUSALS: dict[Refusal, type[DiscountNotRedeemable]] = {
    Refusal.NOT_STARTED: DiscountNotStarted,
    Refusal.EXPIRED: DiscountExpired,
    Refusal.INACTIVE: DiscountInactive,
    Refusal.EXHAUSTED: DiscountExhausted,
    Refusal.CODE_USED: DiscountCodeUsed,
    Refusal.CART_REQUIRED: DiscountCartRequired,
    Refusal.CURRENCY: DiscountCurrencyMismatch,
    Refusal.MINIMUM_SUBTOTAL: DiscountMinimumNotMet,
    Refusal.MINIMUM_ITEMS: DiscountMinimumItemsNotMet,
    Refusal.SKUS: DiscountNotApplicable,
}


def refused(refusal: Refused) -> DiscountNotRedeemable:
    """The problem a refusal is answered with, its facts as extension members."""
    return REFUSALS[refusal.reason](refusal.detail, **refusal.facts)
