"""The errors discount_service answers with; each carries a stable ``code``."""

from discounts.domain import Status
from servicekit.errors import Conflict, NotFound, ProblemError, Unprocessable


class DiscountNotFound(NotFound):
    code = "discount_not_found"
    title = "Discount not found"


class DiscountCodeTaken(Conflict):
    code = "discount_code_taken"
    title = "Discount code taken"


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
    """Base of the refusals to redeem; the subclass says why."""


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


REFUSALS: dict[Status, type[DiscountNotRedeemable]] = {
    Status.SCHEDULED: DiscountNotStarted,
    Status.EXPIRED: DiscountExpired,
    Status.INACTIVE: DiscountInactive,
    Status.EXHAUSTED: DiscountExhausted,
}
