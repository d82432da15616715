"""Property-based requests from each service's own OpenAPI schema (schemathesis).

    python -m e2e.fuzz_api [--examples 40]

Starts the process stack (throwaway PostgreSQL, the three services, loopback
only) and, for each service and each token that may call it, sends schema-generated
requests with a fixed seed, checking that nothing a client sends gives a 5xx,
and that every response has the documented content type, headers and schema.
Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from e2e.process_stack import ProcessStack
from harness.tokens import TOKENS

CHECKS = ",".join(
    [
        "not_a_server_error",
        "response_schema_conformance",
        "content_type_conformance",
        "response_headers_conformance",
    ]
)
CALLERS = [
    ("discount", "DISCOUNT_ADMIN_TOKEN"),
    ("discount", "DISCOUNT_SERVICE_TOKEN"),
    ("payment", "PAYMENT_SERVICE_TOKEN"),
    ("cart", "CART_ADMIN_TOKEN"),
    ("catalog", "CATALOG_ADMIN_TOKEN"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args()
    stack = ProcessStack(Path(tempfile.mkdtemp(prefix="fuzz-")), downstream={})
    failed = []
    try:
        stack.start()
        for service, token in CALLERS:
            print(f"\n== {service}_service as {token}", flush=True)
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "schemathesis.cli",
                    "run",
                    f"{stack.url(service)}/api/schema/",
                    "--header",
                    f"Authorization: Bearer {TOKENS[token]}",
                    "--checks",
                    CHECKS,
                    "--max-examples",
                    str(args.examples),
                    "--seed",
                    str(args.seed),
                    "--no-color",
                ],
                check=False,
            )
            if result.returncode != 0:
                failed.append(f"{service}_service as {token}")
    finally:
        stack.stop()
    if failed:
        print(f"\nfuzz-api: FAILED for {', '.join(failed)}")
        return 1
    print("\nfuzz-api: no 5xx and every response as documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
