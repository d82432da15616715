import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection
from django.db.backends.signals import connection_created
from django.test import Client, override_settings
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from servicekit import settings as kit_settings
from servicekit.observability import db, downstream, gunicorn, logs, tracing
from servicekit.observability.metrics import sample_value

TOKEN = {"HTTP_AUTHORIZATION": "Bearer metrics-token-for-tests"}
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


def scrape(client=None) -> str:
    response = (client or Client()).get("/metrics", **TOKEN)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4; charset=utf-8")
    return response.content.decode()


# -- /metrics ---------------------------------------------------------------------------


def test_metrics_without_the_token_is_refused_as_problem_json():
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@override_settings(METRICS_TOKEN="")
def test_metrics_without_a_configured_token_does_not_exist():
    response = Client().get("/metrics", **TOKEN)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_requests_are_counted_by_route_template_not_by_path():
    labels = {"route": "/things/{thing_id}/", "method": "GET", "status": "200"}
    before = sample_value("http_requests_total", labels)

    Client().get("/things/41/")
    Client().get("/things/42/")

    assert sample_value("http_requests_total", labels) == before + 2
    text = scrape()
    assert 'route="/things/{thing_id}/"' in text
    assert "/things/41/" not in text
    assert (
        'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/things/{thing_id}/"}'
        in text
    )


def test_unknown_paths_count_as_one_route():
    labels = {"route": "unmatched", "method": "GET", "status": "404"}
    before = sample_value("http_requests_total", labels)

    Client().get("/no/such/7f1c/")

    assert sample_value("http_requests_total", labels) == before + 1


def test_errors_keep_their_status_label():
    labels = {"route": "/broken", "method": "GET", "status": "500"}
    before = sample_value("http_requests_total", labels)
    client = Client(raise_request_exception=False)

    assert client.get("/broken").status_code == 500
    assert sample_value("http_requests_total", labels) == before + 1


@pytest.mark.parametrize(
    ("env", "value"),
    [({}, "dev-metrics-token"), ({"METRICS_TOKEN": "mine-12345"}, "mine-12345")],
)
def test_metrics_token_outside_production(monkeypatch, env, value):
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    monkeypatch.setenv("DJANGO_ENV", "development")
    for name, v in env.items():
        monkeypatch.setenv(name, v)
    assert kit_settings.metrics_token() == value


def test_metrics_token_in_production(monkeypatch):
    monkeypatch.setenv("DJANGO_ENV", "production")
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    assert kit_settings.metrics_token() == ""  # /metrics is off, never public
    monkeypatch.setenv("METRICS_TOKEN", "dev-metrics-token")
    with pytest.raises(ImproperlyConfigured):
        kit_settings.metrics_token()
    monkeypatch.setenv("METRICS_TOKEN", "a-real-token-0123456789")
    assert kit_settings.metrics_token() == "a-real-token-0123456789"


# -- multi-process mode -----------------------------------------------------------------

WORKER = """
from servicekit.observability import metrics
metrics.observe_request("/x/{id}/", "GET", 200, 0.01)
"""
SCRAPE = """
from servicekit.observability import metrics
print(metrics.exposition()[0].decode())
"""


def test_a_scrape_adds_up_the_samples_of_every_worker_process(tmp_path, monkeypatch):
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "counter_999999.db").write_bytes(b"stale")
    monkeypatch.setenv(gunicorn.ENV, str(tmp_path))
    path = gunicorn.prepare_multiproc_dir("test")  # what the gunicorn master does first
    assert path == str(tmp_path / "test")
    assert os.environ[gunicorn.ENV] == path
    assert not (tmp_path / "test" / "counter_999999.db").exists()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", WORKER], env=env, check=True)

    out = subprocess.run(
        [sys.executable, "-c", SCRAPE], env=env, check=True, capture_output=True, text=True
    ).stdout

    assert 'http_requests_total{method="GET",route="/x/{id}/",status="200"} 2.0' in out


def test_gunicorn_makes_and_removes_its_own_directory(monkeypatch):
    monkeypatch.setenv(gunicorn.ENV, "")  # unset; and restored after the test
    path = gunicorn.prepare_multiproc_dir("test")
    assert os.path.isdir(path)
    assert os.environ[gunicorn.ENV] == path

    gunicorn.on_exit(None)

    assert not os.path.exists(path)


# -- downstream calls -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "exc", "outcome"),
    [
        (200, None, "ok"),
        (404, None, "4xx"),
        (503, None, "5xx"),
        (None, requests.ConnectTimeout(), "timeout"),
        (None, requests.ReadTimeout(), "timeout"),
        (None, requests.ConnectionError(), "refused"),
        (None, ValueError(), "error"),
    ],
)
def test_downstream_outcomes(status, exc, outcome):
    assert downstream.outcome_of(status, exc) == outcome


def test_downstream_calls_are_counted_by_outcome_and_retries():
    ok = {"provider": "p", "method": "POST", "outcome": "ok"}
    timeout = {"provider": "p", "method": "POST", "outcome": "timeout"}
    before = [sample_value("downstream_requests_total", x) for x in (ok, timeout)]
    retries = sample_value("downstream_retries_total", {"provider": "p"})

    with pytest.raises(requests.Timeout), downstream.observe_call("p", "POST", 0):
        raise requests.ReadTimeout()
    with downstream.observe_call("p", "POST", 1) as call:
        call.status = 201

    assert sample_value("downstream_requests_total", timeout) == before[1] + 1
    assert sample_value("downstream_requests_total", ok) == before[0] + 1
    assert sample_value("downstream_retries_total", {"provider": "p"}) == retries + 1
    assert (
        sample_value(
            "downstream_request_duration_seconds_count", {"provider": "p", "outcome": "ok"}
        )
        >= 1
    )


# -- the database -----------------------------------------------------------------------


@pytest.mark.django_db
def test_queries_are_timed_and_failed_queries_counted():
    db.install()
    # What Django sends when it opens a connection (the test database is already open).
    connection_created.send(sender=type(connection), connection=connection)
    timed = sample_value("db_query_duration_seconds_count")
    failed = sample_value("db_errors_total", {"kind": "query"})

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        with pytest.raises(OperationalError):
            cursor.execute("SELECT * FROM no_such_table")

    assert sample_value("db_query_duration_seconds_count") == timed + 2
    assert sample_value("db_errors_total", {"kind": "query"}) == failed + 1


def test_a_request_that_cannot_reach_the_database_is_counted(monkeypatch):
    db.install()
    from tests import urls

    def down(self, request):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(urls.BrokenApi, "get", down)
    before = sample_value("db_errors_total", {"kind": "connection"})

    assert Client(raise_request_exception=False).get("/broken").status_code == 500
    assert sample_value("db_errors_total", {"kind": "connection"}) == before + 1


def test_a_readiness_check_that_cannot_reach_the_database_is_counted(monkeypatch):
    from servicekit import views

    def unreachable():
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(views.connection, "cursor", unreachable)
    before = sample_value("db_errors_total", {"kind": "connection"})

    assert Client().get("/health/ready").status_code == 503
    assert sample_value("db_errors_total", {"kind": "connection"}) == before + 1


# -- tracing off: the trace id still travels --------------------------------------------


def test_tracing_is_off_unless_the_otel_variables_ask(monkeypatch):
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    assert tracing._exporters() == []
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert tracing._exporters() == ["otlp"]
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert tracing._exporters() == []
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    assert tracing._exporters() == ["console"]
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert tracing._exporters() == []
    monkeypatch.delenv("OTEL_SDK_DISABLED")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ImproperlyConfigured):
        tracing._exporters()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    with pytest.raises(ImproperlyConfigured):
        tracing._exporters()


def test_off_an_incoming_traceparent_is_passed_on_unchanged():
    assert not tracing.enabled()
    span = tracing.ServerSpan({"HTTP_TRACEPARENT": TRACEPARENT}, "GET")

    assert tracing.current_trace_id() == TRACE_ID
    assert tracing.ClientSpan("p", "GET").headers == {"traceparent": TRACEPARENT}
    span.finish("/x", 200)
    tracing.forget()
    assert tracing.current_trace_id() == "-"
    assert tracing.ClientSpan("p", "GET").headers == {}


@pytest.mark.parametrize(
    "sent",
    [
        "garbage",
        f"00-{'0' * 32}-{PARENT_ID}-01",
        f"00-{TRACE_ID}-{'0' * 16}-01",
        f"00-{TRACE_ID.upper()}-{PARENT_ID}-01",
        TRACEPARENT + "\nX: 1",
    ],
)
def test_off_an_invalid_traceparent_is_dropped(sent):
    tracing.ServerSpan({"HTTP_TRACEPARENT": sent}, "GET")

    assert tracing.current_trace_id() == "-"
    assert tracing.ClientSpan("p", "GET").headers == {}


def test_log_lines_carry_the_trace_id(caplog):
    caplog.set_level("INFO", logger="servicekit.access")
    caplog.handler.addFilter(logs.TraceIdFilter())

    Client().get("/health/live", HTTP_TRACEPARENT=TRACEPARENT)

    access = [r for r in caplog.records if r.name == "servicekit.access"]
    assert access[-1].trace_id == TRACE_ID
    assert access[-1].route == "/health/live"
    assert access[-1].status == 200


# -- tracing on -------------------------------------------------------------------------


@pytest.fixture
def spans(monkeypatch):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "_tracer", provider.get_tracer("test"))
    yield exporter
    tracing.forget()


def test_on_a_request_continues_the_trace_and_its_calls_are_its_children(spans):
    server = tracing.ServerSpan({"HTTP_TRACEPARENT": TRACEPARENT}, "POST")
    call = tracing.ClientSpan("payment_service", "POST")
    sent = call.headers["traceparent"]
    call.finish("ok", 201)
    server.finish("/api/carts/{cart_id}/checkout/", 200)

    client_span, server_span = spans.get_finished_spans()
    assert server_span.kind == SpanKind.SERVER
    assert server_span.name == "POST /api/carts/{cart_id}/checkout/"
    assert format(server_span.context.trace_id, "032x") == TRACE_ID
    assert format(server_span.parent.span_id, "016x") == PARENT_ID
    assert client_span.kind == SpanKind.CLIENT
    assert client_span.parent.span_id == server_span.context.span_id
    assert sent == f"00-{TRACE_ID}-{format(client_span.context.span_id, '016x')}-01"
    assert tracing.current_trace_id() == TRACE_ID


def test_on_a_request_without_traceparent_starts_a_trace(spans):
    response = Client().get("/things/7/")

    (span,) = spans.get_finished_spans()
    assert span.parent is None
    assert span.name == "GET /things/{thing_id}/"
    assert span.attributes["http.response.status_code"] == 200
    assert response.status_code == 200


# -- JSON logs --------------------------------------------------------------------------


def test_json_lines_have_the_fields_an_operator_filters_on():
    record = logging.LogRecord(
        "servicekit.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None
    )
    record.request_id, record.trace_id = "rid-1", TRACE_ID
    record.route, record.status, record.duration_ms = "/x", 200, 1.5

    line = json.loads(logs.JsonFormatter("cart_service").format(record))

    assert line["service"] == "cart_service"
    assert line["level"] == "INFO"
    assert line["message"] == "GET /x"
    assert (line["request_id"], line["trace_id"]) == ("rid-1", TRACE_ID)
    assert (line["route"], line["status"], line["duration_ms"]) == ("/x", 200, 1.5)


def test_log_format_is_text_or_json(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "json")
    config = kit_settings.logging_config("s")
    assert config["handlers"]["console"]["formatter"] == "json"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ImproperlyConfigured):
        kit_settings.logging_config("s")
    monkeypatch.delenv("LOG_FORMAT")
    assert kit_settings.logging_config("s")["handlers"]["console"]["formatter"] == "line"


def test_metrics_enabled_false_takes_the_middleware_and_the_endpoint_away(monkeypatch):
    monkeypatch.setenv("DJANGO_ENV", "test")
    monkeypatch.setenv("METRICS_ENABLED", "false")
    off = kit_settings.base_settings(service="s", base_dir=Path("/tmp"), apps=[], title="s")
    monkeypatch.setenv("METRICS_ENABLED", "true")
    on = kit_settings.base_settings(service="s", base_dir=Path("/tmp"), apps=[], title="s")

    middleware = "servicekit.observability.middleware.ObservabilityMiddleware"
    assert middleware not in off["MIDDLEWARE"]
    assert off["METRICS_TOKEN"] == ""  # /metrics answers 404
    assert on["MIDDLEWARE"][0] == middleware
    assert on["METRICS_TOKEN"] == "dev-metrics-token"


OFF = """
import sys
import django
django.setup()
from django.test import Client
from servicekit.observability import tracing
assert tracing.configure("s") is False
response = Client().get("/things/1/", HTTP_TRACEPARENT="%s")
assert response.status_code == 200
print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
"""


def test_off_no_opentelemetry_module_is_even_imported():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"

    result = subprocess.run(
        [sys.executable, "-c", OFF % TRACEPARENT], env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
