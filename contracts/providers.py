"""Start one provider for verification: gunicorn via harness.stack, an EMPTY database,
``PACT_PROVIDER_STATES=1`` and the development tokens.

cart_service calls discount_service and payment_service while it is verified; its
stand-ins are ``pact stub`` servers serving cart_service's own consumer pacts, so
what the stand-ins answer is exactly what those providers are verified to answer
(see README, "Stand-ins").

``root`` lets the teeth check start a mutated copy of a service folder, and the
can-i-deploy matrix a service of another revision (its ``git worktree``, with ``env``
putting that revision's servicekit first on ``PYTHONPATH`` and ``stubs`` naming that
revision's own pacts as the stand-ins).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from contracts.common import PACT_BIN, PACTS_DIR, ROOT, SERVICE_OF, TOKENS
from harness.pgcluster import free_port
from harness.stack import Stack

# Short downstream budgets: a stub that has no matching interaction answers at once.
DOWNSTREAM = {
    "DOWNSTREAM_CONNECT_TIMEOUT": "1.0",
    "DOWNSTREAM_READ_TIMEOUT": "3.0",
    "DOWNSTREAM_RETRIES": "0",
    "DOWNSTREAM_BACKOFF": "0.1",
    "DOWNSTREAM_TIME_BUDGET": "5.0",
}
# The cart's stand-ins: which pact answers for which downstream URL.
CART_STUBS = {
    "DISCOUNT_SERVICE_URL": "cart_service-discount_service.json",
    "PAYMENT_SERVICE_URL": "cart_service-payment_service.json",
    "CATALOG_SERVICE_URL": "cart_service-catalog_service.json",
}


@dataclass
class RunningProvider:
    name: str
    url: str
    port: int
    log_dir: Path

    @property
    def states_url(self) -> str:
        return f"{self.url}/_pact/provider-states"

    def log(self) -> str:
        path = self.log_dir / f"{service_of(self.name)}_service.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pact stub exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"pact stub not listening on {port} within {timeout}s")


@contextmanager
def pact_stub(pact_file: Path, log: Path) -> Iterator[str]:
    """A ``pact stub`` server answering from ``pact_file``; yields its base URL."""
    if not pact_file.exists():
        raise RuntimeError(f"{pact_file} is missing: run `make pacts` first")
    port = free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [PACT_BIN, "stub", "--file", str(pact_file), "--port", str(port), "--loglevel", "warn"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_port(port, proc)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def service_of(provider: str) -> str:
    """harness.stack's name of a provider (``cart`` for cart_service), known to this tree or not."""
    return SERVICE_OF.get(provider, provider.removesuffix("_service"))


@contextmanager
def running_provider(
    provider: str,
    *,
    root: Path | None = None,
    pacts_dir: Path = PACTS_DIR,
    workdir: Path | None = None,
    stubs: dict[str, Path] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[RunningProvider]:
    """The provider, started for real on a free loopback port with an empty SQLite database.

    ``stubs`` maps a downstream URL variable to the pact its ``pact stub`` serves; by
    default cart_service gets ``CART_STUBS`` from ``pacts_dir`` and the others none.
    """
    service = service_of(provider)
    if stubs is None:
        stubs = (
            {variable: pacts_dir / name for variable, name in CART_STUBS.items()}
            if service == "cart"
            else {}
        )
    with ExitStack() as stack:
        if workdir is None:
            workdir = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix=f"verify-{service}-"))
            )
        log_dir = workdir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        db = workdir / f"{service}.sqlite3"
        db.unlink(missing_ok=True)  # the verification database starts empty
        service_env: dict[str, str] = {}
        if stubs:
            service_env.update(DOWNSTREAM)
        for variable, pact_file in stubs.items():
            service_env[variable] = stack.enter_context(
                pact_stub(pact_file, log_dir / f"stub-{pact_file.name}.log")
            )
        ports = {name: free_port() for name in {*SERVICE_OF.values(), service}}
        service_dirs = {} if root is None else {service: root / f"{service}_service"}
        running = Stack(
            ports=ports,
            database_urls={service: f"sqlite:///{db}"},
            env={
                **TOKENS,
                "DJANGO_ENV": "development",
                "PACT_PROVIDER_STATES": "1",
                "WEB_CONCURRENCY": "1",
                "GUNICORN_THREADS": "4",
                "LOG_LEVEL": "WARNING",
                **(env or {}),
            },
            service_env={service: service_env},
            log_dir=log_dir,
            only=(service,),
            service_dirs=service_dirs,
        )
        stack.callback(running.stop)
        running.start()
        yield RunningProvider(provider, running.url(service), ports[service], log_dir)


def copy_service(provider: str, dest: Path) -> Path:
    """Copy a provider's folder (without its databases and caches) under ``dest``."""
    name = f"{SERVICE_OF[provider]}_service"
    shutil.copytree(
        ROOT / name,
        dest / name,
        ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__", ".pytest_cache", "tests"),
    )
    return dest


__all__ = ["RunningProvider", "copy_service", "pact_stub", "running_provider", "service_of"]
