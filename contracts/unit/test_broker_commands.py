"""The Pact Broker command lines CI runs: their arguments, and that the real CLI takes them.

No broker runs here, so the CLI is pointed at a closed port: a flag it does not
know fails with clap's usage error (exit 2) before any network call.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from contracts import broker, verify_cli
from contracts.common import PACT_BIN, PACTS_DIR

BROKER = "https://broker.example.test"
CLOSED = "http://127.0.0.1:9"
PACT_URL = (
    f"{BROKER}/pacts/provider/payment_service/consumer/cart_service/pact-version/abc123"
    "/metadata/xyz"
)


def flag_values(args: list[str], flag: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == flag]


def assert_cli_accepts(cmd: list[str]) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode != 2, output
    assert "unexpected argument" not in output
    assert "invalid value" not in output


class _Provider:
    name, port, states_url = "payment_service", 9, f"{CLOSED}/_pact/provider-states"


def test_publish_sends_the_pacts_with_version_and_branch():
    cmd = broker.publish_command(
        broker_url=BROKER, version="abc123", branch="issue-10", pacts_dir=PACTS_DIR
    )

    assert cmd[:4] == [PACT_BIN, "broker", "publish", str(PACTS_DIR)]
    assert flag_values(cmd, "--broker-base-url") == [BROKER]
    assert flag_values(cmd, "--consumer-app-version") == ["abc123"]
    assert flag_values(cmd, "--branch") == ["issue-10"]


def test_provider_build_verifies_main_deployed_and_matching_branch_with_pending_and_wip():
    args = broker.verifier_broker_args(
        provider="cart_service", broker_url=BROKER, version="abc123", branch="main"
    )

    selectors = [json.loads(s) for s in flag_values(args, "--consumer-version-selectors")]
    assert selectors == [
        {"mainBranch": True},
        {"deployedOrReleased": True},
        {"matchingBranch": True},
    ]
    assert "--enable-pending" in args
    assert flag_values(args, "--include-wip-pacts-since") == [broker.WIP_PACTS_SINCE]
    assert flag_values(args, "--provider-name") == ["cart_service"]
    assert "--publish" in args
    assert flag_values(args, "--provider-version") == ["abc123"]
    assert flag_values(args, "--provider-branch") == ["main"]
    assert "--webhook-callback-url" not in args


def test_webhook_build_verifies_only_the_pact_it_names_and_publishes():
    args = broker.verifier_broker_args(
        provider="payment_service",
        broker_url=BROKER,
        version="def456",
        branch="main",
        pact_url=PACT_URL,
        build_url="https://ci.example.test/run/1",
    )

    assert flag_values(args, "--webhook-callback-url") == [PACT_URL]
    assert "--consumer-version-selectors" not in args
    assert "--include-wip-pacts-since" not in args
    assert flag_values(args, "--broker-url") == [BROKER]
    assert flag_values(args, "--provider-version") == ["def456"]
    assert flag_values(args, "--build-url") == ["https://ci.example.test/run/1"]
    assert "--publish" in args


def test_the_verifier_command_uses_the_broker_instead_of_local_files(tmp_path):
    broker_args = broker.verifier_broker_args(
        provider="payment_service", broker_url=BROKER, version="1", branch="main"
    )

    cmd = verify_cli.verifier_command(
        _Provider(),
        files=[PACTS_DIR / "x.json"],
        report=tmp_path / "r.json",
        broker_args=broker_args,
    )

    assert "--file" not in cmd
    assert flag_values(cmd, "--state-change-url") == [_Provider.states_url]
    assert "--state-change-teardown" in cmd
    assert cmd[-len(broker_args) :] == broker_args


def test_can_i_deploy_waits_for_running_verifications_then_record_deployment():
    check = broker.can_i_deploy_command(
        broker_url=BROKER, pacticipant="cart_service", version="abc", environment="production"
    )
    record = broker.record_deployment_command(
        broker_url=BROKER, pacticipant="cart_service", version="abc", environment="production"
    )

    assert check[1:3] == ["broker", "can-i-deploy"]
    assert flag_values(check, "--to-environment") == ["production"]
    assert flag_values(check, "--retry-while-unknown") == [str(broker.RETRY_WHILE_UNKNOWN)]
    assert record[1:3] == ["broker", "record-deployment"]
    assert flag_values(record, "--environment") == ["production"]
    for cmd in (check, record):
        assert flag_values(cmd, "--pacticipant") == ["cart_service"]
        assert flag_values(cmd, "--version") == ["abc"]


def test_the_token_never_appears_on_a_command_line(monkeypatch):
    monkeypatch.setenv("PACT_BROKER_TOKEN", "s3cret-token")
    commands = [
        broker.publish_command(broker_url=BROKER, version="1", branch="b", pacts_dir=PACTS_DIR),
        broker.verifier_broker_args(provider="x", broker_url=BROKER, version="1", branch="b"),
        broker.can_i_deploy_command(
            broker_url=BROKER, pacticipant="x", version="1", environment="e"
        ),
    ]

    assert not any("s3cret-token" in " ".join(cmd) for cmd in commands)


def test_the_provider_comes_from_the_pact_url():
    assert broker.provider_of_pact_url(PACT_URL) == "payment_service"
    with pytest.raises(ValueError, match="not a Pact Broker pact URL"):
        broker.provider_of_pact_url("https://example.test/pacts/cart.json")


def test_verify_cli_refuses_a_pact_url_without_a_broker(monkeypatch, capsys):
    monkeypatch.delenv("PACT_BROKER_BASE_URL", raising=False)

    with pytest.raises(SystemExit) as exited:
        verify_cli.main(["--pact-url", PACT_URL])

    assert exited.value.code == 2
    assert "PACT_BROKER_BASE_URL" in capsys.readouterr().err


def test_verify_cli_refuses_a_pact_url_of_another_provider(monkeypatch, capsys):
    monkeypatch.setenv("PACT_BROKER_BASE_URL", BROKER)

    with pytest.raises(SystemExit):
        verify_cli.main(["cart_service", "--pact-url", PACT_URL])

    assert "payment_service" in capsys.readouterr().err


@pytest.mark.parametrize("pact_url", [None, PACT_URL])
def test_the_real_verifier_accepts_the_broker_arguments(tmp_path, pact_url):
    broker_args = broker.verifier_broker_args(
        provider="payment_service", broker_url=CLOSED, version="1", branch="main", pact_url=pact_url
    )
    cmd = verify_cli.verifier_command(
        _Provider(), files=[], report=tmp_path / "r.json", broker_args=broker_args
    )

    assert_cli_accepts([*cmd, "--retries", "0"])


def test_the_real_broker_client_accepts_publish_can_i_deploy_and_record_deployment(tmp_path):
    (tmp_path / "a-b.json").write_text(
        Path(PACTS_DIR / "admin_console-cart_service.json").read_text()
    )
    common = {"broker_url": CLOSED, "version": "1"}
    for cmd in (
        broker.publish_command(**common, branch="main", pacts_dir=tmp_path),
        broker.can_i_deploy_command(**common, pacticipant="x", environment="production"),
        broker.record_deployment_command(**common, pacticipant="x", environment="production"),
    ):
        cmd = [c if c != str(broker.RETRY_INTERVAL) else "0" for c in cmd]
        assert_cli_accepts([*cmd, "--retries", "0"])
