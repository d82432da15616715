#!/usr/bin/env python3
"""Start the three services under gunicorn on loopback, wait until ready, stop them cleanly.

    python scripts/stack.py run           # what `make run` does: SQLite, ports 8001-8003

``Stack`` is also what the end-to-end fixture and the provider verification use,
with PostgreSQL URLs, other ports, and one service stopped or restarted at will.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass(frozen=True)
class Service:
    name: str
    port: int

    @property
    def dir(self) -> Path:
        return ROOT / f"{self.name}_service"


SERVICES = {
    "discount": Service("discount", 8001),
    "cart": Service("cart", 8002),
    "payment": Service("payment", 8003),
}


@dataclass
class Stack:
    """The services named in ``only``, each with its own database.

    ``database_urls`` maps a service name to its ``DATABASE_URL`` (unset: the
    service's SQLite file). ``env`` is added to every service's environment;
    ``service_env`` to one service's. ``log_dir`` collects one log per service
    (None: inherit this process's stdout/stderr).
    """

    ports: dict[str, int] = field(default_factory=lambda: {n: s.port for n, s in SERVICES.items()})
    database_urls: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)
    log_dir: Path | None = None
    only: tuple[str, ...] = ("discount", "payment", "cart")
    host: str = "127.0.0.1"
    ready_timeout: float = 30.0
    _procs: dict[str, subprocess.Popen] = field(default_factory=dict, init=False)
    _logs: dict[str, object] = field(default_factory=dict, init=False)

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"

    def environment(self, name: str) -> dict[str, str]:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "BIND": f"{self.host}:{self.ports[name]}",
            "DISCOUNT_SERVICE_URL": self.url("discount"),
            "PAYMENT_SERVICE_URL": self.url("payment"),
            **self.env,
            **self.service_env.get(name, {}),
        }
        if name in self.database_urls:
            env["DATABASE_URL"] = self.database_urls[name]
        return env

    def log_path(self, name: str) -> Path | None:
        return self.log_dir / f"{name}_service.log" if self.log_dir else None

    def migrate(self, name: str) -> None:
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=SERVICES[name].dir,
            env=self.environment(name),
            check=True,
        )

    def start(self, name: str | None = None, *, migrate: bool = True) -> Stack:
        for svc in [name] if name else self.only:
            self._check_port_free(svc)
        for svc in [name] if name else self.only:
            if migrate:
                self.migrate(svc)
            out = None
            if self.log_dir:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                out = open(self.log_path(svc), "ab")  # noqa: SIM115 - closed in stop()
                self._logs[svc] = out
            self._procs[svc] = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "-c", "python:servicekit.gunicorn_conf", "config.wsgi"],
                cwd=SERVICES[svc].dir,
                env=self.environment(svc),
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                start_new_session=True,  # Ctrl-C reaches us, and we stop the services in order
            )
        for svc in [name] if name else self.only:
            self.wait_ready(svc)
        return self

    def _check_port_free(self, name: str) -> None:
        """Fail fast: otherwise another server on the port would answer our readiness check."""
        with socket.socket() as sock:
            if sock.connect_ex((self.host, self.ports[name])) == 0:
                raise RuntimeError(
                    f"{self.host}:{self.ports[name]} is already in use, so {name}_service "
                    "cannot start there; stop whatever listens on it first."
                )

    def wait_ready(self, name: str) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            proc = self._procs[name]
            if proc.poll() is not None:
                raise RuntimeError(f"{name}_service exited with {proc.returncode}; see its log")
            try:
                with urllib.request.urlopen(f"{self.url(name)}/health/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{name}_service not ready within {self.ready_timeout}s")

    def stop(self, name: str | None = None) -> None:
        names = [name] if name else list(self._procs)
        for svc in names:
            proc = self._procs.get(svc)
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for svc in names:
            proc = self._procs.pop(svc, None)
            if proc:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            log = self._logs.pop(svc, None)
            if log:
                log.close()

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def run_forever() -> int:
    stack = Stack()

    def _stop(signum, frame):
        raise KeyboardInterrupt

    # Explicitly: a shell that starts us in the background would leave SIGINT ignored.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start()
        print("\nAll three services are up (Ctrl-C stops them):", flush=True)
        for name in ("discount", "cart", "payment"):
            print(f"  {name}_service  {stack.url(name)}/api/docs/", flush=True)
        print(flush=True)
        while all(p.poll() is None for p in stack._procs.values()):
            time.sleep(0.5)
        print("A service exited; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 1
    finally:
        print("\nStopping the services...", flush=True)
        stack.stop()
        print("Stopped.", flush=True)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["run"])
    parser.parse_args(argv)
    return run_forever()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
