"""What the consumer tests, the verifications and the teeth check share.

Matchers pin types and formats, never example values: an example value is only
what the mock server answers and what the verifier replays.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pact import match
from pact.match.matcher import AndMatcher

ROOT = Path(__file__).resolve().parent.parent
PACTS_DIR = ROOT / "pacts"
PACT_BIN = str(Path(os.environ.get("PACT_BIN", ROOT / ".venv" / "bin" / "pact")))

# The development tokens (servicekit.settings.DEV_TOKENS). Valid interactions send
# them as the example value under a regex matcher: the verifier replays the example,
# and the providers are verified running with development tokens.
TOKENS = {
    "DISCOUNT_ADMIN_TOKEN": "dev-admin-token",
    "DISCOUNT_SERVICE_TOKEN": "dev-discount-service-token",
    "PAYMENT_SERVICE_TOKEN": "dev-payment-service-token",
    "PAYMENT_LEDGER_TOKEN": "dev-payment-ledger-token",
    "CART_ADMIN_TOKEN": "dev-cart-admin-token",
    "CATALOG_ADMIN_TOKEN": "dev-catalog-admin-token",
}
WRONG_TOKEN = "not-a-valid-token"

# The pacts, each named <consumer>-<provider>.json; the provider name is checked
# against the file's own "provider" before anything is verified (the CLI does not).
PACTS = {
    "discount_service": [
        "cart_service-discount_service.json",
        "admin_console-discount_service.json",
    ],
    "payment_service": [
        "cart_service-payment_service.json",
        "admin_console-payment_service.json",
    ],
    "cart_service": ["storefront-cart_service.json", "admin_console-cart_service.json"],
    "catalog_service": [
        "cart_service-catalog_service.json",
        "admin_console-catalog_service.json",
    ],
}
SERVICE_OF = {
    "discount_service": "discount",
    "payment_service": "payment",
    "cart_service": "cart",
    "catalog_service": "catalog",
}

MONEY_RE = r"^\d+\.\d{2}$"
# DRF renders microseconds only when they are non-zero, and UTC as "Z".
TIMESTAMP_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"
BEARER_RE = r"^Bearer \S+$"
PROBLEM_JSON = "application/problem+json"


class _Money(AndMatcher):
    """pact-python's AndMatcher leaves the example out of the integration JSON, so
    the mock server would answer null; this one carries it, using only the public
    constructor and ``to_integration_json`` (no private attribute)."""

    def __init__(self, example: str) -> None:
        super().__init__(match.str(example), match.regex(example, regex=MONEY_RE), value=example)
        self.example = example

    def to_integration_json(self) -> dict:
        return {**super().to_integration_json(), "value": self.example}


def money(example: str):
    """A money string: JSON string type AND two fraction digits (a number 10.25 fails)."""
    return _Money(example)


def _check_money_matcher() -> None:
    """Fail at import, not with a puzzling mock-server answer, if pact-python's shape changes."""
    got = money("1.00").to_integration_json()
    rules = got.get("pact:matcher:type")
    if got.get("value") != "1.00" or not isinstance(rules, list) or len(rules) != 2:
        raise ImportError(
            "contracts.common.money: pact-python's AndMatcher integration JSON changed "
            f"(got {got!r}); re-check _Money against the installed pact-python"
        )


_check_money_matcher()


def timestamp(example: str = "2026-01-01T00:00:00Z"):
    return match.regex(example, regex=TIMESTAMP_RE)


def bearer(token: str):
    return match.regex(f"Bearer {token}", regex=BEARER_RE)


def problem(status: int, code: str, *, errors: dict | None = None) -> dict:
    """An RFC 9457 body: the ``code`` is exact (clients branch on it), the rest typed."""
    body = {
        "type": match.str("about:blank"),
        "title": match.str("Title"),
        "status": status,
        "detail": match.str("Detail."),
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def pact_provider_name(path: Path) -> str:
    import json

    return json.loads(path.read_text())["provider"]["name"]


def check_pact_name(path: Path, provider: str) -> None:
    """The verifier CLI verifies whatever pact file it is given, whoever the file names as
    provider: check that the file name names this provider before handing it over."""
    m = re.fullmatch(r"(?P<consumer>[a-z_]+)-(?P<provider>[a-z_]+)\.json", path.name)
    if not m or m["provider"] != provider:
        raise SystemExit(f"{path.name}: file name does not name provider {provider!r}")
    inside = pact_provider_name(path)
    if inside != provider:
        raise SystemExit(f"{path.name}: the pact's provider is {inside!r}, not {provider!r}")
