"""bench/run.py --observability: what each mode sets in the services' environment."""

import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402
from bench.observability_overhead import DropReceiver, observability_env  # noqa: E402


def test_off_turns_metrics_off_and_leaves_tracing_off():
    assert observability_env("off", None) == {"METRICS_ENABLED": "false"}


def test_metrics_is_the_default_configuration():
    assert observability_env("metrics", None) == {}


def test_tracing_exports_to_the_receiver_it_is_given():
    env = observability_env("tracing", "http://127.0.0.1:1")

    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:1"
    with pytest.raises(ValueError, match="receiver"):
        observability_env("tracing", None)
    with pytest.raises(ValueError, match="unknown mode"):
        observability_env("everything", None)


def test_the_receiver_accepts_spans():
    with DropReceiver() as url:
        request = urllib.request.Request(f"{url}/v1/traces", data=b"\x00", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200


def test_the_flag_reaches_the_stack_of_each_database(monkeypatch, tmp_path):
    seen = {}

    class FakeStack:
        def __init__(self, **kwargs):
            seen.update(kwargs)
            raise RuntimeError("stop here")

    monkeypatch.setattr(run, "Stack", FakeStack)
    args = type("Args", (), {"observability_env": {"METRICS_ENABLED": "false"}})()

    with pytest.raises(RuntimeError, match="stop here"):
        run.bench_database("sqlite", args, tmp_path)

    assert seen["env"] == {"METRICS_ENABLED": "false"}


def test_an_unknown_mode_is_refused_before_anything_runs(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["run.py", "--observability", "bogus"])
    with pytest.raises(SystemExit):
        run.main()
