"""Start the services under gunicorn on loopback, wait until ready, stop them cleanly.

    python -m harness.stack run           # what `make run` does: SQLite, ports 8001-8003
    python -m harness.stack run --port cart=18002 --sqlite-dir /tmp/x   # other ports, databases

(``python scripts/stack.py run ...`` is the same command.)

However the launcher ends (Ctrl-C, SIGTERM, SIGHUP when its terminal closes, or killed
outright with its parent's death signal) it takes what it started with it: the signals
stop the processes in order, and every process it starts has the kernel's parent-death
signal set (Linux), so even a SIGKILL of the launcher stops them.

With ``reconciler=True`` cart_service's reconciler (``manage.py reconcile_checkouts
--loop``) runs beside them as a process of its own, named ``reconciler``.

``Stack`` is also what the end-to-end fixture and the provider verification use,
with PostgreSQL URLs, other ports, and one service stopped or restarted at will.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

# The repository: harness/harness/stack.py is two floors below it (installed editable).
ROOT = Path(__file__).resolve().parents[2]
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
    "catalog": Service("catalog", 8004),
}
# What a Stack starts unless told otherwise: the services a checkout crosses (the end-to-end,
# contract and bench stacks), catalog first (cart_service prices every line there).
# `make run` starts all of SERVICES.
CHECKOUT_SERVICES = ("catalog", "discount", "payment", "cart")
# Processes that are not web services: their command, and the service whose code,
# settings and database they use.
WORKERS = {"reconciler": ("cart", ["manage.py", "reconcile_checkouts", "--loop"])}
GUNICORN = ["-m", "gunicorn", "-c", "python:servicekit.gunicorn_conf", "config.wsgi"]
# cart_service's per-address limits (carts created, checkouts that charged nothing) where one
# loopback address stands for many shoppers: the test suites, the bench, load and chaos runs.
# The per-cart limits and the discount-code limits stay as shipped.
MANY_SHOPPERS_ONE_ADDRESS = {
    "CART_CREATES_PER_ADDRESS": "1000000/second",
    "CART_CHECKOUT_ATTEMPTS_PER_ADDRESS": "1000000/second",
}
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with(parent: int):
    """A ``preexec_fn``: the child gets SIGTERM when ``parent`` ends, however it ends.

    The kernel sends it when the *thread* that started the child exits, so start
    processes from the thread that lives as long as they should (here: the main one).
    None where there is no prctl (not Linux): the signal handlers still stop everything.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the launcher died before prctl took effect
            os._exit(1)

    return preexec


@dataclass
class Stack:
    """The services named in ``only``, each with its own database.

    ``database_urls`` maps a service name to its ``DATABASE_URL`` (unset: the
    service's SQLite file). ``env`` is added to every service's environment;
    ``service_env`` to one service's. ``log_dir`` collects one log per service
    (None: inherit this process's stdout/stderr). ``one_address`` (the default, for
    tests and measurements) lifts cart_service's per-address limits: every client here is
    127.0.0.1 (``MANY_SHOPPERS_ONE_ADDRESS``); ``make run`` keeps the shipped limits.
    """

    ports: dict[str, int] = field(default_factory=lambda: {n: s.port for n, s in SERVICES.items()})
    database_urls: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)
    log_dir: Path | None = None
    only: tuple[str, ...] = CHECKOUT_SERVICES
    reconciler: bool = False
    one_address: bool = True
    # A service run from another folder (a copy), by name; the others run from the repo.
    service_dirs: dict[str, Path] = field(default_factory=dict)
    host: str = "127.0.0.1"
    # After migrating, the development users of the operators' console (servicekit.operators:
    # dev-admin, dev-operator, dev-viewer), as `make run` has them.
    dev_users: bool = False
    ready_timeout: float = 30.0
    _procs: dict[str, subprocess.Popen] = field(default_factory=dict, init=False)
    _logs: dict[str, object] = field(default_factory=dict, init=False)

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"

    def environment(self, name: str) -> dict[str, str]:
        if name in WORKERS:
            return self.environment(WORKERS[name][0])
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "BIND": f"{self.host}:{self.ports[name]}",
            # The providers' URLs, of those this stack has a port for.
            **{
                f"{provider.upper()}_SERVICE_URL": self.url(provider)
                for provider in ("discount", "payment", "catalog")
                if provider in self.ports
            },
            **(MANY_SHOPPERS_ONE_ADDRESS if self.one_address and name == "cart" else {}),
            **self.env,
            **self.service_env.get(name, {}),
        }
        if name in self.database_urls:
            env["DATABASE_URL"] = self.database_urls[name]
        return env

    def service_dir(self, name: str) -> Path:
        return self.service_dirs.get(name) or SERVICES[name].dir

    def log_path(self, name: str) -> Path | None:
        filename = f"{name}.log" if name in WORKERS else f"{name}_service.log"
        return self.log_dir / filename if self.log_dir else None

    @property
    def names(self) -> tuple[str, ...]:
        """Everything this stack starts: the services, then the reconciler if asked for."""
        return self.only + (("reconciler",) if self.reconciler and "cart" in self.only else ())

    def migrate(self, name: str) -> None:
        self.manage(name, "migrate", "--noinput", "-v", "0")
        if self.dev_users:
            self.manage(name, "operator_dev_users")

    def manage(self, name: str, *args: str, **run: object) -> subprocess.CompletedProcess:
        """``manage.py ARGS`` of a service, with its environment and database (``run``:
        more of subprocess.run's arguments, e.g. ``capture_output=True``)."""
        return subprocess.run(  # type: ignore[call-overload]
            [PYTHON, "manage.py", *args],
            cwd=self.service_dir(name),
            env=self.environment(name),
            check=True,
            **run,
        )

    def start(self, name: str | None = None, *, migrate: bool = True) -> Stack:
        names = [name] if name else list(self.names)
        for svc in names:
            if svc not in WORKERS:
                self._check_port_free(svc)
        databases = [svc for svc in names if svc not in WORKERS] if migrate else []
        if databases:
            # Each service has its own database: their migrations run side by side, and the
            # first that fails is raised once all have ended.
            with ThreadPoolExecutor(max_workers=len(databases)) as pool:
                for done in [pool.submit(self.migrate, svc) for svc in databases]:
                    done.result()
        for svc in names:
            out = None
            if self.log_dir:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                out = open(self.log_path(svc), "ab")  # noqa: SIM115 - closed in stop()
                self._logs[svc] = out
            service, command = WORKERS.get(svc, (svc, GUNICORN))
            self._procs[svc] = subprocess.Popen(
                [PYTHON, *command],
                cwd=self.service_dir(service),
                env=self.environment(svc),
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                start_new_session=True,  # Ctrl-C reaches us, and we stop the services in order
                preexec_fn=_die_with(os.getpid()),  # ... and a launcher killed outright, too
            )
        for svc in names:
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
        if name in WORKERS:
            return  # nothing to ask; it logs its first pass, and run_forever watches it
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
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGCONT)  # a frozen process cannot stop
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

    # -- faults, for the end-to-end and chaos runs ------------------------------------

    def freeze(self, name: str) -> None:
        """SIGSTOP the process and its workers: connections queue, nothing answers."""
        os.killpg(self._procs[name].pid, signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        os.killpg(self._procs[name].pid, signal.SIGCONT)

    def pid(self, name: str) -> int:
        """The pid of the process started for ``name`` (a gunicorn master)."""
        return self._procs[name].pid

    def workers(self, name: str) -> list[int]:
        """The pids of a gunicorn's worker processes (its master's children)."""
        pid = self._procs[name].pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(child) for child in children]

    def kill_workers(self, name: str) -> list[int]:
        """SIGKILL every worker of the service, mid-request; gunicorn starts new ones."""
        killed = []
        for pid in self.workers(name):
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        return killed

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def _say(*args, file=None) -> None:
    """print, but a closed terminal (SIGHUP) must not keep us from stopping the services."""
    with contextlib.suppress(OSError):
        print(*args, file=file or sys.stdout, flush=True)


def run_forever(ports: dict[str, int] | None = None, sqlite_dir: Path | None = None) -> int:
    stack = Stack(reconciler=True, one_address=False, only=tuple(SERVICES), dev_users=True)
    stack.ports.update(ports or {})
    if sqlite_dir:
        sqlite_dir.mkdir(parents=True, exist_ok=True)
        stack.database_urls = {n: f"sqlite:///{sqlite_dir.resolve()}/{n}.sqlite3" for n in SERVICES}

    # Explicitly: a shell that starts us in the background would leave SIGINT ignored.
    # SIGHUP: the terminal was closed.
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def _stop(signum, frame):
        for other in stop_signals:  # a second Ctrl-C must not cut stop() short
            signal.signal(other, signal.SIG_IGN)
        raise KeyboardInterrupt

    for signum in stop_signals:
        signal.signal(signum, _stop)
    try:
        stack.start()
        _say("\nThe services are up (Ctrl-C stops them):")
        for name in SERVICES:
            _say(f"  {name}_service  {stack.url(name)}/api/docs/  {stack.url(name)}/admin/")
        _say("  reconciler        cart_service's manage.py reconcile_checkouts --loop")
        _say(
            "  admin users       dev-admin, dev-operator, dev-viewer; password "
            "dev-operator-password (development only)\n"
        )
        while all(p.poll() is None for p in stack._procs.values()):
            time.sleep(0.5)
        _say("A process exited; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        _say(f"make run: {exc}", file=sys.stderr)
        return 1
    finally:
        _say("\nStopping the services and the reconciler...")
        stack.stop()
        _say("Stopped.")
    return 0


def _port(text: str) -> tuple[str, int]:
    name, _, port = text.partition("=")
    if name not in SERVICES or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=PORT with NAME in {list(SERVICES)}")
    return name, int(port)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["run"])
    parser.add_argument(
        "--port",
        type=_port,
        action="append",
        default=[],
        metavar="NAME=PORT",
        help="listen on another port than 8001-8003 (repeatable), e.g. cart=18002",
    )
    parser.add_argument(
        "--sqlite-dir",
        type=Path,
        help="a SQLite database per service in this folder "
        "(default: each service's own db.sqlite3)",
    )
    args = parser.parse_args(argv)
    return run_forever(dict(args.port), args.sqlite_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
