"""The dashboard and the alert rules only query metrics the services define."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "deploy" / "observability"
SOURCES = [
    *ROOT.glob("servicekit/servicekit/**/*.py"),
    *ROOT.glob("*_service/*/**/*.py"),
]
# A metric's definition: Counter("name", ...), Histogram("name", ...), GaugeMetricFamily("name", ...)
_DEFINED = re.compile(r'\b(Counter|Histogram|GaugeMetricFamily)\(\s*"([a-z_]+)"')
_SUFFIXES = {"Counter": [""], "GaugeMetricFamily": [""], "Histogram": ["_bucket", "_count", "_sum"]}
# What looks like a metric in a PromQL expression: a name followed by { [ or ).
_USED = re.compile(r"\b([a-z][a-z_]*_(?:total|bucket|count|sum|backlog))\b")


def defined_metrics() -> set[str]:
    names = set()
    for path in SOURCES:
        if "/tests/" in str(path) or "/migrations/" in str(path):
            continue
        for kind, name in _DEFINED.findall(path.read_text()):
            names.update(name + suffix for suffix in _SUFFIXES[kind])
    return names


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((ASSETS / "grafana-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_the_services_define_the_metrics_the_readme_lists():
    names = defined_metrics()
    for name in ("http_requests_total", "cart_checkouts_total", "payments_total"):
        assert name in names


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_every_queried_metric_is_defined(source):
    if source == "dashboard":
        text = "\n".join(dashboard_exprs())
    else:
        text = (ASSETS / "alerts.yml").read_text()
    used = set(_USED.findall(text))

    assert used, "no metric found: the pattern no longer matches"
    assert used - defined_metrics() == set()


def test_the_dashboard_has_unique_panel_ids_and_a_datasource_variable():
    dashboard = json.loads((ASSETS / "grafana-dashboard.json").read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert "datasource" in {v["name"] for v in dashboard["templating"]["list"]}
