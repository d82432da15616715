"""The errors discount_service answers with; each carries a stable ``code``."""

from discounts.domain import Status
from servicekit.errors import Conflict, NotFound, ProblemError, Unprocessable


class DiscountNotFound(NotFound):
    code, title = "discount_not_found", "Discount not found"


class DiscountCodeTaken(Conflict):
    code, title = "discount_code_taken", "Discount code taken"


class InvalidDiscount(ProblemError):
    """A rule that needs the stored discount (e.g. under its row lock) was broken.

    Rendered like every other validation failure, with an ``errors`` dict.
    """

    status, code, title = 400, "validation_error", "Invalid input"
    default_detail = "One or more fields are invalid; see 'errors'."

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors=errors)


class DiscountNotRedeemable(Unprocessable):
    """Base of the refusals to redeem; the subclass says why."""


class DiscountNotStarted(DiscountNotRedeemable):
    code, title = "discount_not_started", "Discount not started"


class DiscountExpired(DiscountNotRedeemable):
    code, title = "discount_expired", "Discount expired"


class DiscountInactive(DiscountNotRedeemable):
    code, title = "discount_inactive", "Discount inactive"


class DiscountExhausted(DiscountNotRedeemable):
    code, title = "discount_exhausted", "Discount exhausted"


REFUSALS: dict[Status, type[DiscountNotRedeemable]] = {
    Status.SCHEDULED: DiscountNotStarted,
    Status.EXPIRED: DiscountExpired,
    Status.INACTIVE: DiscountInactive,
    Status.EXHAUSTED: DiscountExhausted,
}
