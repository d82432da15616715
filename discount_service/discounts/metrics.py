"""discount_service's business metrics (the HTTP and DB ones are servicekit's)."""

from prometheus_client import Counter

REDEMPTIONS = Counter(
    "discount_redemptions_total",
    "Redemption requests by result: created (a use taken), already_held (the cart held it: "
    "a retry), moved (the cart's use of a promotion moved to another of its codes), refused "
    "(the discount's status, a code another cart holds, a missing cart or a rule it fails).",
    ["result"],
)
RELEASES = Counter(
    "discount_releases_total",
    "Release requests by result: released (a use given back), nothing_held.",
    ["result"],
)
CHECKS = Counter(
    "discount_eligibility_checks_total",
    "Checks of a code against a cart by result: eligible, refused.",
    ["result"],
)
CODES_ISSUED = Counter(
    "discount_codes_issued_total",
    "Codes issued by single-use promotions.",
)
for _result in ("created", "already_held", "moved", "refused"):
    REDEMPTIONS.labels(_result)
for _result in ("released", "nothing_held"):
    RELEASES.labels(_result)
for _result in ("eligible", "refused"):
    CHECKS.labels(_result)
