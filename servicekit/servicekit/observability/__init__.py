"""What the services show of themselves: Prometheus metrics, OpenTelemetry traces, JSON logs.

* ``metrics``: the HTTP, downstream and database metrics every service has, and the
  ``/metrics`` view (bearer token ``METRICS_TOKEN``, the same port as the API);
* ``tracing``: the W3C ``traceparent`` continued in each request and passed on to every
  downstream call; spans recorded and exported only when the ``OTEL_*`` variables ask;
* ``logs``: the trace id on every log line, and ``LOG_FORMAT=json``;
* ``middleware``: the one middleware that times each request, by route template;
* ``gunicorn``: the multi-process directory of ``prometheus_client`` under gunicorn.
"""


def setup(service: str, *, metrics: bool = True) -> bool:
    """Once per process, when the settings load: tracing on or off (returned), DB timings."""
    from servicekit.observability import db, tracing

    if metrics:
        db.install()
    return tracing.configure(service)
