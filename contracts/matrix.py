"""can-i-deploy from the repository: the Pact Broker's matrix, filled from git.

    python -m contracts.matrix [--base REV] [--head REV] [--json PATH] [--own-venv]

Production runs the last release (the last line of contracts/RELEASES, or ``--base``);
the change is this working tree (or ``--head REV``, for "what if"). For every pact
``<consumer>-<provider>.json`` in either revision's pacts/, each of the four cells
(consumer at base or head) x (provider at base or head) is the consumer's pact at that
revision, verified by the real ``pact verifier`` against the provider started from that
revision's tree (its service folder and its servicekit, from a ``git worktree``) on an
empty database with provider states on. A provider that is itself a consumer (cart_service)
gets ``pact stub`` stand-ins serving its OWN revision's pacts. A cell whose pact or
provider does not exist at that revision is "n/a", saying which.

Cells with both sides at the same revision must pass (exit 1 otherwise). The crossed
cells answer the deploy questions: "can the head consumer go to production while the base
provider runs there?", "can the head provider go while base consumers call it?"; the tool
prints each answer and the order that follows, and never fails on them. See
contracts/README.md, "can-i-deploy without a broker".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from contracts.common import ROOT, check_pact_name
from contracts.providers import running_provider, service_of
from contracts.verify_cli import failures_in, verifier_command

RELEASES = ROOT / "contracts" / "RELEASES"
REPORT = ROOT / "reports" / "can-i-deploy.json"
PACT_NAME = re.compile(r"(?P<consumer>[a-z_]+)-(?P<provider>[a-z_]+)\.json")
BASE, HEAD = "base", "head"
PASS, FAIL, NA = "pass", "fail", "n/a"


@dataclass(frozen=True)
class Version:
    """One side of the matrix: a revision's pacts and which providers exist in it."""

    label: str  # BASE or HEAD
    revision: str  # the full sha (the working tree: the sha of HEAD)
    tree: Path
    pacts: dict[str, str]  # pact file name -> sha256 of its content
    providers: frozenset[str]  # provider names whose service folder exists
    working_tree: bool = False

    @property
    def name(self) -> str:
        return f"{self.revision[:7]} ({self.label})"

    @property
    def described(self) -> str:
        tree = f"the working tree at {self.revision[:7]}" if self.working_tree else self.revision
        return f"{self.label} = {tree}"

    def pact_path(self, pact: str) -> Path:
        return self.tree / "pacts" / pact


@dataclass
class Cell:
    """One row of the matrix: a consumer version's pact against a provider version."""

    consumer: str
    consumer_version: str  # BASE or HEAD
    provider: str
    provider_version: str
    result: str = ""  # PASS, FAIL or NA; empty until verified
    missing: str | None = None  # for NA: "pact" or "provider"
    reason: str = ""
    failures: list[dict[str, str]] = field(default_factory=list)  # interaction, why
    same_pact_as: str | None = None  # the consumer version whose identical pact was verified
    seconds: float | None = None
    interactions: int | None = None  # in the pact verified

    @property
    def pact(self) -> str:
        return f"{self.consumer}-{self.provider}.json"

    @property
    def must_pass(self) -> bool:
        """Both sides at one revision: what that revision was (or will be) deployed with."""
        return self.consumer_version == self.provider_version


@dataclass(frozen=True)
class Outcome:
    passed: bool
    failures: list[dict[str, str]]
    seconds: float
    interactions: int | None = None


@dataclass(frozen=True)
class Check:
    """One deploy question: can ``service`` (as ``role`` of ``other``) go to production first?"""

    service: str
    role: str  # "consumer" or "provider"
    other: str
    ok: bool
    why: str

    @property
    def other_role(self) -> str:
        return "provider" if self.role == "consumer" else "consumer"


# A verifier: (provider, the provider's version, pact files) -> an outcome per pact file.
Verify = Callable[[str, Version, list[Path]], dict[Path, Outcome]]


# -- which revisions -------------------------------------------------------------------


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def last_release(path: Path = RELEASES) -> str:
    """The sha on the last line of contracts/RELEASES (``<sha> <date> <note>``)."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    releases = [ln[0] for ln in lines if not ln[0].startswith("#")]
    if not releases:
        raise SystemExit(f"{path}: no release listed")
    if not re.fullmatch(r"[0-9a-f]{40}", releases[-1]):
        raise SystemExit(f"{path}: {releases[-1]!r} is not a full sha")
    return releases[-1]


def resolve(revision: str) -> str:
    try:
        return git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except subprocess.CalledProcessError:
        raise SystemExit(
            f"{revision!r} is not a commit of this clone. A shallow clone lacks the releases: "
            "fetch the history (`git fetch --unshallow`, or actions/checkout with fetch-depth: 0)."
        ) from None


@contextmanager
def checkout(revision: str, into: Path) -> Iterator[Path]:
    """A detached ``git worktree`` of ``revision``, removed afterwards."""
    git("worktree", "add", "--detach", "--force", str(into), revision)
    try:
        yield into
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(into)],
            check=False,
            capture_output=True,
        )


def read_version(label: str, revision: str, tree: Path, *, working_tree: bool = False) -> Version:
    pacts = {}
    for path in sorted((tree / "pacts").glob("*.json")):
        found = PACT_NAME.fullmatch(path.name)
        if not found:
            raise SystemExit(f"{path}: a pact file is named <consumer>-<provider>.json")
        check_pact_name(path, found["provider"])
        pacts[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    providers = frozenset(path.parent.name for path in tree.glob("*_service/manage.py"))
    return Version(label, revision, tree, pacts, providers, working_tree)


# -- the matrix --------------------------------------------------------------------------


def pairs(versions: dict[str, Version]) -> list[tuple[str, str]]:
    names = {name for version in versions.values() for name in version.pacts}
    return sorted(
        (m["consumer"], m["provider"]) for m in map(PACT_NAME.fullmatch, names) if m is not None
    )


def plan(versions: dict[str, Version]) -> list[Cell]:
    """Every cell, the ones that cannot be verified already "n/a" (or failed) with the reason."""
    cells = []
    for consumer, provider in pairs(versions):
        for cv in (BASE, HEAD):
            for pv in (BASE, HEAD):
                cell = Cell(consumer, cv, provider, pv)
                c_version, p_version = versions[cv], versions[pv]
                if cell.pact not in c_version.pacts:
                    cell.result, cell.missing = NA, "pact"
                    cell.reason = (
                        f"no pact {cell.pact} at {c_version.name}: "
                        f"{consumer} does not call {provider} there"
                    )
                elif provider not in p_version.providers:
                    cell.missing = "provider"
                    cell.reason = f"{provider} does not exist at {p_version.name}"
                    # A revision's own pact with no provider beside it: that revision is broken.
                    cell.result = FAIL if cell.must_pass else NA
                cells.append(cell)
    return cells


def fill(cells: list[Cell], versions: dict[str, Version], verify: Verify) -> None:
    """Verify every cell still open, one ``verify`` per provider version.

    A verification belongs to the pact's content (as in the broker): a pact unchanged
    between the two revisions is verified once against each provider version.
    """
    open_cells = [c for c in cells if not c.result]
    for pv in (BASE, HEAD):
        for provider in sorted({c.provider for c in open_cells if c.provider_version == pv}):
            group = [c for c in open_cells if c.provider == provider and c.provider_version == pv]
            first: dict[tuple[str, str], Cell] = {}  # (pact, content) -> the cell verifying it
            for cell in group:
                content = (cell.pact, versions[cell.consumer_version].pacts[cell.pact])
                if content in first:
                    cell.same_pact_as = first[content].consumer_version
                else:
                    first[content] = cell
            files = {
                (c.pact, c.consumer_version): versions[c.consumer_version].pact_path(c.pact)
                for c in first.values()
            }
            outcomes = verify(provider, versions[pv], list(files.values()))
            for cell in group:
                outcome = outcomes[files[cell.pact, cell.same_pact_as or cell.consumer_version]]
                cell.result = PASS if outcome.passed else FAIL
                cell.failures = outcome.failures
                cell.interactions = outcome.interactions
                cell.seconds = None if cell.same_pact_as else round(outcome.seconds, 2)
                if cell.same_pact_as:
                    cell.reason = f"the same pact as at {cell.same_pact_as}: verified once"


def find(cells: list[Cell], consumer: str, provider: str, cv: str, pv: str) -> Cell:
    return next(
        c
        for c in cells
        if (c.consumer, c.provider, c.consumer_version, c.provider_version)
        == (consumer, provider, cv, pv)
    )


def _interaction(failure: dict[str, str]) -> str:
    """The verifier's name of an interaction, without its "Verifying a pact between" prefix."""
    return re.sub(r"^Verifying a pact between \S+ and \S+ ", "", failure["interaction"])


def _failed(cell: Cell) -> str:
    of = f" of {cell.interactions}" if cell.interactions else ""
    return f"{len(cell.failures)}{of} interaction(s) failed"


def _summary(cell: Cell) -> str:
    if cell.result == PASS:
        return "its pact verifies"
    if cell.missing:
        return cell.reason
    return f"{_failed(cell)}: " + "; ".join(_interaction(f) for f in cell.failures[:3])


def checks(cells: list[Cell], versions: dict[str, Version]) -> list[Check]:
    """The two deploy questions of every pair, head against production (= base)."""
    found = []
    for consumer, provider in pairs(versions):
        # The head consumer while the base provider runs: fine if it verifies, or if the
        # head consumer no longer calls the provider. A provider missing at base blocks it.
        cell = find(cells, consumer, provider, HEAD, BASE)
        ok = cell.result == PASS or cell.missing == "pact"
        why = _summary(cell)
        if cell.missing == "provider":
            why += f"; deploy {provider} first"
        found.append(Check(consumer, "consumer", provider, ok, why))
        # The head provider while base consumers call it: fine if their pact verifies,
        # or if no base consumer calls it. A provider gone at head blocks it.
        cell = find(cells, consumer, provider, BASE, HEAD)
        ok = cell.result == PASS or cell.missing == "pact"
        found.append(Check(provider, "provider", consumer, ok, _summary(cell)))
    return found


def deploy_order(found: list[Check]) -> tuple[list[list[str]], list[str]]:
    """Waves of services in the order they must ship, and the pairs no order can ship.

    A pair where only one side can go first puts that side before the other; a pair where
    neither can is a conflict (ship it in steps: expand, migrate, contract).
    """
    before: set[tuple[str, str]] = set()
    conflicts = []
    for first, second in zip(found[::2], found[1::2], strict=True):
        # first: the consumer's question, second: the provider's, for one pair.
        if first.ok and not second.ok:
            before.add((first.service, second.service))
        elif second.ok and not first.ok:
            before.add((second.service, first.service))
        elif not first.ok and not second.ok:
            conflicts.append(f"{first.service} -> {second.service}")
    nodes = {name for edge in before for name in edge}
    waves = []
    while nodes:
        ready = sorted(n for n in nodes if not any(b == n and a in nodes for a, b in before))
        if not ready:  # a cycle: each must go before the other
            conflicts.append("cycle: " + ", ".join(sorted(nodes)))
            break
        waves.append(ready)
        nodes -= set(ready)
    return waves, conflicts


# -- the real verification ---------------------------------------------------------------


def stubs_of(provider: str, version: Version) -> dict[str, Path]:
    """The stand-ins of a provider that calls others: its own revision's pacts with them."""
    stubs = {}
    for pact in version.pacts:
        found = PACT_NAME.fullmatch(pact)
        if found and found["consumer"] == provider:
            variable = f"{service_of(found['provider']).upper()}_SERVICE_URL"
            stubs[variable] = version.pact_path(pact)
    return stubs


def locked_packages(tree: Path) -> dict[str, str]:
    """The third-party packages a uv.lock pins (name -> version); workspace members left out."""
    lock = tree / "uv.lock"
    if not lock.is_file():
        return {}
    packages = tomllib.loads(lock.read_text()).get("package", [])
    return {p["name"]: p["version"] for p in packages if "registry" in p.get("source", {})}


def own_site_packages(tree: Path) -> Path:
    """``uv sync --locked`` the revision's own virtualenv (in its worktree); its site-packages."""
    uv = os.environ.get("UV") or shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    venv = tree / ".venv"
    started = time.perf_counter()
    subprocess.run(
        [uv, "sync", "--locked", "--all-packages", "--no-dev", "--quiet"],
        cwd=tree,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON": sys.executable},
        check=True,
    )
    print(f"  {tree.name}: its own virtualenv in {time.perf_counter() - started:.1f}s", flush=True)
    return Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )


def revision_env(version: Version, *, own_venv: bool) -> dict[str, str]:
    """The environment that makes a provider run ``version``'s code.

    The services run from their folder in the worktree; their servicekit is put ahead of
    the one installed from this tree. If the revision locks other third-party versions
    than this tree (or ``own_venv``), it gets its own virtualenv, whose site-packages go
    ahead too (same interpreter, so compiled wheels fit).
    """
    if version.working_tree:
        return {}
    path = [str(version.tree / "servicekit")]
    if own_venv or locked_packages(version.tree) != locked_packages(ROOT):
        path.append(str(own_site_packages(version.tree)))
    env = {
        "PYTHONPATH": os.pathsep.join(path),
        # Never measured for coverage: it would record files of a worktree gone afterwards.
        "COVERAGE_PROCESS_START": "",
    }
    found = subprocess.run(
        [sys.executable, "-c", "import servicekit; print(servicekit.__file__)"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(found).is_relative_to(version.tree):
        raise SystemExit(f"{version.name}: servicekit resolves to {found}, not the revision's")
    return env


def cli_verifier(envs: dict[str, dict[str, str]], workdir: Path) -> Verify:
    """The real thing: start the provider from its revision, ``pact verifier`` each pact."""

    def verify(provider: str, version: Version, files: list[Path]) -> dict[Path, Outcome]:
        where = workdir / f"{version.label}-{provider}"
        outcomes: dict[Path, Outcome] = {}
        started = time.perf_counter()
        try:
            with running_provider(
                provider,
                root=version.tree,
                stubs=stubs_of(provider, version),
                env=envs[version.label],
                workdir=where,
            ) as running:
                for path in files:
                    outcomes[path] = _verify_one(running, path, where)
        except RuntimeError as exc:  # the provider did not start (or a stub did not)
            log = where / "logs" / f"{service_of(provider)}_service.log"
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            failure = {"interaction": "(the provider did not start)", "why": f"{exc}\n{tail}"}
            for path in files:
                outcomes.setdefault(path, Outcome(False, [failure], 0.0))
        print(
            f"  {provider} at {version.name}: {len(files)} pact(s) in "
            f"{time.perf_counter() - started:.1f}s with start and stop",
            flush=True,
        )
        return outcomes

    return verify


def _verify_one(running, path: Path, where: Path) -> Outcome:
    report = where / f"{path.parent.parent.name}-{path.stem}.verification.json"
    interactions = len(json.loads(path.read_text()).get("interactions", []))
    started = time.perf_counter()
    result = subprocess.run(
        verifier_command(running, files=[path], report=report), capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if result.returncode == 0:
        return Outcome(True, [], seconds, interactions)
    failures = [{"interaction": i, "why": why} for _, i, why in failures_in(report)]
    if not failures or failures[0]["interaction"] == "?":
        tail = (result.stdout + result.stderr)[-800:]
        failures = [
            {"interaction": "?", "why": f"pact verifier exited {result.returncode}: {tail}"}
        ]
    return Outcome(False, failures, seconds, interactions)


# -- the report --------------------------------------------------------------------------


def render(cells: list[Cell], versions: dict[str, Version], found: list[Check]) -> str:
    """The matrix as ``pact broker can-i-deploy`` prints it, then the deploy answers."""
    rows = [("CONSUMER", "C.VERSION", "PROVIDER", "P.VERSION", "SUCCESS?", "RESULT#")]
    for number, c in enumerate(cells, 1):
        success = {PASS: "true", FAIL: "false", NA: "n/a"}[c.result]
        if c.must_pass and c.result != NA:
            success += " (must)"
        rows.append(
            (
                c.consumer,
                versions[c.consumer_version].name,
                c.provider,
                versions[c.provider_version].name,
                success,
                str(number),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    lines += ["", "VERIFICATION RESULTS", "--------------------"]
    for number, c in enumerate(cells, 1):
        seconds = f" ({c.seconds:.1f}s)" if c.seconds is not None else ""
        text = {PASS: "verified", FAIL: "FAILED", NA: "n/a"}[c.result]
        lines.append(f"{number}. {c.pact} {text}{seconds}{': ' + c.reason if c.reason else ''}")
        if c.result == FAIL and not c.missing:
            lines.append(f"   {_failed(c)}:")
            for failure in c.failures:
                why = " ".join(failure["why"].split())
                lines.append(f"   - {_interaction(failure)}: {why[:300]}")
    base = versions[BASE].name
    lines += ["", f"CAN I DEPLOY THE HEAD OF ONE SIDE WHILE PRODUCTION RUNS {base}?"]
    for check in found:
        answer = "yes" if check.ok else "NO"
        lines.append(
            f"  {check.service} ({check.role}) can be deployed before {check.other} "
            f"({check.other_role}): {answer} ({check.why})"
        )
    waves, conflicts = deploy_order(found)
    everyone = sorted({c.service for c in found})
    blocked = sorted({c.service for c in found if not c.ok})
    lines.append("")
    for name in everyone:
        verdict = "no" if name in blocked else "yes"
        lines.append(f"  can-i-deploy {name} (head) to production ({base}): {verdict}")
    if waves:
        lines.append("  deploy order: " + " -> ".join(", ".join(w) for w in waves))
    else:
        lines.append("  deploy order: any (no side depends on the other's change)")
    for conflict in conflicts:
        lines.append(f"  NO ORDER WORKS for {conflict}: ship it in steps (expand, contract)")
    failed = [n for n, c in enumerate(cells, 1) if c.must_pass and c.result == FAIL]
    lines.append("")
    if failed:
        rows_text = ", ".join(map(str, failed))
        lines.append(f"Computer says no ¯\\_(ツ)_/¯  rows that must pass failed: {rows_text}")
    else:
        lines.append("Computer says yes \\o/  every row that must pass passes")
    return "\n".join(lines)


def report(cells: list[Cell], versions: dict[str, Version], found: list[Check]) -> dict:
    waves, conflicts = deploy_order(found)
    return {
        "versions": {
            label: {"revision": v.revision, "working_tree": v.working_tree, "name": v.name}
            for label, v in versions.items()
        },
        "matrix": [{**asdict(c), "pact": c.pact, "must_pass": c.must_pass} for c in cells],
        "deploy": [{**asdict(c), "other_role": c.other_role} for c in found],
        "deploy_order": waves,
        "conflicts": conflicts,
        "must_pass_failed": sum(c.must_pass and c.result == FAIL for c in cells),
    }


def run(versions: dict[str, Version], verify: Verify, out: Path) -> int:
    cells = plan(versions)
    fill(cells, versions, verify)
    found = checks(cells, versions)
    print(render(cells, versions, found))
    data = report(cells, versions, found)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"\n(written to {out})")
    return 1 if data["must_pass_failed"] else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", help="what production runs (default: contracts/RELEASES)")
    parser.add_argument("--head", help="the change (default: this working tree)")
    parser.add_argument("--json", type=Path, default=REPORT, help=f"default: {REPORT}")
    parser.add_argument(
        "--own-venv",
        action="store_true",
        help="give each other revision its own virtualenv even if it locks the same packages",
    )
    args = parser.parse_args(argv)
    base = resolve(args.base) if args.base else resolve(last_release())
    head = resolve(args.head) if args.head else None
    started = time.perf_counter()
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="can-i-deploy-")))
        versions = {
            BASE: read_version(BASE, base, stack.enter_context(checkout(base, scratch / "base")))
        }
        if head:
            versions[HEAD] = read_version(
                HEAD, head, stack.enter_context(checkout(head, scratch / "head"))
            )
        else:
            versions[HEAD] = read_version(HEAD, git("rev-parse", "HEAD"), ROOT, working_tree=True)
        print(
            f"can-i-deploy: {versions[HEAD].described} against {versions[BASE].described}",
            flush=True,
        )
        envs = {label: revision_env(v, own_venv=args.own_venv) for label, v in versions.items()}
        code = run(versions, cli_verifier(envs, scratch / "work"), args.json)
    print(f"can-i-deploy: {time.perf_counter() - started:.0f}s in all")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
