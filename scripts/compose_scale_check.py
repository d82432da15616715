#!/usr/bin/env python3
"""What `make compose-scale` checks once the suite and the load have run (scripts/compose-scale.sh).

    python scripts/compose_scale_check.py probe --lb-cart-url URL --lb-discount-url URL
    python scripts/compose_scale_check.py stuck --lb-cart-url URL --lb-discount-url URL \
        --lb-catalog-url URL \
        --pause CONTAINER...
    python scripts/compose_scale_check.py report --lb-log FILE --replicas FILE --db-port PORT
    python scripts/compose_scale_check.py lb-down --url URL
    python scripts/compose_scale_check.py dns LOG...

``probe`` (before lb's log is read):
* what passes through the load balancer untouched: the client's X-Request-ID, and a
  service's own problem+json for bad input;
* one client, one keep-alive connection: 20 requests to each of cart and discount,
  request ids ``one-client-...``, which ``report`` finds in lb's log.

``stuck``: checkouts left unresolved, for the reconcilers to settle. Carts with a
discount code check out while payment's replicas are paused (``docker pause``): cart
gives up after its time budget with its own 503, the attempt unresolved; the replicas
are resumed and may then take the charges cart gave up on. Fails unless every cart is
settled (paid or failed) by the reconcilers within a budget; ``report`` then checks them
with all the others. Their request ids start with ``stuck-``: their 5xx are expected, as
are the 502s of requests the end-to-end suite makes to be declined (request ids
``declined-on-purpose-``: a refund the stand-in processor declines is 502 refund_refused).

``report``:
* requests per service replica, from the load balancer's log (one line per request,
  the replica's address in ``upstream=``; ``--replicas`` maps addresses to containers),
  and the answers of 5xx; fails on any 5xx, when a replica served less than a
  quarter of its service's requests (the load was not spread), and when the one-client
  requests of ``probe`` reached only one replica of a service;
* the invariants, read from the three databases with each service's own role
  (``harness.invariants``, which bench and chaos check too): every paid cart has exactly
  one succeeded payment, the one it shows; no cart is charged twice; every succeeded
  payment's cart exists and is paid; each code's ``times_redeemed`` equals the paid carts
  holding it.

``lb-down`` (after the replicas of a service are stopped): the load balancer's own
answer is a 502 or 504 problem+json (refused, or no answer: a stopped container's
address may just not answer), with the request id.

``dns`` (after a failed run): how many lines of the logs say a name did not resolve
(psycopg's, libpq's, urllib3's and getaddrinfo's words for it): inside the project's own
network that is the container engine's DNS, not the stack; prints the count.

Exits 1 on any failed check.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import uuid
from collections import Counter
from pathlib import Path

import requests

from harness import invariants
from harness.api_client import DECLINED_ON_PURPOSE
from harness.stack import CHECKOUT_SERVICES

ROOT = Path(__file__).resolve().parent.parent

LINE = re.compile(
    r"\blb service=(\w+) status=(\d+) upstream=(.*?) upstream_status=.*? request_id=(\S*)"
)
ONE_CLIENT = "one-client-"
STUCK = "stuck-"
MIN_SHARE = 0.25
PROBLEM = "application/problem+json"


def per_replica(
    lb_log: Path, replicas: dict[str, str]
) -> tuple[Counter, Counter, Counter, list[str]]:
    """Requests per (service, replica), the same for the one-client probe, answers per
    status class; problems found."""
    served: Counter = Counter()
    one_client: Counter = Counter()
    statuses: Counter = Counter()
    problems: list[str] = []
    for line in lb_log.read_text(errors="replace").splitlines():
        match = LINE.search(line)
        if not match:
            continue
        service, status, upstream, rid = match.groups()
        status = int(status)
        if status >= 500 and rid.startswith(STUCK):
            statuses["5xx while payment was paused (expected)"] += 1
        elif status == 502 and rid.startswith(DECLINED_ON_PURPOSE):
            # the end-to-end suite's refunds the processor declines: 502 refund_refused
            statuses["502 declined on purpose by the e2e suite (expected)"] += 1
        else:
            statuses[f"{status // 100}xx"] += 1
            if status >= 500:
                problems.append(f"5xx through the load balancer: {line.strip()}")
        # "a, b" when nginx tried a second replica: the last one answered.
        address = upstream.split(",")[-1].strip().rsplit(":", 1)[0]
        served[service, replicas.get(address, address)] += 1
        if rid.startswith(ONE_CLIENT):
            one_client[service, replicas.get(address, address)] += 1
    return served, one_client, statuses, problems


def spread(served: Counter, services: tuple[str, ...], what: str) -> list[str]:
    problems = []
    for service in services:
        counts = {r: n for (s, r), n in served.items() if s == service}
        total = sum(counts.values())
        if len(counts) < 2:
            problems.append(f"{service}: {what} reached {len(counts)} replica(s), not 2")
        elif min(counts.values()) < MIN_SHARE * total:
            problems.append(f"{service}: {what} spread unevenly: {counts}")
    return problems


def passthrough(cart_url: str) -> list[str]:
    """A client's request id and a service's problem+json come back through the LB as sent."""
    problems = []
    rid = f"scale-{uuid.uuid4()}"
    response = requests.post(
        f"{cart_url}/api/carts/",
        data="{not json",
        headers={"Content-Type": "application/json", "X-Request-ID": rid},
        timeout=10,
    )
    body = response.json() if response.headers.get("Content-Type") == PROBLEM else {}
    print(
        f"compose-scale: malformed JSON through the LB -> {response.status_code} "
        f"{response.headers.get('Content-Type')} code={body.get('code')!r} "
        f"request id echoed: {response.headers.get('X-Request-ID') == rid}"
    )
    if response.status_code != 400 or body.get("status") != 400:
        problems.append(f"bad input: {response.status_code} {response.text[:200]}")
    if "load balancer" in str(body.get("detail", "")):
        problems.append("bad input was answered by the LB, not by cart_service")
    if response.headers.get("X-Request-ID") != rid:
        problems.append(f"X-Request-ID {rid} came back as {response.headers.get('X-Request-ID')}")
    missing = requests.get(f"{cart_url}/api/carts/{uuid.uuid4()}/", timeout=10)
    if missing.status_code != 404 or missing.headers.get("Content-Type") != PROBLEM:
        problems.append(
            f"unknown cart: {missing.status_code} {missing.headers.get('Content-Type')}"
        )
    return problems


def one_client(urls: list[str], requests_each: int = 20) -> list[str]:
    """One session, so one keep-alive connection to lb per URL: lb must still spread."""
    problems = []
    with requests.Session() as session:
        for url in urls:
            for i in range(requests_each):
                rid = f"{ONE_CLIENT}{uuid.uuid4().hex[:12]}-{i}"
                response = session.get(
                    f"{url}/health/live", headers={"X-Request-ID": rid}, timeout=10
                )
                if response.status_code != 200:
                    problems.append(f"one client: {url}/health/live -> {response.status_code}")
    return problems


def stuck(args: argparse.Namespace) -> int:
    import subprocess
    import threading
    import time

    from harness.api_client import (
        ApiError,
        CatalogAdminClient,
        DiscountAdminClient,
        StorefrontClient,
    )
    from harness.tokens import TOKENS

    storefront = StorefrontClient(args.lb_cart_url, timeout=(5.0, 40.0))
    code = f"STUCK-{uuid.uuid4().hex[:8].upper()}"
    DiscountAdminClient(args.lb_discount_url, token=TOKENS["DISCOUNT_ADMIN_TOKEN"]).create(
        code=code, kind="percent", value="10.00"
    )
    CatalogAdminClient(args.lb_catalog_url, token=TOKENS["CATALOG_ADMIN_TOKEN"]).create(
        code,
        "Stuck",
        {"USD": "4.00"},  # a product of this run's own
    )
    carts = []
    for _ in range(args.carts):
        item = {"sku": code, "quantity": 1}
        cart = storefront.create_cart("USD", items=[item])
        storefront.apply_discount(cart["id"], code)
        carts.append(cart["id"])
    answers: Counter = Counter()

    def checkout(cart_id: str) -> None:
        try:
            result = storefront.checkout(cart_id, request_id=f"{STUCK}{uuid.uuid4()}")
            answers[f"200 {result['payment_status']}"] += 1
        except ApiError as exc:
            answers[f"{exc.status} {exc.code}"] += 1
        except requests.RequestException as exc:
            answers[type(exc).__name__] += 1

    subprocess.run(["docker", "pause", *args.pause], check=True, capture_output=True)
    try:
        threads = [threading.Thread(target=checkout, args=(c,)) for c in carts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        subprocess.run(["docker", "unpause", *args.pause], check=True, capture_output=True)
    print(f"compose-scale: {len(carts)} checkouts with payment paused: {dict(answers)}")
    resumed = time.monotonic()
    states: Counter = Counter()
    while time.monotonic() - resumed < args.budget:
        states = Counter(storefront.get_cart(c)["payment_status"] for c in carts)
        if set(states) <= {"paid", "failed"}:
            break
        time.sleep(1.0)
    settled = set(states) <= {"paid", "failed"}
    print(
        f"compose-scale: {'settled' if settled else 'NOT settled'} "
        f"{time.monotonic() - resumed:.0f} s after payment resumed: {dict(states)}"
    )
    return 0 if settled else 1


def probe(args: argparse.Namespace) -> int:
    problems = passthrough(args.lb_cart_url) + one_client([args.lb_cart_url, args.lb_discount_url])
    for problem in problems:
        print("compose-scale: PROBLEM", problem)
    return 1 if problems else 0


def report(args: argparse.Namespace) -> int:
    replicas = dict(
        line.split()[::-1] for line in args.replicas.read_text().splitlines() if line.strip()
    )
    served, single, statuses, problems = per_replica(args.lb_log, replicas)
    print(
        f"\ncompose-scale: requests per service replica (the LB's log)\n{'service':<9} {'replica':<36} {'requests':>8} {'share':>6}"
    )
    for (service, replica), n in sorted(served.items()):
        total = sum(v for (s, _), v in served.items() if s == service)
        print(f"{service:<9} {replica:<36} {n:>8} {n / total:>6.0%}")
    print("compose-scale: answers through the LB:", dict(sorted(statuses.items())))
    print(
        "compose-scale: one client on one keep-alive connection:",
        ", ".join(f"{s} {r}: {n}" for (s, r), n in sorted(single.items())),
    )
    problems += spread(served, CHECKOUT_SERVICES, "requests")
    problems += spread(single, ("discount", "cart"), "one client's requests")

    databases = (*invariants.DATABASES, "catalog")  # the catalog's prices: every line's checked
    password = {s: os.environ[f"{s.upper()}_DB_PASSWORD"] for s in databases}
    db_urls = {s: f"postgresql://{s}:{password[s]}@127.0.0.1:{args.db_port}/{s}" for s in password}
    found = invariants.report(db_urls)
    print(
        f"compose-scale: invariants over {found['carts']} carts: {found['paid']} paid, "
        f"{found['succeeded_payments']} succeeded payments checked, "
        f"{len(found['problems'])} problems"
    )
    problems += found["problems"]
    for problem in problems:
        print("compose-scale: PROBLEM", problem)
    summary = {
        "replicas": {f"{s}/{r}": n for (s, r), n in served.items()},
        "one_client": {f"{s}/{r}": n for (s, r), n in single.items()},
        "answers": statuses,
        "invariants": {k: v for k, v in found.items() if k != "problems"},
        "problems": problems,
    }
    args.reports.mkdir(parents=True, exist_ok=True)
    (args.reports / "compose-scale.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if problems else 0


def lb_down(args: argparse.Namespace) -> int:
    rid = f"scale-{uuid.uuid4()}"
    response = requests.get(args.url, headers={"X-Request-ID": rid}, timeout=30)
    body = response.json() if response.headers.get("Content-Type") == PROBLEM else {}
    print(
        f"compose-scale: no replica behind the LB -> {response.status_code} "
        f"{response.headers.get('Content-Type')} {body}"
    )
    codes = {502: "bad_gateway", 504: "gateway_timeout"}
    ok = (
        response.status_code in codes
        and body.get("status") == response.status_code
        and body.get("code") == codes[response.status_code]
        and response.headers.get("X-Request-ID") == rid
    )
    return 0 if ok else 1


# Each client's words for a name that did not resolve: psycopg 3, libpq (psycopg 2),
# urllib3/requests (through getaddrinfo's own message), nginx.
UNRESOLVED = re.compile(
    r"failed to resolve host|could not translate host name|Name or service not known"
    r"|Temporary failure in name resolution|NameResolutionError|host not found in upstream"
)


def unresolved_names(lines) -> int:
    return sum(1 for line in lines if UNRESOLVED.search(line))


def dns(args: argparse.Namespace) -> int:
    count = 0
    for path in args.logs:
        if path.exists():
            with path.open(errors="replace") as log:
                count += unresolved_names(log)
    print(count)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    pro = sub.add_parser("probe")
    pro.add_argument("--lb-cart-url", required=True)
    pro.add_argument("--lb-discount-url", required=True)
    pro.set_defaults(run=probe)
    stk = sub.add_parser("stuck")
    stk.add_argument("--lb-cart-url", required=True)
    stk.add_argument("--lb-discount-url", required=True)
    stk.add_argument("--lb-catalog-url", required=True)
    stk.add_argument("--pause", nargs="+", required=True, help="payment's containers")
    stk.add_argument("--carts", type=int, default=6)
    stk.add_argument("--budget", type=float, default=90.0, help="seconds to settle")
    stk.set_defaults(run=stuck)
    rep = sub.add_parser("report")
    rep.add_argument("--lb-log", type=Path, required=True)
    rep.add_argument("--replicas", type=Path, required=True, help="lines: CONTAINER ADDRESS")
    rep.add_argument("--db-port", type=int, required=True)
    rep.add_argument("--reports", type=Path, default=ROOT / "reports")
    rep.set_defaults(run=report)
    down = sub.add_parser("lb-down")
    down.add_argument("--url", required=True)
    down.set_defaults(run=lb_down)
    names = sub.add_parser("dns")
    names.add_argument("logs", nargs="+", type=Path)
    names.set_defaults(run=dns)
    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
