"""What the benchmark reads of the machine in /proc: CPU per process tree, per worker and in
total, and each service's memory (Linux)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _processes() -> tuple[dict[int, int], dict[int, float]]:
    """Every process's parent and user+system CPU seconds, from /proc: its own and that of
    its children it has reaped (cutime, cstime). A process that ends moves its CPU into
    its parent's, so a tree's CPU never falls: PostgreSQL's backends that exit during a
    run (a connection closed and opened again, ``DB_CONN_MAX_AGE``) stay counted in the
    postmaster's; counting only the living made the database's CPU per flow negative."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = sum(int(f) for f in fields[11:15]) / CLK_TCK
    return parents, times


def _tree(root_pid: int, parents: dict[int, int], times: dict[int, float]) -> float:
    """user+system CPU of a process and all its descendants (gunicorn master + workers)."""
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def cpu_snapshot(roots: list[int], workers_of: Iterable[int] = ()) -> dict:
    """One reading of /proc: each root's tree CPU, and each worker's of ``workers_of``.

    ``workers``: a worker's (a child of one of ``workers_of``) tree CPU by its pid;
    ``parent``: which of ``workers_of`` each worker belongs to.
    """
    parents, times = _processes()
    masters = set(workers_of)
    workers = {pid: parent for pid, parent in parents.items() if parent in masters}
    return {
        "trees": {pid: _tree(pid, parents, times) for pid in roots},
        "workers": {pid: _tree(pid, parents, times) for pid in workers},
        "parent": workers,
    }


def _rollup_kb(pid: int) -> dict[str, int]:
    """A process's memory totals (kB) from /proc/<pid>/smaps_rollup: Rss, Pss, Private_*."""
    sizes: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        value = rest.split()
        if value and value[0].isdigit():
            sizes[name] = int(value[0])
    return sizes


def memory_of(masters: dict[str, int]) -> dict[str, dict]:
    """Each service's memory: its workers' proportional and private sizes (MB), one per
    worker, and its master's resident size. A worker shares what the master held when it
    forked until someone writes to it; ``private`` is what it no longer shares.
    """
    parents, _ = _processes()
    out: dict[str, dict] = {}
    for name, master in masters.items():
        sizes = []
        for pid in sorted(pid for pid, parent in parents.items() if parent == master):
            try:
                sizes.append(_rollup_kb(pid))
            except (OSError, KeyError):  # gone, or a zombie, since /proc was listed
                continue
        out[name] = {
            "workers": len(sizes),
            "pss_mb": [s["Pss"] / 1024 for s in sizes],
            "private_mb": [(s["Private_Clean"] + s["Private_Dirty"]) / 1024 for s in sizes],
            "master_rss_mb": _rollup_kb(master)["Rss"] / 1024,
        }
    return out


def busiest_workers(before: dict, after: dict, masters: dict[str, int]) -> dict[str, float]:
    """Per service, its busiest worker's share of its workers' CPU between two snapshots."""
    return {
        name: busiest_share(
            [
                cpu - before["workers"].get(pid, 0.0)
                for pid, cpu in after["workers"].items()
                if after["parent"][pid] == master
            ]
        )
        for name, master in masters.items()
    }


def busiest_share(worker_cpu: list[float]) -> float:
    """The busiest worker's share of the workers' CPU (0 for a single worker: no choice)."""
    total = sum(worker_cpu)
    if len(worker_cpu) < 2 or total <= 0:
        return 0.0
    return max(worker_cpu) / total


def busy_and_total_jiffies() -> tuple[int, int]:
    """The whole machine's CPU time from /proc/stat: busy (all but idle and iowait), total."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)
