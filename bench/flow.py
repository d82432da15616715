#!/usr/bin/env python3
"""N shoppers, each on one keep-alive connection, checking out in a loop for a fixed time.

    python bench/flow.py --url http://127.0.0.1:8002 --clients 8 --duration 10 --code BENCH10

A flow is: create a cart with one item, apply the code, check out. Every fifth
flow buys an item above the approval limit, so declines (and the release of the
code's use) are part of the mix. Any non-2xx answer, or a connection error, is
an error and ends that flow. Prints one JSON object: flows, errors, per-step
latencies in milliseconds, and the CPU this client used (so a reader can see it
did not starve the servers).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from urllib.parse import urlsplit

import gevent
from geventhttpclient import HTTPClient

STEPS = ("create", "apply", "checkout")
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def shopper(host: str, port: int, code: str, deadline: float, offset: int, out: dict) -> None:
    client = HTTPClient(
        host, port, concurrency=1, connection_timeout=10, network_timeout=30, headers=HEADERS
    )
    n = offset
    try:
        while time.perf_counter() < deadline:
            n += 1
            price = "25.00" if n % 5 == 0 else "12.00"
            item = {"sku": f"SKU-{n % 7}", "name": "Mug", "unit_price": price, "quantity": 1}
            started = time.perf_counter()
            ok = _step(
                out,
                "create",
                client.post,
                "/api/carts/",
                json.dumps({"currency": "USD", "items": [item]}),
            )
            if ok is None:
                continue
            cart = json.loads(ok)["id"]
            if (
                _step(
                    out,
                    "apply",
                    client.put,
                    f"/api/carts/{cart}/discount/",
                    json.dumps({"code": code}),
                )
                is None
            ):
                continue
            body = _step(out, "checkout", client.post, f"/api/carts/{cart}/checkout/", b"")
            if body is None:
                continue
            out["flows"] += 1
            out["flow_ms"].append((time.perf_counter() - started) * 1000)
            out["outcomes"][json.loads(body)["payment_status"]] += 1
    finally:
        client.close()


def _step(out: dict, step: str, call, path: str, body) -> bytes | None:
    started = time.perf_counter()
    try:
        response = call(path, body=body)
        data = response.read()
        status = response.status_code
    except Exception as exc:  # a broken connection is an error like a 5xx
        out["errors"].setdefault(step, {}).setdefault(type(exc).__name__, 0)
        out["errors"][step][type(exc).__name__] += 1
        return None
    out["ms"][step].append((time.perf_counter() - started) * 1000)
    if not 200 <= status < 300:
        out["errors"].setdefault(step, {}).setdefault(str(status), 0)
        out["errors"][step][str(status)] += 1
        return None
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--code", required=True)
    args = parser.parse_args()
    parts = urlsplit(args.url)
    out: dict = {
        "flows": 0,
        "errors": {},
        "ms": {s: [] for s in STEPS},
        "flow_ms": [],
        "outcomes": {"paid": 0, "failed": 0, "pending": 0},
    }
    started = time.perf_counter()
    deadline = started + args.duration
    gevent.joinall(
        [
            gevent.spawn(shopper, parts.hostname, parts.port, args.code, deadline, i * 1000, out)
            for i in range(args.clients)
        ]
    )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["seconds"] = time.perf_counter() - started
    out["client_cpu_s"] = usage.ru_utime + usage.ru_stime
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
