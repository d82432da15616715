"""What an operator sees of the running system: Prometheus scrapes, one trace per checkout.

A stack of its own (its counters start at zero), with tracing on: every service exports
its spans over OTLP/HTTP to a small receiver in this test, and a real Prometheus server
(Debian's package, `make prometheus`) scrapes the three services' /metrics with the
metrics token, with the alert rules of deploy/observability loaded.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import threading
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from e2e.waiting import until
from harness.api_client import CatalogAdminClient, DiscountAdminClient, StorefrontClient
from harness.tokens import TOKENS

pytestmark = pytest.mark.processes

ROOT = Path(__file__).resolve().parent.parent
METRICS_TOKEN = "dev-metrics-token"


# -- an OTLP/HTTP receiver --------------------------------------------------------------


class SpanSink:
    """Receives ``POST /v1/traces`` (protobuf) and keeps every span as a dict."""

    def __init__(self) -> None:
        self.spans: list[dict] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
                sink.add(request)
                answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, request) -> None:
        from opentelemetry.proto.trace.v1.trace_pb2 import Span

        for resource_spans in request.resource_spans:
            attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    with self.lock:
                        self.spans.append(
                            {
                                "service": attrs.get("service.name"),
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent_id": span.parent_span_id.hex(),
                                "kind": Span.SpanKind.Name(span.kind),
                                "name": span.name,
                            }
                        )

    def of_trace(self, trace_id: str) -> list[dict]:
        with self.lock:
            return [s for s in self.spans if s["trace_id"] == trace_id]

    def stop(self) -> None:
        self.server.shutdown()


# -- a Prometheus server ----------------------------------------------------------------


def prometheus_binary() -> str:
    for candidate in (
        os.environ.get("PROMETHEUS_BIN"),
        str(ROOT / ".tools/prometheus/usr/bin/prometheus"),
        shutil.which("prometheus"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("no Prometheus server: `make prometheus` unpacks Debian's package in .tools/")


class Prometheus:
    def __init__(self, tmp: Path, targets: dict[str, str]) -> None:
        from harness.pgcluster import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(ROOT / "deploy/observability/alerts.yml")],
            "scrape_configs": [
                {
                    "job_name": f"{name}_service",
                    "authorization": {"credentials": METRICS_TOKEN},
                    "static_configs": [{"targets": [urllib.parse.urlsplit(url).netloc]}],
                }
                for name, url in targets.items()
            ],
        }
        (tmp / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
        self.log = open(tmp / "prometheus.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                prometheus_binary(),
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        until(self._ready, "Prometheus ready", 30)

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            pytest.fail(f"Prometheus exited with {self.proc.returncode}; see its log")
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def api(self, path: str, **params) -> dict:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=5) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]

    def value(self, promql: str) -> float | None:
        """The single value of an instant query, None if it has no result."""
        result = self.api("query", query=promql)["result"]
        assert len(result) <= 1, result
        return float(result[0]["value"][1]) if result else None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# -- the stack --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sink():
    sink = SpanSink()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def observed(tmp_path_factory, sink):
    from e2e.process_stack import ProcessStack

    stack = ProcessStack(
        tmp_path_factory.mktemp("observed"),
        env={
            "OTEL_EXPORTER_OTLP_ENDPOINT": sink.url,
            "OTEL_BSP_SCHEDULE_DELAY": "100",  # milliseconds: spans arrive soon
            "LOG_FORMAT": "text",
        },
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def prometheus(observed, tmp_path_factory):
    server = Prometheus(
        tmp_path_factory.mktemp("prometheus"), {n: observed.url(n) for n in observed.names}
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def catalog(observed):
    """This module's stack's own catalog (the product fixture puts products on sale in it)."""
    return CatalogAdminClient(observed.url("catalog"), token=TOKENS["CATALOG_ADMIN_TOKEN"])


def a_cart(storefront: StorefrontClient, catalog: CatalogAdminClient, price: str) -> dict:
    sku = f"OBS-{uuid.uuid4().hex[:10].upper()}"
    catalog.create(sku, "Observed", {"USD": price})
    return storefront.create_cart("USD", items=[{"sku": sku, "quantity": 1}])


# -- the journeys -----------------------------------------------------------------------


def test_prometheus_counts_the_checkouts_and_payments(observed, prometheus, catalog):
    storefront = StorefrontClient(observed.url("cart"))
    for _ in range(3):
        assert (
            storefront.checkout(a_cart(storefront, catalog, "5.00")["id"])["payment_status"]
            == "paid"
        )
    # Over PAYMENT_APPROVAL_LIMIT (20.00): payment_service declines, the checkout fails.
    assert (
        storefront.checkout(a_cart(storefront, catalog, "25.00")["id"])["payment_status"]
        == "failed"
    )

    def counts():
        return {
            "paid": prometheus.value('cart_checkouts_total{job="cart_service",outcome="paid"}'),
            "failed": prometheus.value('cart_checkouts_total{job="cart_service",outcome="failed"}'),
            "succeeded": prometheus.value(
                'payments_total{job="payment_service",status="succeeded"}'
            ),
            "declined": prometheus.value('payments_total{job="payment_service",status="declined"}'),
            # Summed over both gunicorn workers of each service, by route template.
            "checkout route": prometheus.value(
                'sum(http_requests_total{job="cart_service",route="/api/carts/{cart_id}/checkout/",'
                'method="POST",status="200"})'
            ),
            "payment calls": prometheus.value(
                'sum(downstream_requests_total{job="cart_service",provider="payment_service",outcome="ok"})'
            ),
        }

    # A scrape may fall between a checkout's counters: all are waited for together.
    expected = {
        "paid": 3.0,
        "failed": 1.0,
        "succeeded": 3.0,
        "declined": 1.0,
        "checkout route": 4.0,
        "payment calls": 4.0,
    }
    until(lambda: counts() == expected, f"the counts {expected}")

    def targets_up() -> list[tuple[str, str]]:
        up = prometheus.api("query", query="up")["result"]
        return sorted((r["metric"]["job"], r["value"][1]) for r in up)

    # Each target is scraped on its own schedule: the checkouts can be counted before
    # discount_service (not on the checkout's metrics path) has had its first scrape.
    every_service_up = sorted((f"{name}_service", "1") for name in observed.names)
    until(lambda: targets_up() == every_service_up, f"the targets {every_service_up}")


def test_prometheus_loads_the_alert_rules(prometheus):
    groups = prometheus.api("rules")["groups"]
    rules = {rule["name"]: rule["health"] for group in groups for rule in group["rules"]}

    assert {"CheckoutErrorRatioHigh", "PaymentLatencyHigh", "ReconcilerBacklogGrowing"} <= set(
        rules
    )
    until(
        lambda: all(
            h == "ok"
            for h in (r["health"] for g in prometheus.api("rules")["groups"] for r in g["rules"])
        ),
        "every rule evaluated without error",
        30,
    )


def test_metrics_is_refused_without_the_token(observed):
    for name in observed.names:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{observed.url(name)}/metrics", timeout=5)
        assert refused.value.code == 401
        assert refused.value.headers["Content-Type"] == "application/problem+json"


def test_one_checkout_is_one_trace_across_the_three_services(observed, sink, catalog):
    admin = DiscountAdminClient(observed.url("discount"), token=TOKENS["DISCOUNT_ADMIN_TOKEN"])
    code = f"TRACE-{uuid.uuid4().hex[:8].upper()}"
    admin.create(code=code, kind="percent", value="10.00")
    storefront = StorefrontClient(observed.url("cart"))
    cart = a_cart(storefront, catalog, "10.00")
    storefront.apply_discount(cart["id"], code)
    trace_id, parent_id = uuid.uuid4().hex, uuid.uuid4().hex[:16]

    paid = storefront.checkout(cart["id"], headers={"traceparent": f"00-{trace_id}-{parent_id}-01"})

    assert paid["payment_status"] == "paid"
    spans = until(
        lambda: (
            (s := sink.of_trace(trace_id))
            and {x["service"] for x in s if x["kind"] == "SPAN_KIND_SERVER"}
            == {"cart_service", "discount_service", "payment_service"}
            and s
        ),
        "server spans of the three services in the trace",
    )
    by_id = {s["span_id"]: s for s in spans}
    (checkout,) = [
        s for s in spans if s["service"] == "cart_service" and s["kind"] == "SPAN_KIND_SERVER"
    ]
    assert checkout["name"] == "POST /api/carts/{cart_id}/checkout/"
    assert checkout["parent_id"] == parent_id  # continues the caller's trace
    for provider, route in (
        ("discount_service", "POST /api/discounts/{code}/redemptions/"),
        ("payment_service", "POST /api/payments/"),
    ):
        (server,) = [s for s in spans if s["service"] == provider and s["name"] == route]
        assert server["kind"] == "SPAN_KIND_SERVER"
        call = by_id[server["parent_id"]]  # the provider's span is a child of cart's call...
        assert (call["service"], call["kind"]) == ("cart_service", "SPAN_KIND_CLIENT")
        assert call["parent_id"] == checkout["span_id"]  # ... which is a child of the checkout
    # Both ids on the log lines of every service (an access line may follow the answer).
    # (A cart priced just now asks the catalog nothing at checkout: three services.)
    for name in ("cart", "discount", "payment"):
        until(lambda n=name: f"trace_id={trace_id}" in observed.log(n), f"{name}'s log line")
