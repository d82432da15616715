"""Verify the pacts with the `pact verifier` CLI, as CI does (`make verify-pacts`).

    python -m contracts.verify_cli [PROVIDER ...]     # default: all three

Each provider is started for real (gunicorn, empty SQLite database, provider
states on, development tokens; cart_service with `pact stub` stand-ins), then
`pact verifier` replays every pact naming it. The provider name is checked
against each pact file first (the CLI does not). A summary names each failed
pact and interaction (from the verifier's --json report); exit 1 on any failure.

With PACT_BROKER_BASE_URL set and --publish, the pacts are fetched from the
broker instead (consumer version selectors, pending and WIP pacts; see
contracts/broker.py) and the results published (provider version:
PACT_PROVIDER_VERSION, branch: PACT_PROVIDER_BRANCH, both required; build URL:
PACT_BUILD_URL). --pact-url URL verifies only that broker pact (the
"contract requiring verification published" webhook) and publishes its result;
the provider is the one the URL names.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from contracts.broker import provider_of_pact_url, verifier_broker_args
from contracts.common import PACT_BIN, PACTS, PACTS_DIR, check_pact_name
from contracts.providers import running_provider


def verifier_command(
    provider, *, files: list[Path], report: Path, broker_args: list[str] | None = None
) -> list[str]:
    """Local pact files, or with ``broker_args`` (broker.verifier_broker_args) the broker's."""
    cmd = [
        PACT_BIN, "verifier",
        "--hostname", "127.0.0.1",
        "--port", str(provider.port),
        "--state-change-url", provider.states_url,
        "--state-change-teardown",
        "--request-timeout", "10000",
        "--json", str(report),
        "--no-colour",
    ]  # fmt: skip
    if broker_args is not None:
        # The token (if any) reaches the CLI through PACT_BROKER_TOKEN in the environment.
        return cmd + broker_args
    for path in files:
        cmd += ["--file", str(path)]
    return cmd


def broker_args_from_env(provider: str, pact_url: str | None = None) -> list[str]:
    def required(name: str) -> str:
        if not os.environ.get(name):
            raise SystemExit(f"{name} must be set to publish verification results")
        return os.environ[name]

    return verifier_broker_args(
        provider=provider,
        broker_url=required("PACT_BROKER_BASE_URL"),
        version=required("PACT_PROVIDER_VERSION"),
        branch=required("PACT_PROVIDER_BRANCH"),
        pact_url=pact_url,
        build_url=os.environ.get("PACT_BUILD_URL") or None,
    )


def failures_in(report: Path) -> list[tuple[str, str, str]]:
    """(pact, interaction, why) for every failed interaction in a --json report."""
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError):
        return [("?", "?", f"no readable JSON report at {report}")]
    failed = []
    for err in data.get("errors", []):
        interaction = err.get("interaction", "?")
        mismatch = err.get("mismatch", {})
        why = mismatch.get("message") or mismatch.get("type") or json.dumps(mismatch)[:300]
        if isinstance(mismatch.get("mismatches"), list):
            why = "; ".join(
                m.get("mismatch") or m.get("description") or json.dumps(m)[:200]
                for m in mismatch["mismatches"]
            )[:600]
        failed.append((err.get("pact", data.get("pact", "?")), interaction, why))
    return failed


def verify(
    provider_name: str, *, workdir: Path, broker_args: list[str] | None = None
) -> tuple[bool, float, list]:
    publish = broker_args is not None
    files = [PACTS_DIR / name for name in PACTS[provider_name]]
    if not publish:
        for path in files:
            if not path.exists():
                raise SystemExit(f"{path} is missing: run `make pacts` first")
            check_pact_name(path, provider_name)
    report = workdir / f"{provider_name}-verification.json"
    with running_provider(provider_name, workdir=workdir / provider_name) as provider:
        started = time.perf_counter()
        result = subprocess.run(
            verifier_command(provider, files=files, report=report, broker_args=broker_args),
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            print(result.stdout)
            print(result.stderr, file=sys.stderr)
            print(f"--- {provider_name} log (tail) ---\n{provider.log()[-3000:]}")
    failures = failures_in(report) if result.returncode != 0 else []
    if result.returncode != 0 and not failures:
        failures = [("?", "?", f"pact verifier exited {result.returncode}")]
    names = ", ".join(p.name for p in files) if not publish else "pacts from the broker"
    for pact, interaction, why in failures:
        pact = pact if pact != "?" else names
        print(f"FAILED {provider_name}: {pact} :: {interaction}\n    {why}")
    return result.returncode == 0, elapsed, failures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("providers", nargs="*", help=f"default: {' '.join(PACTS)}")
    parser.add_argument(
        "--publish", action="store_true", help="verify the broker's pacts and publish the results"
    )
    parser.add_argument(
        "--pact-url", help="verify this one broker pact (webhook) and publish the result"
    )
    args = parser.parse_args(argv)
    unknown = set(args.providers) - set(PACTS)
    if unknown:
        parser.error(f"unknown providers {sorted(unknown)}; known: {list(PACTS)}")
    providers = args.providers or list(PACTS)
    if args.pact_url:
        try:
            named = provider_of_pact_url(args.pact_url)
        except ValueError as exc:
            parser.error(str(exc))
        if named not in PACTS or (args.providers and args.providers != [named]):
            parser.error(f"the pact URL names provider {named!r}; known: {list(PACTS)}")
        providers = [named]
    publish = (args.publish or bool(args.pact_url)) and bool(os.environ.get("PACT_BROKER_BASE_URL"))
    if args.pact_url and not publish:
        parser.error("--pact-url needs PACT_BROKER_BASE_URL")
    if args.publish and not publish:
        print("PACT_BROKER_BASE_URL is not set: verifying the local pacts, publishing nothing")
    results = []
    with tempfile.TemporaryDirectory(prefix="verify-cli-") as tmp:
        for name in providers:
            broker_args = broker_args_from_env(name, args.pact_url) if publish else None
            started = time.perf_counter()
            ok, cli_seconds, failures = verify(name, workdir=Path(tmp), broker_args=broker_args)
            results.append((name, ok, cli_seconds, time.perf_counter() - started, len(failures)))
    print("\nprovider          result  pact verifier  with start/stop")
    for name, ok, cli, total, failed in results:
        verdict = "pass" if ok else f"FAIL ({failed})"
        print(f"{name:<17} {verdict:<7} {cli:>10.2f}s  {total:>12.2f}s")
    return 0 if all(ok for _, ok, *_ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
