"""The Pact Broker commands CI runs, built in one place (and unit-tested).

    python -m contracts.broker publish                       # the consumer pacts in pacts/
    python -m contracts.broker can-i-deploy SERVICE ENVIRONMENT
    python -m contracts.broker record-deployment SERVICE ENVIRONMENT

The broker URL comes from PACT_BROKER_BASE_URL, the version from PACT_VERSION
(the git sha), the branch from PACT_BRANCH. The token stays in the environment
(PACT_BROKER_TOKEN, which the pact CLI reads): never on a command line, where logs
would show it. Verification against the broker is contracts.verify_cli --publish
(or --pact-url for one pact named by a broker webhook), using verifier_broker_args.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from contracts.common import PACT_BIN, PACTS_DIR

# Which consumer versions a provider build verifies (docs.pact.io, "consumer version
# selectors"): what is on main, what is deployed or released, and the consumer's
# branch of the same name (a feature developed on both sides at once).
CONSUMER_VERSION_SELECTORS = (
    {"mainBranch": True},
    {"deployedOrReleased": True},
    {"matchingBranch": True},
)
# Work-in-progress pacts published since then are verified too, without failing the build.
WIP_PACTS_SINCE = "2026-01-01"
# can-i-deploy waits up to 10 times 30 s for a verification that is still running.
RETRY_WHILE_UNKNOWN, RETRY_INTERVAL = 10, 30
PACT_URL_PROVIDER = re.compile(r"/pacts/provider/(?P<provider>[^/]+)/consumer/")


def publish_command(*, broker_url: str, version: str, branch: str, pacts_dir: Path) -> list[str]:
    return [
        PACT_BIN, "broker", "publish", str(pacts_dir),
        "--broker-base-url", broker_url,
        "--consumer-app-version", version,
        "--branch", branch,
    ]  # fmt: skip


def verifier_broker_args(
    *,
    provider: str,
    broker_url: str,
    version: str,
    branch: str,
    pact_url: str | None = None,
    build_url: str | None = None,
) -> list[str]:
    """``pact verifier`` flags that fetch the pacts from the broker and publish the results.

    With ``pact_url`` (a "contract requiring verification published" webhook) only that
    pact is verified; otherwise the selectors choose, with pending and WIP pacts on.
    """
    args = ["--broker-url", broker_url, "--provider-name", provider]
    if pact_url:
        args += ["--webhook-callback-url", pact_url]
    else:
        for selector in CONSUMER_VERSION_SELECTORS:
            args += ["--consumer-version-selectors", json.dumps(selector, separators=(",", ":"))]
        args += ["--enable-pending", "--include-wip-pacts-since", WIP_PACTS_SINCE]
    args += ["--publish", "--provider-version", version, "--provider-branch", branch]
    if build_url:
        args += ["--build-url", build_url]
    return args


def provider_of_pact_url(pact_url: str) -> str:
    """The provider a broker pact URL belongs to (…/pacts/provider/<name>/consumer/…)."""
    found = PACT_URL_PROVIDER.search(pact_url)
    if not found:
        raise ValueError(f"not a Pact Broker pact URL: {pact_url!r}")
    return found["provider"]


def _version_in_environment(
    subcommand: str,
    environment_flag: str,
    broker_url: str,
    pacticipant: str,
    version: str,
    environment: str,
) -> list[str]:
    return [
        PACT_BIN, "broker", subcommand,
        "--broker-base-url", broker_url,
        "--pacticipant", pacticipant,
        "--version", version,
        environment_flag, environment,
    ]  # fmt: skip


def can_i_deploy_command(
    *, broker_url: str, pacticipant: str, version: str, environment: str
) -> list[str]:
    """Exit 1 unless this version is verified against what runs in ``environment``."""
    return [
        *_version_in_environment(
            "can-i-deploy", "--to-environment", broker_url, pacticipant, version, environment
        ),
        "--retry-while-unknown", str(RETRY_WHILE_UNKNOWN),
        "--retry-interval", str(RETRY_INTERVAL),
    ]  # fmt: skip


def record_deployment_command(
    *, broker_url: str, pacticipant: str, version: str, environment: str
) -> list[str]:
    return _version_in_environment(
        "record-deployment", "--environment", broker_url, pacticipant, version, environment
    )


def env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise SystemExit(f"{name} must be set")
    return value


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("publish", help="publish pacts/ as PACT_VERSION on PACT_BRANCH")
    for name in ("can-i-deploy", "record-deployment"):
        command = sub.add_parser(name)
        command.add_argument("pacticipant")
        command.add_argument("environment")
    args = parser.parse_args(argv)
    broker_url, version = env("PACT_BROKER_BASE_URL"), env("PACT_VERSION")
    if args.command == "publish":
        cmd = publish_command(
            broker_url=broker_url, version=version, branch=env("PACT_BRANCH"), pacts_dir=PACTS_DIR
        )
    else:
        build = (
            can_i_deploy_command if args.command == "can-i-deploy" else record_deployment_command
        )
        cmd = build(
            broker_url=broker_url,
            pacticipant=args.pacticipant,
            version=version,
            environment=args.environment,
        )
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
