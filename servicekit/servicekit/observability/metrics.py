"""The metrics every service has, and what ``/metrics`` answers.

Names and what each answers are listed in the top README ("Observability"). Label values
are bounded: routes are URL templates, methods a fixed set, statuses the HTTP codes.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` (set by ``servicekit.gunicorn_conf`` before
this module loads) makes every value a memory-mapped file per worker, and a scrape adds
up all workers. Without it (tests, ``manage.py``) values live in the process.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.registry import Collector

# Seconds. The API answers in milliseconds; the top buckets catch calls that wait for a
# lock (DB_LOCK_TIMEOUT, 5 s) or a provider's time budget (DOWNSTREAM_TIME_BUDGET, 8 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0)

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "Requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer a request, by route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
DOWNSTREAM_REQUESTS = Counter(
    "downstream_requests_total",
    "HTTP calls to a provider, each try counted, by provider, method and outcome "
    "(ok, 4xx, 5xx, timeout, refused, error).",
    ["provider", "method", "outcome"],
)
DOWNSTREAM_LATENCY = Histogram(
    "downstream_request_duration_seconds",
    "Time of one try of a call to a provider, by provider and outcome.",
    ["provider", "outcome"],
    buckets=LATENCY_BUCKETS,
)
DOWNSTREAM_RETRIES = Counter(
    "downstream_retries_total",
    "Tries of a call to a provider after its first one, by provider.",
    ["provider"],
)
DB_QUERY_SECONDS = Histogram(
    "db_query_duration_seconds",
    "Time of one database query (execute or executemany).",
    buckets=DB_BUCKETS,
)
DB_ERRORS = Counter(
    "db_errors_total",
    "Database errors: kind=connection (could not connect or lost the connection), "
    "kind=query (a query failed: lock timeout, constraint, ...).",
    ["kind"],
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class LabelCache:
    """The labelled children of a metric, looked up in a dict instead of ``.labels()``.

    ``.labels()`` takes a lock and validates the labels on every call; the set of label
    values is small and fixed after warm-up, so each child is built once.
    """

    def __init__(self, metric) -> None:
        self.metric = metric
        self.children: dict[tuple[str, ...], object] = {}

    def __call__(self, *values: str):
        child = self.children.get(values)
        if child is None:
            child = self.children.setdefault(values, self.metric.labels(*values))
        return child


_http_count = LabelCache(HTTP_REQUESTS)
_http_latency = LabelCache(HTTP_LATENCY)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"
    _http_count(route, method, str(status)).inc()
    _http_latency(route, method).observe(seconds)


# -- what a scrape answers --------------------------------------------------------------

# Collectors asked at every scrape, beside the counters: values read from the database
# (e.g. cart_service's reconciler backlog), which no worker holds in memory.
_scrape_collectors: list[Collector] = []


def register_scrape_collector(collector: Collector) -> None:
    if collector not in _scrape_collectors:
        _scrape_collectors.append(collector)


def exposition() -> tuple[bytes, str]:
    """The Prometheus text of this service: all workers' samples, then the scrape collectors."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    if _scrape_collectors:
        extra = CollectorRegistry(auto_describe=False)
        for collector in _scrape_collectors:
            extra.register(collector)
        body += generate_latest(extra)
    # The text format every Prometheus 2.x reads.
    return body, CONTENT_TYPE_PLAIN_0_0_4


def sample_value(name: str, labels: dict[str, str] | None = None) -> float:
    """The current value of a sample in this process (0 if absent): for tests."""
    value = REGISTRY.get_sample_value(name, labels or {})
    return 0.0 if value is None else value
