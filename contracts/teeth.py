"""Does the contract have teeth? Break a provider on purpose and watch verification fail.

    python -m contracts.teeth [PROVIDER ...]          # default: all three

For each provider: copy its folder to a temporary directory, verify the
UNCHANGED copy (must pass), then for each mutation apply text patches to a fresh
copy (each pattern must match exactly once, so a patch cannot silently no-op),
start the mutated copy the same way as `make verify-pacts` (gunicorn, empty
database, provider states on) and run `pact verifier`; it must FAIL. Prints a
table mutation -> caught / NOT CAUGHT; exit 1 if a mutation was not caught or a
baseline failed. Production code is never touched: only the copies.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from contracts.common import PACTS, PACTS_DIR, SERVICE_OF, check_pact_name
from contracts.providers import copy_service, running_provider
from contracts.verify_cli import failures_in, verifier_command

# Mutations verified side by side (each with its own copy, server and verifier).
JOBS = int(os.environ.get("TEETH_JOBS", "2"))


@dataclass(frozen=True)
class Mutation:
    provider: str
    name: str
    patches: tuple[tuple[str, str, str], ...]  # (file under the service folder, old, new)


MUTATIONS = [
    # discount_service
    Mutation(
        "discount_service",
        "renamed field: discount 'status' -> 'state'",
        (
            (
                "discounts/serializers.py",
                "    status = serializers.ChoiceField(\n"
                '        choices=[s.value for s in Status], source="shown_status", read_only=True\n'
                "    )\n",
                "    state = serializers.ChoiceField(\n"
                '        choices=[s.value for s in Status], source="shown_status", read_only=True\n'
                "    )\n",
            ),
            (
                "discounts/serializers.py",
                '            "status",\n            "created_at",\n            "minimum_subtotal",\n',
                '            "state",\n            "created_at",\n            "minimum_subtotal",\n',
            ),
        ),
    ),
    Mutation(
        "discount_service",
        "money as a number: discount 'value'",
        (
            (
                "discounts/serializers.py",
                '    code = serializers.CharField(source="shown_code", read_only=True)\n'
                "    value = MoneyField()\n",
                '    code = serializers.CharField(source="shown_code", read_only=True)\n'
                "    value = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=False)\n",
            ),
        ),
    ),
    Mutation(
        "discount_service",
        "status code: first redemption 201 -> 200",
        (
            (
                "discounts/apis.py",
                "status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,",
                "status=status.HTTP_200_OK,",
            ),
        ),
    ),
    Mutation(
        "discount_service",
        "error code: discount_exhausted -> discount_used_up",
        (("discounts/errors.py", '"discount_exhausted"', '"discount_used_up"'),),
    ),
    Mutation(
        "discount_service",
        "removed endpoint: DELETE redemption",
        (
            (
                "discounts/urls.py",
                '    path(\n        "api/discounts/<str:code>/redemptions/<str:cart_id>/",\n'
                '        apis.RedemptionDetailApi.as_view(),\n        name="redemption-detail",\n    ),\n',
                "",
            ),
        ),
    ),
    Mutation(
        "discount_service",
        "promotion rule ignored: minimum subtotal",
        (
            (
                "discounts/domain.py",
                "if rules.minimum_subtotal is not None and cart.subtotal < rules.minimum_subtotal:",
                "if False:",
            ),
        ),
    ),
    Mutation(
        "discount_service",
        "promotion rule ignored: sku restriction",
        (
            (
                "discounts/domain.py",
                "if rules.skus is not None and not matching_lines(rules.skus, cart.lines):",
                "if False:",
            ),
        ),
    ),
    Mutation(
        "discount_service",
        "single-use code redeemable by a second cart",
        (("discounts/domain.py", "    if used_by_another:\n", "    if False:\n"),),
    ),
    # payment_service
    Mutation(
        "payment_service",
        "renamed field: payment 'decline_code' -> 'decline_reason'",
        (
            (
                "payments/serializers.py",
                "class PaymentOut(FieldsOnceMixin, serializers.ModelSerializer):\n    amount = MoneyField()\n",
                "class PaymentOut(FieldsOnceMixin, serializers.ModelSerializer):\n    amount = MoneyField()\n"
                '    decline_reason = serializers.CharField(source="decline_code", allow_null=True)\n',
            ),
            (
                "payments/serializers.py",
                '            "decline_code",\n            "amount_refunded",\n',
                '            "decline_reason",\n            "amount_refunded",\n',
            ),
        ),
    ),
    Mutation(
        "payment_service",
        "money as a number: payment 'amount'",
        (
            (
                "payments/serializers.py",
                "class PaymentOut(FieldsOnceMixin, serializers.ModelSerializer):\n    amount = MoneyField()\n",
                "class PaymentOut(FieldsOnceMixin, serializers.ModelSerializer):\n"
                "    amount = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=False)\n",
            ),
        ),
    ),
    Mutation(
        "payment_service",
        "status code: new payment 201 -> 200",
        (
            (
                "payments/services.py",
                "return Performed(201, render(payment), payment)",
                "return Performed(200, render(payment), payment)",
            ),
        ),
    ),
    Mutation(
        "payment_service",
        "error code: idempotency_key_reused -> idempotency_conflict",
        (
            (
                "payments/errors.py",
                'code = "idempotency_key_reused"',
                'code = "idempotency_conflict"',
            ),
        ),
    ),
    Mutation(
        "payment_service",
        "removed endpoint: GET payment by id",
        (
            (
                "payments/urls.py",
                '    path("api/payments/<str:payment_id>/", apis.PaymentDetailApi.as_view(), name="payment-detail"),\n',
                "",
            ),
        ),
    ),
    # cart_service
    Mutation(
        "cart_service",
        "renamed field: cart 'items_number' -> 'item_count'",
        (
            (
                "carts/serializers.py",
                '    items_number = serializers.IntegerField(source="totals.items_number")\n',
                '    item_count = serializers.IntegerField(source="totals.items_number")\n',
            ),
            (
                "carts/serializers.py",
                '            "items_number",\n',
                '            "item_count",\n',
            ),
        ),
    ),
    Mutation(
        "cart_service",
        "money as a number: cart 'total'",
        (
            (
                "carts/serializers.py",
                '    total = MoneyField(source="totals.total")\n',
                "    total = serializers.DecimalField(\n"
                '        max_digits=12, decimal_places=2, coerce_to_string=False, source="totals.total"\n'
                "    )\n",
            ),
        ),
    ),
    Mutation(
        "cart_service",
        "status code: create cart 201 -> 200",
        (
            (
                "carts/apis.py",
                "            catalog_client=catalog.from_settings(),\n        )\n"
                "        return Response(CartOut(cart).data, status=status.HTTP_201_CREATED)",
                "            catalog_client=catalog.from_settings(),\n        )\n"
                "        return Response(CartOut(cart).data, status=status.HTTP_200_OK)",
            ),
        ),
    ),
    Mutation(
        "cart_service",
        "the shopper's price used again: a unit_price sent is no longer checked",
        (
            (
                "carts/pricing.py",
                "    if seen is not None and seen != line.unit_price:",
                "    if False:",
            ),
        ),
    ),
    Mutation(
        "cart_service",
        "error code: cart_not_found -> cart_missing",
        (("carts/errors.py", '"cart_not_found"', '"cart_missing"'),),
    ),
    Mutation(
        "cart_service",
        "removed endpoint: checkout",
        (
            (
                "carts/urls.py",
                '    path("api/carts/<str:cart_id>/checkout/", apis.CartCheckoutApi.as_view(), name="cart-checkout"),\n',
                "",
            ),
        ),
    ),
]


REFUND_MUTATIONS = [
    Mutation(
        "payment_service",
        "a refund answered without its amount",
        (
            (
                "payments/serializers.py",
                '            "payment_id",\n            "amount",\n            "currency",\n',
                '            "payment_id",\n            "currency",\n',
            ),
        ),
    ),
    Mutation(
        "payment_service",
        "money as a number: payment 'amount_refunded'",
        (
            (
                "payments/serializers.py",
                "    amount_refunded = MoneyField()\n",
                "    amount_refunded = serializers.DecimalField(\n"
                "        max_digits=12, decimal_places=2, coerce_to_string=False\n    )\n",
            ),
        ),
    ),
    Mutation(
        "payment_service",
        "a missing 422: a refund beyond what is left is made",
        (("payments/services.py", "        if not left or wanted > left:", "        if False:"),),
    ),
]
MUTATIONS += REFUND_MUTATIONS


CATALOG_MUTATIONS = [
    Mutation(
        "catalog_service",
        "money as a number: product 'prices'",
        (
            (
                "products/models.py",
                "return {p.currency: p.amount for p in sorted(prices, key=_currency)}",
                "return {p.currency: float(p.amount) for p in sorted(prices, key=_currency)}",
            ),
            (
                "products/serializers.py",
                '    prices = PricesField(source="price_map", read_only=True, help_text=PRICES_HELP)',
                '    prices = serializers.DictField(source="price_map", read_only=True)',
            ),
        ),
    ),
    Mutation(
        "catalog_service",
        "renamed field: product 'active' -> 'is_active'",
        (
            (
                "products/serializers.py",
                '        fields = ["sku", "name", "active", "prices", "created_at", "updated_at"]',
                '        fields = ["sku", "name", "is_active", "prices", "created_at", "updated_at"]',
            ),
            (
                "products/serializers.py",
                "class ProductOut(FieldsOnceMixin, serializers.ModelSerializer):\n",
                "class ProductOut(FieldsOnceMixin, serializers.ModelSerializer):\n"
                '    is_active = serializers.BooleanField(source="active", read_only=True)\n',
            ),
        ),
    ),
    Mutation(
        "catalog_service",
        "dropped currency: a product's prices without EUR",
        (
            (
                "products/models.py",
                "return {p.currency: p.amount for p in sorted(prices, key=_currency)}",
                "return {\n        p.currency: p.amount\n        for p in sorted(prices, key=_currency)\n"
                '        if p.currency != "EUR"\n    }',
            ),
        ),
    ),
]
MUTATIONS += CATALOG_MUTATIONS


class PatchDidNotApply(RuntimeError):
    pass


def apply(service_dir: Path, patches) -> None:
    for relative, old, new in patches:
        path = service_dir / relative
        text = path.read_text()
        found = text.count(old)
        if found != 1:
            raise PatchDidNotApply(
                f"{relative}: pattern found {found} times (want 1): {old[:80]!r}"
            )
        path.write_text(text.replace(old, new))


def verify_copy(provider: str, root: Path, workdir: Path) -> tuple[bool, str]:
    """Whether verification passed, and how many interactions failed out of how many:
    a mutation that fails every interaction may just have broken the start-up."""
    files = [PACTS_DIR / name for name in PACTS[provider]]
    total = sum(len(json.loads(f.read_text())["interactions"]) for f in files)
    report = workdir / "report.json"
    with running_provider(provider, root=root, workdir=workdir) as running:
        result = subprocess.run(
            verifier_command(running, files=files, report=report),
            capture_output=True,
            text=True,
            timeout=600,
        )
    failed = len(failures_in(report)) if result.returncode else 0
    return result.returncode == 0, f"{failed}/{total} interactions failed"


def try_mutation(provider: str, service: str, mutation: Mutation, workdir: Path) -> tuple[str, str]:
    """Apply the mutation to a fresh copy and verify it: (verdict, detail)."""
    root = copy_service(provider, workdir)
    try:
        apply(root / service, mutation.patches)
    except PatchDidNotApply as exc:
        return "PATCH DID NOT APPLY", str(exc)
    passed, detail = verify_copy(provider, root, workdir.with_name(workdir.name + "-run"))
    return ("NOT CAUGHT" if passed else "caught"), detail


def run(providers: list[str]) -> int:
    rows: list[tuple[str, str, str, str]] = []
    ok = True
    with tempfile.TemporaryDirectory(prefix="teeth-") as tmp:
        tmp = Path(tmp)
        for provider in providers:
            for path in (PACTS_DIR / n for n in PACTS[provider]):
                check_pact_name(path, provider)
            service = f"{SERVICE_OF[provider]}_service"
            started = time.perf_counter()
            base = copy_service(provider, tmp / f"{service}-baseline")
            passed, detail = verify_copy(provider, base, tmp / f"{service}-baseline-run")
            rows.append((provider, "(unchanged copy)", "passes" if passed else "FAILS", detail))
            if not passed:
                ok = False
                print(
                    f"{provider}: the UNCHANGED copy fails verification; its mutations prove nothing"
                )
                continue
            mutations = [m for m in MUTATIONS if m.provider == provider]
            # Each mutation is its own copy, server and verifier: they run side by side.
            with ThreadPoolExecutor(max_workers=JOBS) as pool:
                futures = [
                    pool.submit(try_mutation, provider, service, m, tmp / f"{service}-m{n}")
                    for n, m in enumerate(mutations)
                ]
                verdicts = [future.result() for future in futures]
            for mutation, (verdict, detail) in zip(mutations, verdicts, strict=True):
                ok &= verdict == "caught"
                rows.append((provider, mutation.name, verdict, detail))
            print(f"{provider}: {time.perf_counter() - started:.1f}s", flush=True)

    width = max(len(r[1]) for r in rows)
    print(f"\n{'provider':<17} {'mutation':<{width}}  {'result':<11} detail")
    for provider, name, verdict, detail in rows:
        print(f"{provider:<17} {name:<{width}}  {verdict:<11} {detail}")
    return 0 if ok else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("providers", nargs="*", help=f"default: {' '.join(PACTS)}")
    args = parser.parse_args(argv)
    unknown = set(args.providers) - set(PACTS)
    if unknown:
        parser.error(f"unknown providers {sorted(unknown)}; known: {list(PACTS)}")
    return run(args.providers or list(PACTS))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
