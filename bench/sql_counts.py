#!/usr/bin/env python3
"""SQL statements per request, counted in-process against the benchmark's databases.

    cd cart_service && PYTHONPATH=. python ../bench/sql_counts.py cart --code BENCH10

Runs each request of the flow (or the hot read) once through Django's test
client with the service's real settings and database, the other services live
over HTTP, and prints ``{request: statements}`` as JSON. The tests pin the same
numbers with ``django_assert_num_queries``; this shows them next to the timings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service", choices=["cart", "discount", "payment", "catalog"])
    parser.add_argument("--code", required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts: dict[str, int] = {}

    def run(name: str, method: str, path: str, body: object = None, **headers) -> dict:
        client = Client(headers=headers)
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(
                path,
                data=json.dumps(body) if body is not None else None,
                content_type="application/json",
            )
        assert 200 <= response.status_code < 300, (name, response.status_code, response.content)
        counts[name] = len(queries)
        return response.json() if response.content else {}

    if args.service == "cart":
        item = {"sku": "BENCH-1", "quantity": 1}  # on sale (bench.servers.create_products)
        cart = run("POST /api/carts/", "post", "/api/carts/", {"currency": "USD", "items": [item]})
        cid = cart["id"]
        run(
            "PUT /api/carts/{id}/discount/",
            "put",
            f"/api/carts/{cid}/discount/",
            {"code": args.code},
        )
        run("POST /api/carts/{id}/checkout/", "post", f"/api/carts/{cid}/checkout/")
        run("GET /api/carts/{id}/", "get", f"/api/carts/{cid}/")
    elif args.service == "catalog":
        # cart_service's batch read of a cart's skus: the catalog's hot read
        run("GET /api/products/?sku=", "get", "/api/products/?sku=BENCH-1&sku=BENCH-2")
    elif args.service == "discount":
        auth = {"authorization": "Bearer dev-discount-service-token"}
        run("GET /api/discounts/{code}/", "get", f"/api/discounts/{args.code}/", **auth)
    else:
        auth = {
            "authorization": "Bearer dev-payment-service-token",
            "idempotency-key": os.urandom(8).hex(),
        }
        run(
            "POST /api/payments/",
            "post",
            "/api/payments/",
            {"reference": "bench:sql", "amount": "10.00", "currency": "USD"},
            **auth,
        )
    json.dump(counts, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
