"""What the benchmark measures: the services on throwaway databases, as `make run` starts
them, and the bare-Django floor (``bench/floor.py``) under the same gunicorn settings."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench.drivers import ADMIN, CODE, request_json
from bench.flow import PRODUCTS
from harness.pgcluster import Cluster, free_port
from harness.stack import CHECKOUT_SERVICES, SERVICES, Stack
from harness.tokens import TOKENS

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CATALOG_ADMIN = {
    "Authorization": f"Bearer {TOKENS['CATALOG_ADMIN_TOKEN']}",
    "Content-Type": "application/json",
}


class Floor:
    """The bare-Django floor app under the services' gunicorn settings."""

    def __init__(self, log: Path, database_url: str | None = None) -> None:
        self.port = free_port()
        self.log = log
        self.database_url = database_url  # discount_service's: for /read/<code>/
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Floor:
        env = {**os.environ, "BIND": f"127.0.0.1:{self.port}", "SERVICE_NAME": "floor"}
        if self.database_url:
            env["FLOOR_DATABASE_URL"] = self.database_url
        self.proc = subprocess.Popen(  # noqa: S603
            [
                PY,
                "-m",
                "gunicorn",
                "-c",
                "python:servicekit.gunicorn_conf",
                "bench.floor:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_ready(f"{self.url}/health/ready", self.proc)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=15)


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as resp:  # noqa: S310
            if resp.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready in {timeout}s")


def create_code(stack: Stack) -> None:
    """The flow's discount code, and the products its carts hold, on sale in the catalog."""
    _created(
        f"{stack.url('discount')}/api/discounts/",
        ADMIN,
        {"code": CODE, "kind": "percent", "value": "10.00"},
    )
    for sku, price in PRODUCTS.items():
        body = {"sku": sku, "name": "Bench mug", "prices": {"USD": price}}
        _created(f"{stack.url('catalog')}/api/products/", CATALOG_ADMIN, body)


def _created(url: str, headers: dict, body: dict) -> None:
    request_json("POST", url, headers, body)


@contextlib.contextmanager
def services_on(kind: str, work: Path, **stack_options) -> Iterator[tuple[Stack, dict, int | None]]:
    """The three services started on throwaway databases of ``kind`` (sqlite, postgres),
    stopped, PostgreSQL with them, when the block ends.

    Yields the stack, its database URLs, and PostgreSQL's server pid (None for SQLite,
    whose CPU is the services'). ``stack_options``: more of ``Stack``'s fields.
    """
    cluster = Cluster(databases=CHECKOUT_SERVICES).start() if kind == "postgres" else None
    try:
        if cluster is not None:
            db_urls = {n: cluster.url(n) for n in CHECKOUT_SERVICES}
        else:
            (work / kind).mkdir(parents=True, exist_ok=True)
            db_urls = {n: f"sqlite:///{work / kind / n}.sqlite3" for n in CHECKOUT_SERVICES}
        stack = Stack(
            ports={n: free_port() for n in SERVICES},  # every service's URL is known
            database_urls=db_urls,
            log_dir=work / kind / "logs",
            **stack_options,
        )
        try:
            stack.start()
            yield stack, db_urls, cluster.server_pid if cluster else None
        finally:
            stack.stop()
    finally:
        if cluster is not None:
            cluster.stop()
