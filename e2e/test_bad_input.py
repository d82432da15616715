"""Bad input against every endpoint of the running services: a 4xx problem, nothing changed.

Wrong methods, wrong or missing content types, oversized and deeply nested bodies,
Unicode look-alikes, huge numbers, exponents, negative zero, overlong headers and ids.
Every answer must be a 4xx ``application/problem+json`` (never HTML, never a 5xx), and
every table of the three databases must hold the same rows afterwards. Process stack only:
the snapshot reads the databases. Requests come from 127.0.0.6, so the code refusals they
cause are not counted against the other journeys' address (127.0.0.1).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from dataclasses import dataclass, field

import pytest

from harness.api_client import ApiError, CatalogAdminClient, DiscountAdminClient, StorefrontClient
from harness.loopback import session_from
from harness.tokens import TOKENS

pytestmark = pytest.mark.processes
BIG = 3 * 1024 * 1024  # over the 2.5 MiB Django reads into memory
DEEP = "[" * 100_000
DEEP_OBJECT = '{"a":' * 50_000
LONG = "x" * 7000  # within gunicorn's 8190-byte header line, so Django answers
# The throttle's counters exist to count attempts (refused codes, creates): the one table allowed to change.
COUNTERS = {"carts_throttle_counts"}
BEARER = {
    "admin": {"Authorization": f"Bearer {TOKENS['DISCOUNT_ADMIN_TOKEN']}"},
    "service": {"Authorization": f"Bearer {TOKENS['DISCOUNT_SERVICE_TOKEN']}"},
    "payment": {"Authorization": f"Bearer {TOKENS['PAYMENT_SERVICE_TOKEN']}"},
    "cart_admin": {"Authorization": f"Bearer {TOKENS['CART_ADMIN_TOKEN']}"},
}
UNICODE_MONEY = ["\u0661\u0660.\u0665\u0660", "\uff11\uff10.\uff10\uff10", "\u0967\u0966"]
UNICODE_CODES = ["\u017fave10", "sav\u013110", "\uff33\uff21\uff36\uff25\uff11\uff10"]
# JSON numbers written as text: huge, tiny, exponents, negative zero, over int's digit limit
NUMBERS = ["1e400", "1e-400", "1E+30", "-1.0", "1" + "0" * 5000, "1.2345e1", "NaN", "Infinity"]


@dataclass
class Case:
    method: str
    path: str
    body: bytes | str | None = None
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        shown = self.body if isinstance(self.body, str) else repr(self.body)
        shown = shown if len(shown or "") < 120 else f"{shown[:60]}...({len(shown)} chars)"
        return f"{self.method} {self.path[:60]} [{self.content_type}] {shown!r}"


def json_with(template: dict, key: str, raw_value: str) -> str:
    """``template`` as JSON with ``key`` set to ``raw_value`` written verbatim (a number)."""
    return json.dumps({**template, key: "__RAW__"}).replace('"__RAW__"', raw_value)


def common_cases() -> list[Case]:
    cases = []
    for path in ("/health/live", "/health/ready"):
        cases += [Case(m, path) for m in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS")]
    for path in ("/api/schema/", "/api/docs/"):
        cases += [Case(m, path, "{}") for m in ("POST", "PUT", "PATCH", "DELETE")]
    cases += [
        Case("GET", "/nowhere/" + LONG[:3000]),
        Case("GET", "/health/live/extra"),
        Case("GET", "/api/", headers={"X-Request-ID": "id\u00e9"}),
    ]
    return cases


def body_cases(method: str, path: str, valid: dict, headers: dict, numbers: str | None) -> list:
    """The body attacks on one endpoint that takes JSON; ``numbers`` names a numeric field."""
    plain = json.dumps(valid)
    cases = [
        Case(method, path, plain, "text/plain", headers),
        Case(method, path, "<a/>", "application/xml", headers),
        Case(method, path, "a=1", "application/x-www-form-urlencoded", headers),
        Case(method, path, plain.encode("utf-16"), "application/json", headers),
        Case(method, path, b"\xff\xfe{", "application/json", headers),
        Case(method, path, "x" * BIG, "application/json", headers),
        Case(method, path, DEEP, "application/json", headers),
        Case(method, path, DEEP_OBJECT, "application/json", headers),
        Case(method, path, "[]", "application/json", headers),
        Case(method, path, "null", "application/json", headers),
    ]
    if numbers:
        cases += [
            Case(method, path, json_with(valid, numbers, n), headers=headers) for n in NUMBERS
        ]
        cases += [
            Case(method, path, json.dumps({**valid, numbers: u}), headers=headers)
            for u in UNICODE_MONEY
        ]
    return cases


def discount_cases(code: str) -> list[Case]:
    admin, service = BEARER["admin"], BEARER["service"]
    new = {"code": "BADIN-NEW", "kind": "percent", "value": "10.00"}
    cart = str(uuid.uuid4())
    cases = body_cases("POST", "/api/discounts/", new, admin, "value")
    cases += body_cases("PATCH", f"/api/discounts/{code}/", {"max_redemptions": 5}, admin, None)
    cases += body_cases(
        "POST", f"/api/discounts/{code}/redemptions/", {"cart_id": cart}, service, None
    )
    cases += [
        Case("POST", "/api/discounts/", json.dumps({**new, "code": c}), headers=admin)
        for c in UNICODE_CODES
    ]
    cases += [
        Case("PATCH", f"/api/discounts/{code}/", json_with({}, "max_redemptions", n), headers=admin)
        for n in ("1e3", "-0", "1" + "0" * 40, "2.5")
    ]
    cases += [
        Case("GET", f"/api/discounts/{c}/", headers=service) for c in [*UNICODE_CODES, LONG[:3000]]
    ]
    cases += [
        Case("DELETE", "/api/discounts/", headers=admin),
        Case("PUT", f"/api/discounts/{code}/", "{}", headers=admin),
        Case("DELETE", f"/api/discounts/{code}/", headers=admin),
        Case("GET", f"/api/discounts/{code}/redemptions/", headers=service),
        Case("DELETE", f"/api/discounts/{code}/redemptions/{LONG[:3000]}/", headers=service),
        Case("POST", f"/api/discounts/{code}/redemptions/", "{}", headers=admin),
        Case("GET", "/api/discounts/", headers={"Authorization": "Bearer " + LONG}),
        Case("GET", "/api/discounts/", headers={"Authorization": "Basic " + LONG}),
        Case("GET", "/api/discounts/?page=1e3", headers=admin),
        Case("GET", "/api/discounts/?page_size=-0", headers=admin),
        Case("GET", "/api/discounts/?is_active=maybe", headers=admin),
    ]
    return cases


def payment_cases(payment_id: str) -> list[Case]:
    token = BEARER["payment"]
    keyed = {**token, "Idempotency-Key": str(uuid.uuid4())}
    body = {"reference": "badin", "amount": "10.00", "currency": "USD"}
    cases = body_cases("POST", "/api/payments/", body, keyed, "amount")
    cases += [
        Case("POST", "/api/payments/", json.dumps(body), headers=token),
        Case(
            "POST", "/api/payments/", json.dumps(body), headers={**token, "Idempotency-Key": LONG}
        ),
        Case("POST", "/api/payments/", json.dumps({**body, "amount": "-0.00"}), headers=keyed),
        Case("POST", "/api/payments/", json.dumps({**body, "currency": "\uff35SD"}), headers=keyed),
        Case("GET", f"/api/payments/{LONG[:3000]}/", headers=token),
        Case("GET", f"/api/payments/{str(uuid.uuid4()).upper()}/", headers=token),
        Case("GET", f"/api/payments/{payment_id}/", headers={"Authorization": "Bearer " + LONG}),
        Case("DELETE", f"/api/payments/{payment_id}/", headers=token),
        Case("PUT", "/api/payments/", "{}", headers=token),
        Case("GET", "/api/payments/?page_size=1e2", headers=token),
    ]
    return cases


def cart_cases(cart_id: str, item_id: str) -> list[Case]:
    carts = "/api/carts/"
    item = {"sku": "MUG-1", "unit_price": "7.50", "quantity": 1}  # on sale (the fixture)
    cases = body_cases("POST", carts, {"currency": "USD", "items": [item]}, {}, None)
    cases += body_cases("POST", f"{carts}{cart_id}/items/", item, {}, "unit_price")
    cases += body_cases("POST", f"{carts}{cart_id}/items/", item, {}, "quantity")
    cases += body_cases("PATCH", f"{carts}{cart_id}/items/{item_id}/", {"quantity": 2}, {}, None)
    cases += body_cases("PUT", f"{carts}{cart_id}/discount/", {"code": "X"}, {}, None)
    cases += [
        Case("PUT", f"{carts}{cart_id}/discount/", json.dumps({"code": c})) for c in UNICODE_CODES
    ]
    cases += [
        Case("PATCH", f"{carts}{cart_id}/items/{item_id}/", json_with({}, "quantity", n))
        for n in ("-0", "1e3", "0.5", "1" + "0" * 30)
    ]
    cases += [
        Case("POST", carts, json.dumps({"currency": "\uff35SD"})),
        Case("POST", carts, json.dumps({"currency": "USD", "items": [item] * 5000})),
        Case("GET", carts),
        Case("GET", carts, headers={"Authorization": "Bearer " + LONG}),
        Case("GET", carts + "?page=0", headers=BEARER["cart_admin"]),
        Case("GET", f"{carts}{LONG[:3000]}/"),
        Case("GET", f"{carts}{cart_id}\n/"),
        Case("DELETE", f"{carts}{cart_id}/"),
        Case("PUT", f"{carts}{cart_id}/", "{}"),
        Case("GET", f"{carts}{cart_id}/checkout/"),
        Case("PUT", f"{carts}{cart_id}/checkout/", "{}"),
        Case("GET", f"{carts}{cart_id}/items/{item_id}/"),
        Case("DELETE", f"{carts}{cart_id}/items/{LONG[:3000]}/"),
        Case("POST", f"{carts}{cart_id}/discount/", "{}"),
        Case("POST", f"{carts}{uuid.uuid4()}/checkout/", headers={"X-Request-ID": LONG}),
    ]
    return cases


def snapshot(process_stack) -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row, per table of every service's database."""
    import psycopg  # process stack only: the compose runner's image has no driver
    from psycopg import sql

    tables = {}
    for name in ("catalog", "discount", "payment", "cart"):
        with psycopg.connect(process_stack.cluster.url(name)) as conn:
            names = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            ).fetchall()
            for (table,) in names:
                if table in COUNTERS:
                    continue
                rows = conn.execute(
                    sql.SQL("SELECT t::text FROM {} AS t ORDER BY 1").format(sql.Identifier(table))
                ).fetchall()
                digest = hashlib.sha256("\n".join(r[0] for r in rows).encode()).hexdigest()
                tables[f"{name}.{table}"] = (len(rows), digest)
    return tables


def send(session, base: str, case: Case):
    headers = dict(case.headers)
    if case.content_type:
        headers["Content-Type"] = case.content_type
    data = case.body.encode() if isinstance(case.body, str) else case.body
    return session.request(case.method, base + case.path, data=data, headers=headers, timeout=30)


def is_problem(response) -> bool:
    if not (400 <= response.status_code < 500):
        return False
    if not response.headers.get("Content-Type", "").startswith("application/problem+json"):
        return False
    body = response.json()
    return body.get("status") == response.status_code and bool(body.get("code"))


@pytest.fixture(scope="module")
def fixtures(urls):
    """The resources the cases aim at, made before the first snapshot."""
    discounts = DiscountAdminClient(urls["discount"], token=TOKENS["DISCOUNT_ADMIN_TOKEN"])
    storefront = StorefrontClient(urls["cart"], session=session_from("127.0.0.6"))
    code = f"BADIN-{uuid.uuid4().hex[:8].upper()}"
    discounts.create(code=code, kind="percent", value="10.00")
    catalog = CatalogAdminClient(urls["catalog"], token=TOKENS["CATALOG_ADMIN_TOKEN"])
    with contextlib.suppress(ApiError):  # another module may have put it on sale already
        catalog.create("MUG-1", "Mug", {"USD": "7.50", "EUR": "6.90"})
    mug = {"sku": "MUG-1", "quantity": 1}
    cart = storefront.create_cart("USD", items=[mug])
    paid = storefront.checkout(storefront.create_cart("USD", items=[mug])["id"])
    return {
        "code": code,
        "cart_id": cart["id"],
        "item_id": cart["items"][0]["id"],
        "payment_id": paid["payment"]["id"],
    }


def all_cases(service: str, fx: dict) -> list[Case]:
    own = {
        "discount": lambda: discount_cases(fx["code"]),
        "payment": lambda: payment_cases(fx["payment_id"]),
        "cart": lambda: cart_cases(fx["cart_id"], fx["item_id"]),
    }[service]()
    return common_cases() + own


@pytest.mark.parametrize("service", ["discount", "payment", "cart"])
def test_bad_input_is_a_4xx_problem_and_changes_nothing(process_stack, urls, fixtures, service):
    cases = all_cases(service, fixtures)
    session = session_from("127.0.0.6")
    before = snapshot(process_stack)
    errors_logged = process_stack.log(service).count(" ERROR ")

    answers = [(case, send(session, urls[service], case)) for case in cases]

    wrong = [
        f"{case} -> {r.status_code} {r.headers.get('Content-Type')} {r.text[:120]!r}"
        for case, r in answers
        if not is_problem(r)
    ]
    assert wrong == [], "\n".join(wrong)
    assert snapshot(process_stack) == before
    assert process_stack.log(service).count(" ERROR ") == errors_logged  # client faults: no ERROR


def test_the_suite_covers_over_150_requests(fixtures):
    total = sum(len(all_cases(s, fixtures)) for s in ("discount", "payment", "cart"))

    assert total >= 150


@pytest.mark.parametrize("quantity", ["\u0967\u0966", "\uff12", "\u0662"])
def test_a_quantity_in_unicode_digits_is_refused(urls, fixtures, quantity):
    item = {"sku": "MUG-1", "quantity": quantity}
    case = Case("POST", f"/api/carts/{fixtures['cart_id']}/items/", json.dumps(item))

    assert is_problem(send(session_from("127.0.0.6"), urls["cart"], case))


@pytest.mark.parametrize("service", ["discount", "cart", "payment"])
@pytest.mark.parametrize(
    ("make_request", "status", "code"),
    [
        pytest.param(
            lambda path: ("GET", path, {"X-Long": "x" * 9000}),
            431,
            "headers_too_large",
            id="header-over-8190",
        ),
        pytest.param(
            lambda path: ("GET", path + "?q=" + "x" * 5000, {}),
            414,
            "uri_too_long",
            id="line-over-4094",
        ),
        pytest.param(
            lambda path: ("GET", path, {f"X-H{i}": "1" for i in range(120)}),
            431,
            "headers_too_large",
            id="over-100-headers",
        ),
    ],
)
def test_requests_the_server_cannot_parse_get_problem_json(
    urls, service, make_request, status, code
):
    # gunicorn refuses these before Django sees them; its own page would be HTML.
    method, path, headers = make_request("/health/live")

    response = session_from("127.0.0.6").request(
        method, urls[service] + path, headers=headers, timeout=30
    )

    assert response.status_code == status
    assert is_problem(response)
    assert response.json()["code"] == code
