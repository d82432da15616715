#!/usr/bin/env python3
"""What metrics and tracing cost per request, in process: no sockets, no gunicorn.

    python bench/observability_overhead.py [--requests 2000] [--rounds 5] [--cycles 3]

For each mode it starts a fresh process of discount_service on a throwaway SQLite
database and times N ``GET /api/discounts/{code}/`` (the hot read) through Django's
test client, and takes the least CPU time per request over its rounds and over
``--cycles`` fresh processes per mode (the modes take turns, so a busy spell of the
machine does not land on one mode only):

* ``off``: METRICS_ENABLED=false, no OTEL_* (the request path without observability);
* ``metrics``: the default (HTTP and DB metrics, the trace id passed on, no SDK);
* ``tracing``: metrics and OpenTelemetry spans exported over OTLP/HTTP to a receiver
  here that drops them (the batch exporter works in its own thread, as in production).

It prints microseconds per request and the difference to ``off``. The figures belong to
the machine they were taken on; compare them with each other, not across machines.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODES = ("off", "metrics", "tracing")

CHILD = r"""
import json, os, sys, time
import django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
from discounts.models import Discount
from django.utils import timezone
Discount.objects.create(code="BENCH10", kind="percent", value="10.00", starts_at=timezone.now())
client = Client()
headers = {"HTTP_AUTHORIZATION": "Bearer dev-discount-service-token"}
n, rounds = int(sys.argv[1]), int(sys.argv[2])
for _ in range(200):
    assert client.get("/api/discounts/BENCH10/", **headers).status_code == 200
best = None
for _ in range(rounds):
    # CPU time of this process, all its threads (the span exporter's included): other
    # processes on a shared machine slow the wall clock, not this.
    started = time.process_time()
    for _ in range(n):
        client.get("/api/discounts/BENCH10/", **headers)
    took = (time.process_time() - started) / n
    best = took if best is None else min(best, took)
print(json.dumps({"us_per_request": best * 1e6}))
"""

# Each piece on its own, microseconds per call (best of 5 x N calls), as gunicorn runs it:
# with PROMETHEUS_MULTIPROC_DIR (values in memory-mapped files).
PARTS = r"""
import json, os, sys, timeit
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
import django
django.setup()
from servicekit.observability import metrics, tracing
from servicekit.observability.downstream import observe_call
TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
meta = {"HTTP_TRACEPARENT": TP}

def server():
    span = tracing.ServerSpan(meta, "GET")
    span.finish("/api/discounts/{code}/", 200)
    tracing.forget()

def http_metrics():
    metrics.observe_request("/api/discounts/{code}/", "GET", 200, 0.001)

def db_query():
    metrics.DB_QUERY_SECONDS.observe(0.0002)

def call():
    with observe_call("payment_service", "POST") as c:
        c.status = 201

def us(fn, n=20000):
    return min(timeit.repeat(fn, number=n, repeat=5)) / n * 1e6

out = {"server_span_off": us(server), "client_call_off": us(call)}
out["http_metrics"] = us(http_metrics)
out["db_query_metric"] = us(db_query)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
class Drop(SpanExporter):
    def export(self, spans): return SpanExportResult.SUCCESS
provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(Drop()))
tracing._tracer = provider.get_tracer("bench")
out["server_span_on"] = us(server, 5000)
out["client_call_on"] = us(call, 5000)
print(json.dumps(out))
"""


class _Drop(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def mode_env(mode: str, otlp_url: str, db_path: Path) -> dict[str, str]:
    """The environment of one mode (what bench/run.py --observability sets, too)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OTEL_") and k not in ("METRICS_ENABLED", "PROMETHEUS_MULTIPROC_DIR")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{db_path}",
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(observability_env(mode, otlp_url))
    return env


def observability_env(mode: str, otlp_url: str | None) -> dict[str, str]:
    if mode == "off":
        return {"METRICS_ENABLED": "false"}
    if mode == "tracing":
        if not otlp_url:
            raise ValueError("tracing needs a receiver for the spans")
        return {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp_url, "OTEL_SERVICE_NAME": "bench"}
    if mode == "metrics":
        return {}
    raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")


class DropReceiver:
    """An OTLP/HTTP endpoint that answers 200 and keeps nothing."""

    def __enter__(self) -> str:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Drop)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cycles", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, float] = {}
    with DropReceiver() as url, tempfile.TemporaryDirectory() as tmp:
        for cycle in range(args.cycles):
            for mode in MODES:
                out = subprocess.run(  # noqa: S603 - this interpreter, our code
                    [sys.executable, "-c", CHILD, str(args.requests), str(args.rounds)],
                    cwd=ROOT / "discount_service",
                    env=mode_env(mode, url, Path(tmp) / f"{mode}-{cycle}.sqlite3"),
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                us = json.loads(out.strip().splitlines()[-1])["us_per_request"]
                results[mode] = min(us, results.get(mode, us))
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": tmp}
        env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
        out = subprocess.run(  # noqa: S603 - this interpreter, our code
            [sys.executable, "-c", PARTS],
            cwd=ROOT / "servicekit",
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        parts = json.loads(out.strip().splitlines()[-1])
    base = results["off"]
    print("The hot read through Django's test client, CPU time per request:")
    for mode in MODES:
        print(f"  {mode:8s} {results[mode]:8.1f} us  ({results[mode] - base:+.1f} us vs off)")
    print("Each piece (multi-process mode), per call:")
    for name, value in parts.items():
        print(f"  {name:16s} {value:6.2f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
