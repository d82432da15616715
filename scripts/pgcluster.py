#!/usr/bin/env python3
"""A throwaway PostgreSQL cluster for tests, CI and the end-to-end stack.

    python scripts/pgcluster.py run [--port P] [--db NAME ...] -- COMMAND ...

starts a fresh cluster in a temporary folder (loopback only, trust auth,
durability off because it is thrown away), creates the named databases, runs
COMMAND with ``PG_BASE_URL=postgres://postgres@127.0.0.1:P`` in its
environment, and removes the cluster afterwards, whatever COMMAND did. Its exit
code is COMMAND's. As root, the server runs as the ``postgres`` user (initdb
refuses root). ``Cluster`` is importable for pytest fixtures.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise SystemExit(
        f"{name} not found: install PostgreSQL (apt-get install -y postgresql) or put its bin/ on PATH."
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    def __init__(self, port: int | None = None, databases: tuple[str, ...] = ()) -> None:
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

    def _run(self, *cmd: str) -> None:
        if self._as_root:
            cmd = ("runuser", "-u", "postgres", "--", *cmd)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> Cluster:
        if self._as_root:
            shutil.chown(self.dir, user="postgres")
        self._run(
            _pg_bin("initdb"),
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
            _pg_bin("pg_ctl"),
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
                _pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name
            )
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
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
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("give a COMMAND after --")
    started = time.monotonic()
    with Cluster(port=args.port, databases=tuple(args.db)) as cluster:
        print(
            f"pgcluster: {cluster.base_url} ready in {time.monotonic() - started:.1f}s",
            file=sys.stderr,
            flush=True,
        )
        env = {**os.environ, "PG_BASE_URL": cluster.base_url}
        return subprocess.run(cmd, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
