"""bench.procfs and bench.report: each service's memory, read from /proc, and its table."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench import procfs
from bench.report import markdown

ROOT = Path(__file__).resolve().parent.parent

# A parent holding 64 MB forks two children: one only reads it, one writes all of it.
PARENT = """
import os, sys, time
held = bytearray(64 * 1024 * 1024)
for i in range(0, len(held), 4096):
    held[i] = 1  # touched, so resident in the parent before the fork
for writes in (False, True):
    if os.fork() == 0:
        if writes:
            for i in range(0, len(held), 4096):
                held[i] = 2
        else:
            sum(held[i] for i in range(0, len(held), 4096))
        print("ready", flush=True)
        time.sleep(60)
        os._exit(0)
time.sleep(60)
"""


def test_a_worker_that_writes_what_it_shared_shows_it_as_private():
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert parent.stdout.readline().strip() == "ready"
        assert parent.stdout.readline().strip() == "ready"
        time.sleep(0.2)

        memory = procfs.memory_of({"svc": parent.pid})["svc"]

        assert memory["workers"] == 2
        reader, writer = sorted(memory["private_mb"])
        assert reader < 16  # still shares the 64 MB with the parent
        assert writer >= 64  # its own copy of every page it wrote
        assert all(pss > 0 for pss in memory["pss_mb"])
        assert memory["master_rss_mb"] >= 64
    finally:
        os.killpg(parent.pid, signal.SIGKILL)  # the children too
        parent.wait()


def test_a_worker_gone_since_proc_was_listed_is_left_out(monkeypatch):
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        real = procfs._rollup_kb

        def rollup(pid):
            if pid == sleeper.pid:
                raise ProcessLookupError(pid)  # what a zombie's smaps_rollup raises
            return real(pid)

        monkeypatch.setattr(procfs, "_rollup_kb", rollup)

        memory = procfs.memory_of({"tests": os.getpid()})["tests"]

        assert len(memory["pss_mb"]) == memory["workers"]
        assert memory["master_rss_mb"] > 0
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_report_has_a_memory_table_per_database():
    report = {
        "when": "now",
        "machine": "2 cores",
        "settings": {},
        "floor": {
            "rps": 6000.0,
            "rounds_rps": [6000],
            "p50_ms": 1.0,
            "p90_ms": 2.0,
            "p99_ms": 3.0,
            "server_cpu_ms_per_request": 0.25,
        },
        "databases": [
            {
                "database": "sqlite",
                "hot_read": {
                    "rps": 3000.0,
                    "rounds_rps": [3000],
                    "p50_ms": 2.0,
                    "p90_ms": 4.0,
                    "p99_ms": 7.0,
                    "server_cpu_ms_per_request": 0.6,
                },
                "flows": [],
                "sql_per_request": {},
                "memory": {
                    "cart": {
                        "workers": 2,
                        "pss_mb": [44.2, 43.6],
                        "private_mb": [28.2, 27.4],
                        "master_rss_mb": 85.8,
                    }
                },
            }
        ],
        "targets": [],
    }

    assert "| sqlite | cart | 2 | 44 / 44 | 28 / 27 | 86 |" in markdown(report)
