"""scripts/compose_scale_check.py: which 5xx through the load balancer fail compose-scale."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from harness.api_client import declined_on_purpose

ROOT = Path(__file__).resolve().parent.parent


def check_module():
    spec = importlib.util.spec_from_file_location(
        "compose_scale_check", ROOT / "scripts" / "compose_scale_check.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def line(status: int, request_id: str) -> str:
    return (
        f"lb_1 | lb service=cart status={status} upstream=10.0.0.2:8002 "
        f"upstream_status={status} request_id={request_id} method=POST request_time=0.03"
    )


def test_only_the_unexpected_5xx_are_problems(tmp_path):
    check = check_module()
    log = tmp_path / "lb.log"
    log.write_text(
        "\n".join(
            [
                line(200, "a"),
                line(503, "stuck-1"),  # a checkout while payment was paused
                line(502, declined_on_purpose()),  # a refund the e2e suite has declined
                line(502, "b"),  # a 502 nobody asked for
                line(500, declined_on_purpose()),  # only a 502 is declined on purpose
            ]
        )
    )

    _, _, statuses, problems = check.per_replica(log, {"10.0.0.2": "cart_1"})

    assert statuses["5xx while payment was paused (expected)"] == 1
    assert statuses["502 declined on purpose by the e2e suite (expected)"] == 1
    assert statuses["5xx"] == 2
    assert len(problems) == 2
    assert all("request_id=b " in p or "status=500" in p for p in problems)


def test_names_that_did_not_resolve_are_counted_in_every_clients_words(tmp_path):
    check = check_module()
    lines = [
        # psycopg 3 (a service's database), as the failed CI run's discount_service logged it
        "discount_1 | django.db.utils.OperationalError: failed to resolve host 'db': "
        "[Errno -2] Name or service not known",
        # libpq
        'could not translate host name "db" to address: Temporary failure in name resolution',
        # urllib3 2 (cart_service to a provider, the e2e runner to lb)
        "NameResolutionError(\"<HTTPConnection(host='lb', port=8002)>: Failed to resolve 'lb'\")",
        # nginx at start
        'nginx: [emerg] host not found in upstream "cart:8002"',
        # none of these is one
        "discount_1 | GET /health/ready 503 6.4ms",
        'OperationalError: connection to server at "db" (10.89.0.2), port 5432 failed: '
        "Connection refused",
        "lb_1 | lb service=cart status=200 upstream=10.0.0.2:8002",
    ]
    log = tmp_path / "services.log"
    log.write_text("\n".join(lines) + "\n")

    assert check.unresolved_names(lines) == 4
    assert check.unresolved_names(lines[4:]) == 0
    # the script's own call: missing logs (a phase that never ran) count nothing
    answer = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "compose_scale_check.py"),
            "dns",
            str(log),
            str(tmp_path / "never-written.log"),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert answer.stdout.strip() == "4"
