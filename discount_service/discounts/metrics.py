"""discount_service's business metrics (the HTTP and DB ones are servicekit's)."""

from prometheus_client import Counter

REDEMPTIONS = Counter(
    "discount_redemptions_total",
    "Redemption requests by result: created (a use taken), already_held (the cart held it: "
    "a retry), refused (expired, not started, inactive or exhausted).",
    ["result"],
)
RELEASES = Counter(
    "discount_releases_total",
    "Release requests by result: released (a use given back), nothing_held.",
    ["result"],
)
for _result in ("created", "already_held", "refused"):
    REDEMPTIONS.labels(_result)
for _result in ("released", "nothing_held"):
    RELEASES.labels(_result)
