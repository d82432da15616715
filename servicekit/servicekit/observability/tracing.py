"""W3C trace context in every service; spans recorded only when ``OTEL_*`` asks for them.

Off (the default): no OpenTelemetry code runs on a request. An incoming ``traceparent``
is checked with one regular expression and passed on unchanged to the downstream calls,
so the trace id still reaches every service and every log line (``trace_id=``).

On (``OTEL_TRACES_EXPORTER`` is ``otlp`` or ``console``, or an ``OTEL_EXPORTER_OTLP_*
ENDPOINT`` is set, and ``OTEL_SDK_DISABLED`` is not true): the SDK's tracer makes one
SERVER span per request (continuing the incoming ``traceparent``) and one CLIENT span per
try of a downstream call, whose context goes out in the call's ``traceparent``; spans are
batched and exported over OTLP/HTTP (protobuf) as the standard variables say
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME``, ``OTEL_TRACES_SAMPLER``, ...).

The propagation is written here rather than taken from the Django and requests
instrumentations: those wrap every request and call whatever the configuration, and
cost measurably more (see the top README, "Observability").
"""

from __future__ import annotations

import contextvars
import os
import re

from django.core.exceptions import ImproperlyConfigured

TRACEPARENT = "traceparent"
_META_TRACEPARENT = "HTTP_TRACEPARENT"
_META_TRACESTATE = "HTTP_TRACESTATE"
# version 00: trace id (not all zero), parent span id (not all zero), flags.
_VALID = re.compile(r"00-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}", re.ASCII)
_EXPORTERS = {"otlp", "console"}

trace_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("trace_id", default="-")
# Tracing off: the incoming traceparent, passed on as it came.
_incoming: contextvars.ContextVar[str | None] = contextvars.ContextVar("traceparent", default=None)

_tracer = None  # the SDK's tracer when tracing is on


def current_trace_id() -> str:
    return trace_id_var.get()


def _exporters() -> list[str]:
    """The span exporters the standard variables ask for; [] means tracing off."""
    env = os.environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    raw = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not raw:
        endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        return ["otlp"] if endpoint and endpoint.strip() else []
    names = [n.strip() for n in raw.split(",") if n.strip() and n.strip() != "none"]
    unknown = set(names) - _EXPORTERS
    if unknown:
        raise ImproperlyConfigured(
            f"OTEL_TRACES_EXPORTER: {', '.join(sorted(unknown))} is not supported; "
            "use otlp, console or none."
        )
    protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
    )
    if "otlp" in names and protocol.strip() != "http/protobuf":
        raise ImproperlyConfigured(
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r}: only http/protobuf is installed."
        )
    return names


def configure(service: str) -> bool:
    """Set tracing on or off from the environment, once per process; whether it is on."""
    global _tracer
    if _tracer is not None:
        return True
    names = _exporters()
    if not names:
        return False
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    for name in names:
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter: SpanExporter = OTLPSpanExporter()
        else:
            exporter = ConsoleSpanExporter(service_name=service)
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _tracer = provider.get_tracer("servicekit")
    return True


def enabled() -> bool:
    return _tracer is not None


class ServerSpan:
    """The span of one request (tracing on), or just its trace id (off)."""

    __slots__ = ("_span", "_token")

    def __init__(self, meta, method: str) -> None:
        self._span = self._token = None
        incoming = meta.get(_META_TRACEPARENT, "")
        valid = bool(incoming) and _VALID.fullmatch(incoming) is not None
        if _tracer is None:
            _incoming.set(incoming if valid else None)
            trace_id_var.set(incoming[3:35] if valid else "-")
            return
        from opentelemetry import context, trace
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        carrier = {}
        if valid:
            carrier[TRACEPARENT] = incoming
            if state := meta.get(_META_TRACESTATE):
                carrier["tracestate"] = state
        parent = TraceContextTextMapPropagator().extract(carrier)
        self._span = _tracer.start_span(
            method,
            context=parent,
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": method},
        )
        self._token = context.attach(trace.set_span_in_context(self._span, parent))
        trace_id_var.set(format(self._span.get_span_context().trace_id, "032x"))

    def finish(self, route: str, status: int) -> None:
        span = self._span
        if span is None:
            return
        from opentelemetry import context
        from opentelemetry.trace import Status, StatusCode

        span.update_name(f"{span.name} {route}")  # type: ignore[attr-defined] # an SDK span
        span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()
        if self._token is not None:
            context.detach(self._token)


class ClientSpan:
    """One try of a downstream call: its span (tracing on) and the headers that carry it."""

    __slots__ = ("_span", "headers")

    def __init__(self, provider: str, method: str) -> None:
        self._span = None
        if _tracer is None:
            incoming = _incoming.get()
            self.headers = {TRACEPARENT: incoming} if incoming else {}
            return
        from opentelemetry import trace
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        self._span = _tracer.start_span(
            f"{method} {provider}",
            kind=trace.SpanKind.CLIENT,
            attributes={"http.request.method": method, "peer.service": provider},
        )
        self.headers = {}
        TraceContextTextMapPropagator().inject(
            self.headers, context=trace.set_span_in_context(self._span)
        )

    def finish(self, outcome: str, status: int | None) -> None:
        span = self._span
        if span is None:
            return
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("outcome", outcome)
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        if outcome not in ("ok", "4xx"):
            span.set_status(Status(StatusCode.ERROR, outcome))
        span.end()


def forget() -> None:
    """After a request: no trace id on the lines that follow (see request_finished)."""
    trace_id_var.set("-")
    _incoming.set(None)
