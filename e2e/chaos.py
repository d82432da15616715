"""``make chaos``: shoppers check out while the providers freeze, cart workers die, prices
move and operators refund and cancel paid carts.

A process stack (throwaway PostgreSQL, the four services, the reconciler as a process
with CART_RECONCILE_AFTER=6 s and a pass every second, carts' prices confirmed for
CART_PRICE_MAX_AGE=2 s) on loopback. For ``--duration`` seconds, ``--shoppers`` threads
create carts, apply codes, check out (some declined, some retried, some abandoned, some
edited and checked out again; a 409 prices_changed is confirmed by checking out again),
while a fault thread freezes payment_service, discount_service or catalog_service (SIGSTOP
for up to 4 s, then SIGCONT) or SIGKILLs cart_service's workers, or fails the databases
(``--db-faults``, the default: PostgreSQL restarted, crashed with SIGKILL and recovered, one
service's sessions terminated, one service's database refusing connections for up to 3 s;
the cluster durable for the run, so a crash loses no commit), and a pricing thread moves
the products' prices every second or two, and an operator thread refunds part of a paid
cart or cancels one (now and then an amount the processor declines, or more than is left;
a 503 is sent again under the same Idempotency-Key, or left to the reconciler). Then the
faults stop, the reconciler finishes (cart_service's /metrics counts nothing left for it:
no unresolved attempt or refund, unneeded use or owed release), and
every cart, payment and code is read from the services' databases and held to the
invariants (``harness.invariants``, which bench and compose-scale check too):

- no cart was charged twice (at most one succeeded payment per cart);
- every succeeded payment's cart exists, is ``paid`` and shows that payment's id, and
  every paid cart has its succeeded payment;
- each code's ``times_redeemed`` equals the paid carts that hold it;
- every paid cart was charged exactly its total, every line at a price the catalog had;
- money went back exactly once: each refund payment_service made is one of a cart's
  refunds, settled alike; no payment refunded beyond its amount; a cart's
  ``amount_refunded`` is what payment_service gave back; a cancelled cart got all of it back
  and holds no use of its code.

And no service answered 500 during the run (each service's ``http_requests_total`` by
status, scraped at the end, and its access log; 503s are counted and printed), every
service is ready afterwards with the same processes (masters, and the workers of the
services whose workers were not killed), and, after each database fault, how long until
every service was ready again.

Prints the counts; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from e2e.process_stack import ProcessStack
from harness import invariants
from harness.api_client import (
    ApiError,
    CartAdminClient,
    CatalogAdminClient,
    DiscountAdminClient,
    StorefrontClient,
)
from harness.tokens import TOKENS

AFTER, INTERVAL = 6, 1
PRICE_MAX_AGE = 2
CODES = ("CHAOS-A", "CHAOS-B", "CHAOS-C")
# The products the shoppers buy and what they cost at first; 24.00 (21.60 with 10 %) declines.
PRODUCTS = {"CHAOS-4": "4.00", "CHAOS-7": "7.50", "CHAOS-12": "12.00", "CHAOS-24": "24.00"}
CHEAPER = "CHAOS-T"  # what a declined shopper swaps their item for
PRODUCTS[CHEAPER] = "3.00"
GIVE_UP = (ApiError, requests.RequestException)
DECLINED_REFUND = Decimal("1.11")  # payment_service's PAYMENT_REFUND_FAILING_AMOUNT here
# Work the reconciler does not do: an operator's (held carts, refunds too old to repeat).
OPERATORS_KINDS = {"held_for_operator", "refunds_held_for_operator"}


class Shopper(threading.Thread):
    def __init__(self, n: int, url: str, stop: threading.Event, carts: list, seed: int) -> None:
        super().__init__(name=f"shopper-{n}", daemon=True)
        self.client = StorefrontClient(url, timeout=(2.0, 20.0))
        self.stop, self.carts, self.random = stop, carts, random.Random(seed + n)
        self.answers: Counter = Counter()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.shop()
            except GIVE_UP as exc:
                self.answers[_name(exc)] += 1
                time.sleep(0.2)

    def shop(self) -> None:
        rnd = self.random
        sku = rnd.choice([sku for sku in PRODUCTS if sku != CHEAPER])
        cart = self.client.create_cart("USD", items=[{"sku": sku, "quantity": 1}])
        self.carts.append(cart["id"])
        if rnd.random() < 0.7:
            self.client.apply_discount(cart["id"], rnd.choice(CODES))
        if rnd.random() < 0.2:  # dawdles: the cart's prices must be asked for again
            time.sleep(PRICE_MAX_AGE + rnd.uniform(0.2, 1.0))
        for _ in range(rnd.choice([1, 1, 2, 3])):  # some give up after a 503, some retry
            try:
                result = self.client.checkout(cart["id"])
            except GIVE_UP as exc:
                self.answers[_name(exc)] += 1
                # A 409 prices_changed: the shopper saw the new total and checks out again.
                if not (isinstance(exc, ApiError) and exc.code == "prices_changed"):
                    time.sleep(rnd.uniform(0.1, 1.0))
                continue
            self.answers[result["payment_status"]] += 1
            if result["payment_status"] != "failed":
                return
            if rnd.random() < 0.5:
                self.client.remove_discount(cart["id"])
            if rnd.random() < 0.5:  # a cheaper cart, checked out again
                item = result["items"][0]["id"]
                self.client.add_item(cart["id"], sku=CHEAPER, quantity=1)
                self.client.remove_item(cart["id"], item)
        return


def _name(exc: Exception) -> str:
    return f"{exc.status} {exc.code}" if isinstance(exc, ApiError) else type(exc).__name__


PROCESS_FAULTS = ["freeze payment", "freeze discount", "freeze catalog", "kill cart workers"]
DB_FAULTS = ["restart postgres", "crash postgres", "terminate sessions", "refuse connections"]
DATABASES = ("cart", "discount", "payment", "catalog")


def inject_faults(
    stack: ProcessStack,
    stop: threading.Event,
    rnd: random.Random,
    db_faults: bool,
    recovered: list[tuple[str, float]],
) -> Counter:
    """Faults until ``stop``; after each database fault, the seconds until every service
    was ready again are added to ``recovered``."""
    faults: Counter = Counter()
    # Every other fault or so is the databases', their kinds in turns: each kind comes up.
    db_kinds = itertools.cycle(rnd.sample(DB_FAULTS, len(DB_FAULTS)))
    while not stop.wait(rnd.uniform(0.5, 3.0)):
        db_fault = db_faults and rnd.random() < 0.5
        kind = next(db_kinds) if db_fault else rnd.choice(PROCESS_FAULTS)
        if kind in DB_FAULTS:
            kind = database_fault(stack, kind, stop, rnd)
            faults[kind] += 1
            recovered.append((kind, ready_again(stack)))
            continue
        if kind == "kill cart workers":
            if stack.stack.kill_workers("cart"):
                faults[kind] += 1
            continue
        name = kind.split()[1]
        stack.stack.freeze(name)
        faults[kind] += 1
        try:
            stop.wait(rnd.uniform(0.5, 4.0))
        finally:
            stack.stack.thaw(name)
    return faults


def database_fault(
    stack: ProcessStack, kind: str, stop: threading.Event, rnd: random.Random
) -> str:
    """One fault of the databases; what it was, naming the database it hit."""
    cluster = stack.cluster
    if kind == "restart postgres":
        cluster.restart()
    elif kind == "crash postgres":
        cluster.crash()
    elif kind == "terminate sessions":
        database = rnd.choice(DATABASES)
        cluster.terminate_backends(database)
        kind = f"terminate {database}'s sessions"
    else:
        database = rnd.choice(DATABASES)
        cluster.allow_connections(database, False)
        try:
            cluster.terminate_backends(database)  # its open sessions would go on otherwise
            stop.wait(rnd.uniform(0.5, 3.0))
        finally:
            cluster.allow_connections(database, True)
        kind = f"{database} refuses connections"
    return kind


def ready_again(stack: ProcessStack, budget: float = 60.0) -> float:
    """Seconds until every service's /health/ready answers 200 (the budget if never)."""
    started = time.monotonic()
    waiting = set(stack.names)
    while waiting and time.monotonic() - started < budget:
        for name in list(waiting):
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{stack.url(name)}/health/ready", timeout=2).status_code == 200:
                    waiting.discard(name)
        if waiting:
            time.sleep(0.02)
    return time.monotonic() - started


def statuses(stack: ProcessStack) -> dict[str, Counter]:
    """Each service's answers by status, from its ``http_requests_total`` (all workers, the
    killed ones included: prometheus_client's multi-process files outlive them)."""
    out: dict[str, Counter] = {}
    for name in stack.names:
        response = requests.get(
            f"{stack.url(name)}/metrics",
            headers={"Authorization": f"Bearer {TOKENS['METRICS_TOKEN']}"},
            timeout=10,
        )
        response.raise_for_status()
        counts: Counter = Counter()
        for family in text_string_to_metric_families(response.text):
            if family.name == "http_requests":
                for sample in family.samples:
                    if sample.name == "http_requests_total":
                        counts[sample.labels["status"]] += int(sample.value)
        out[name] = counts
    return out


ACCESS_500 = re.compile(r"servicekit\.access: [A-Z]+ \S+ 500 ")


def logged_500s(stack: ProcessStack) -> dict[str, int]:
    """500s written in each service's access log (a cross-check of the metrics)."""
    return {name: len(ACCESS_500.findall(stack.log(name))) for name in stack.names}


def processes(stack: ProcessStack) -> dict[str, tuple[int, frozenset[int]]]:
    """Each service's gunicorn master and its workers, by pid."""
    return {
        name: (stack.stack.pid(name), frozenset(stack.stack.workers(name))) for name in stack.names
    }


def health_problems(
    before: dict[str, tuple[int, frozenset[int]]],
    after: dict[str, tuple[int, frozenset[int]]],
    ready_after: float,
    answered: dict[str, Counter],
    in_logs: dict[str, int],
    answers: Counter,
) -> list[str]:
    """No 500 anywhere; every service ready at the end, with the processes it started with
    (cart_service's workers excepted: the run kills them)."""
    problems = []
    for name, seen in answered.items():
        if seen["500"] or in_logs[name]:
            problems.append(
                f"{name}_service answered 500 {seen['500']} times ({in_logs[name]} in its log)"
            )
    if any(key.startswith("500") for key in answers):
        problems.append(f"shoppers were answered 500: {dict(answers)}")
    if ready_after >= 10:
        problems.append("not every service was ready 10 s after the run")
    for name, (master, workers) in before.items():
        now_master, now_workers = after[name]
        if now_master != master:
            problems.append(f"{name}_service's master was replaced")
        if name != "cart" and now_workers != workers:
            problems.append(f"{name}_service's workers were replaced: {workers} -> {now_workers}")
    return problems


def move_prices(
    catalog: CatalogAdminClient, stop: threading.Event, rnd: random.Random, seen: set
) -> Counter:
    """Every second or two, a product's price moves by up to 1.00 (never under 1.00); each
    price set is recorded, for the check that every line was priced at one the catalog had.
    A change the frozen catalog never answered may have been made: recorded first."""
    moved: Counter = Counter()
    prices = {sku: Decimal(price) for sku, price in PRODUCTS.items()}
    while not stop.wait(rnd.uniform(0.5, 2.0)):
        sku = rnd.choice(list(PRODUCTS))
        price = max(Decimal("1.00"), prices[sku] + rnd.choice([-1, 1]) * Decimal("0.50"))
        seen.add(invariants.Price(sku, "USD", price))
        try:
            catalog.update(sku, prices={"USD": price})
        except GIVE_UP:
            moved["failed"] += 1
            continue
        prices[sku] = price
        moved["moved"] += 1
    return moved


def operate(
    admin: CartAdminClient, stop: threading.Event, rnd: random.Random, carts: list
) -> Counter:
    """A few times a second an operator picks a recent cart: refunds part of it if it is paid
    (a cent to all that is left; sometimes 1.11, which the processor declines, or more than
    is left), or cancels it. A 503 may be sent again (the same key), or left pending for the
    reconciler."""
    answers: Counter = Counter()
    n = 0
    while not stop.wait(rnd.uniform(0.1, 0.6)):
        if not carts:
            continue
        cart_id = rnd.choice(carts[-30:])
        try:
            cart = admin.get(cart_id)
        except GIVE_UP as exc:
            answers[f"look {_name(exc)}"] += 1
            continue
        if cart["payment_status"] != "paid":
            continue
        n += 1
        left = Decimal(cart["total"]) - Decimal(cart["amount_refunded"])
        cancel = rnd.random() < 0.3
        action = "cancel" if cancel else "refund"
        amount = rnd.choice(
            [
                DECLINED_REFUND,
                left + Decimal("1.00"),
                max(Decimal("0.01"), (left * Decimal(rnd.random())).quantize(Decimal("0.01"))),
            ]
        )
        for _ in range(rnd.choice([1, 2, 3])):
            try:
                if cancel:
                    admin.cancel(cart_id, reason="chaos")
                else:
                    admin.refund(cart_id, amount, reason="chaos", key=f"chaos-{n}")
            except GIVE_UP as exc:
                answers[f"{action} {_name(exc)}"] += 1
                if isinstance(exc, ApiError) and exc.status == 503:
                    stop.wait(rnd.uniform(0.2, 1.0))
                    continue
                break
            answers[f"{action} done"] += 1
            break
    return answers


def reconciler_backlog(stack: ProcessStack) -> dict[str, float]:
    """What cart_service counts as left for its reconciler, by kind (its /metrics)."""
    response = requests.get(
        f"{stack.url('cart')}/metrics",
        headers={"Authorization": f"Bearer {TOKENS['METRICS_TOKEN']}"},
        timeout=10,
    )
    response.raise_for_status()
    return {
        sample.labels["kind"]: sample.value
        for family in text_string_to_metric_families(response.text)
        if family.name == "cart_reconciler_backlog"
        for sample in family.samples
    }


def work_left(backlog: dict[str, float]) -> dict[str, float]:
    """The reconciler's part of the backlog (what is held for an operator is not its work)."""
    return {kind: n for kind, n in backlog.items() if n and kind not in OPERATORS_KINDS}


def wait_until_quiet(stack: ProcessStack, budget: float) -> tuple[float, dict[str, float] | None]:
    """Until cart_service counts nothing left for the reconciler: no unresolved attempt, no
    unneeded use, no owed release (one a killed checkout had leased counts too, though the
    reconciler's passes say "nothing to do" until the lease ends). Returns the seconds
    waited and the last backlog read (None if none could be)."""
    started = time.monotonic()
    time.sleep(AFTER + 2 * INTERVAL)  # the last checkouts' attempts come of age for it
    backlog = None
    while time.monotonic() - started < budget:
        with contextlib.suppress(requests.RequestException):
            backlog = reconciler_backlog(stack)
            if not work_left(backlog):
                break
        time.sleep(INTERVAL)
    return time.monotonic() - started, backlog


def check(stack: ProcessStack, prices_seen: set) -> tuple[Counter, list[str]]:
    """Every cart, payment and code in the services' databases, held to the invariants."""
    rows = invariants.read(stack.stack.database_urls, prices_seen=prices_seen)
    counts: Counter = Counter(f"carts {cart.payment_status}" for cart in rows.carts)
    for payment in rows.payments:
        counts[
            f"payments {'succeeded' if payment.status == invariants.SUCCEEDED else 'declined'}"
        ] += 1
    for code in rows.codes:
        counts[f"{code.code} times_redeemed"] = code.times_redeemed
    for refund in rows.cart_refunds:
        counts[f"cart refunds {refund.kind} {refund.status}"] += 1
    counts["refunds made at payment_service"] = len(rows.refunds)
    return counts, invariants.problems(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of faults")
    parser.add_argument("--shoppers", type=int, default=6)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument(
        "--db-faults",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="fail the databases too (restart, crash, sessions terminated, connections refused)",
    )
    args = parser.parse_args(argv)
    rnd = random.Random(args.seed)
    began = time.monotonic()
    print(
        f"chaos: seed {args.seed}, {args.shoppers} shoppers, {args.duration:.0f} s of faults"
        f"{' (with database faults)' if args.db_faults else ''}"
    )
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        stack = ProcessStack(
            Path(tmp),
            reconcile={
                "CART_RECONCILE_AFTER": str(AFTER),
                "CART_RECONCILE_INTERVAL": str(INTERVAL),
                "CART_PRICE_MAX_AGE": str(PRICE_MAX_AGE),
            },
            env={"PAYMENT_REFUND_FAILING_AMOUNT": str(DECLINED_REFUND)},
            durable=args.db_faults,
        )
        try:
            stack.start()
            admin = DiscountAdminClient(stack.url("discount"), token=TOKENS["DISCOUNT_ADMIN_TOKEN"])
            for code in CODES:
                admin.create(code=code, kind="percent", value="10.00", max_redemptions=10000)
            catalog = CatalogAdminClient(
                stack.url("catalog"), token=TOKENS["CATALOG_ADMIN_TOKEN"], timeout=(2.0, 20.0)
            )
            prices_seen: set = set()
            for sku, price in PRODUCTS.items():
                catalog.create(sku, "Chaos product", {"USD": price})
                prices_seen.add(invariants.Price(sku, "USD", Decimal(price)))
            stop, carts = threading.Event(), []
            shoppers = [
                Shopper(n, stack.url("cart"), stop, carts, args.seed) for n in range(args.shoppers)
            ]
            for shopper in shoppers:
                shopper.start()
            operator = CartAdminClient(
                stack.url("cart"), token=TOKENS["CART_ADMIN_TOKEN"], timeout=(2.0, 20.0)
            )
            fault_result: dict = {}
            recovered: list[tuple[str, float]] = []
            before = processes(stack)
            faulter = threading.Thread(
                target=lambda: fault_result.update(
                    faults=inject_faults(stack, stop, rnd, args.db_faults, recovered)
                )
            )
            pricer = threading.Thread(
                target=lambda: fault_result.update(
                    prices=move_prices(catalog, stop, random.Random(args.seed + 1), prices_seen)
                )
            )
            refunder = threading.Thread(
                target=lambda: fault_result.update(
                    operator=operate(operator, stop, random.Random(args.seed + 2), carts)
                )
            )
            faulter.start()
            pricer.start()
            refunder.start()
            time.sleep(args.duration)
            stop.set()
            faulter.join()
            pricer.join()
            refunder.join()
            for shopper in shoppers:
                shopper.join(timeout=60)
            quiet, backlog = wait_until_quiet(stack, budget=120)
            counts, problems = check(stack, prices_seen)
            log = stack.log("reconciler")
            ready_after = ready_again(stack, budget=10)
            after = processes(stack)
            answered = statuses(stack)
            in_logs = logged_500s(stack)
        finally:
            stack.stop()
    answers = sum((s.answers for s in shoppers), Counter())
    actions = Counter(
        {
            "attempts settled": len(re.findall(r"settled cart \S+ attempt", log)),
            "uses released": len(re.findall(r"released discount", log)),
            "uses found owed at the redeem step": len(
                re.findall(r"stopped at the redeem step", log)
            ),
            "outcome unknown, retried next pass": len(re.findall(r"next pass", log)),
            "releases failed, still owed": len(re.findall(r"stays owed", log)),
            "refunds settled": len(re.findall(r"refund \d+ of cart \S+ \(", log)),
            "passes stopped, database unavailable": len(
                re.findall(r"reconcile pass stopped: the database is unavailable", log)
            ),
            "passes failed on the database otherwise": len(
                re.findall(r"reconcile pass failed on the database", log)
            ),
        }
    )
    by_service = Counter(
        {f"{name} {status}": n for name, seen in answered.items() for status, n in seen.items()}
    )
    recovery: Counter = Counter()
    for kind, seconds in recovered:  # by kind: the slowest return to ready, in ms
        kind = "refuse connections" if "refuses" in kind else kind
        kind = "terminate sessions" if kind.startswith("terminate") else kind
        recovery[f"{kind}, ms"] = max(recovery[f"{kind}, ms"], round(seconds * 1000))
    problems += health_problems(before, after, ready_after, answered, in_logs, answers)
    for title, counter in [
        ("faults injected", fault_result.get("faults", Counter())),
        ("price changes", fault_result.get("prices", Counter())),
        ("shoppers' answers", answers),
        ("operators' answers", fault_result.get("operator", Counter())),
        ("reconciler actions", actions),
        ("answers by service and status (http_requests_total)", by_service),
        ("500s in the access logs", Counter(in_logs)),
        ("after each database fault, every service ready again within", recovery),
        ("carts, payments and codes", counts),
    ]:
        print(f"\n{title}:")
        for key, value in sorted(counter.items()):
            print(f"  {key:45} {value}")
    checked = sum(n for key, n in counts.items() if key.startswith("carts "))
    state = "quiet" if backlog is not None and not work_left(backlog) else f"NOT quiet ({backlog})"
    print(
        f"\nreconciler {state} {quiet:.0f} s after the faults stopped; {checked} carts checked "
        f"({len(carts)} created as far as the shoppers know); {time.monotonic() - began:.0f} s "
        "in all"
    )
    if problems:
        print("\nFAILED:", *problems, sep="\n  ")
        return 1
    print(
        "OK: no cart charged twice; every succeeded payment's cart paid with it, and every "
        "paid cart's payment succeeded; times_redeemed equals the paid carts holding each code; "
        "every paid cart charged exactly its total, each line at a price the catalog had; "
        "every refund made once, none beyond its payment, cancelled carts refunded in full"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
