"""The can-i-deploy matrix from git (contracts/matrix.py), with verifications faked.

The revisions are hand-built: which pacts each has (their content stands for the pact),
which providers exist; a fake verifier answers per (provider version, pact) and counts
its calls. `make can-i-deploy` runs the real thing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from contracts import matrix
from contracts.common import PACTS_DIR, ROOT
from contracts.matrix import BASE, FAIL, HEAD, NA, PASS, Outcome, Version
from contracts.providers import CART_STUBS

STOREFRONT = "storefront-cart_service.json"
CART_CATALOG = "cart_service-catalog_service.json"
CART_DISCOUNT = "cart_service-discount_service.json"


def version(tmp_path: Path, label: str, pacts: dict[str, str], providers: set[str]) -> Version:
    return Version(label, label[0] * 40, tmp_path / label, pacts, frozenset(providers))


@pytest.fixture
def prices(tmp_path):
    """The price change: a new storefront pact, cart_service calling a new catalog_service."""
    return {
        BASE: version(
            tmp_path,
            BASE,
            {STOREFRONT: "old storefront", CART_DISCOUNT: "same"},
            {"cart_service", "discount_service"},
        ),
        HEAD: version(
            tmp_path,
            HEAD,
            {STOREFRONT: "new storefront", CART_DISCOUNT: "same", CART_CATALOG: "catalog"},
            {"cart_service", "discount_service", "catalog_service"},
        ),
    }


class FakeVerifier:
    """Passes everything but the (provider version, consumer version, pact) in ``failing``."""

    def __init__(self, failing: set[tuple[str, str, str]] = frozenset()):
        self.failing = failing
        self.calls: list[tuple[str, str, list[str]]] = []

    def __call__(self, provider, provider_version, files):
        self.calls.append(
            (provider, provider_version.label, [f"{f.parent.parent.name}/{f.name}" for f in files])
        )
        outcomes = {}
        for path in files:
            failed = (provider_version.label, path.parent.parent.name, path.name) in self.failing
            failures = [
                {"interaction": "Verifying a pact between a and b a request", "why": "boom"}
            ]
            outcomes[path] = Outcome(not failed, failures if failed else [], 0.5, interactions=3)
        return outcomes


def cell(cells, pact, cv, pv):
    consumer, provider = pact.removesuffix(".json").split("-")
    return matrix.find(cells, consumer, provider, cv, pv)


def run(versions, verifier, tmp_path):
    out = tmp_path / "reports" / "can-i-deploy.json"
    code = matrix.run(versions, verifier, out)
    return code, json.loads(out.read_text())


def test_every_pair_of_either_revision_gets_four_cells(prices):
    cells = matrix.plan(prices)

    assert len(cells) == 3 * 4
    assert {c.pact for c in cells} == {STOREFRONT, CART_DISCOUNT, CART_CATALOG}


def test_a_pact_or_a_provider_missing_at_a_revision_is_not_applicable_and_says_which(prices):
    cells = matrix.plan(prices)

    no_pact = cell(cells, CART_CATALOG, BASE, HEAD)
    no_provider = cell(cells, CART_CATALOG, HEAD, BASE)
    assert (no_pact.result, no_pact.missing) == (NA, "pact")
    assert "cart_service does not call catalog_service" in no_pact.reason
    assert (no_provider.result, no_provider.missing) == (NA, "provider")
    assert "catalog_service does not exist at bbbbbbb (base)" in no_provider.reason
    assert cell(cells, CART_CATALOG, HEAD, HEAD).result == ""  # to verify


def test_a_revisions_own_pact_without_its_provider_fails(prices, tmp_path):
    prices[HEAD] = version(tmp_path, HEAD, prices[HEAD].pacts, {"cart_service"})

    cells = matrix.plan(prices)

    broken = cell(cells, CART_CATALOG, HEAD, HEAD)
    assert (broken.result, broken.must_pass) == (FAIL, True)


def test_one_start_per_provider_version_and_an_unchanged_pact_is_verified_once(prices):
    verifier = FakeVerifier()
    cells = matrix.plan(prices)

    matrix.fill(cells, prices, verifier)

    assert sorted(verifier.calls) == [
        ("cart_service", BASE, [f"base/{STOREFRONT}", f"head/{STOREFRONT}"]),
        ("cart_service", HEAD, [f"base/{STOREFRONT}", f"head/{STOREFRONT}"]),
        ("catalog_service", HEAD, [f"head/{CART_CATALOG}"]),
        ("discount_service", BASE, [f"base/{CART_DISCOUNT}"]),
        ("discount_service", HEAD, [f"base/{CART_DISCOUNT}"]),
    ]
    reused = cell(cells, CART_DISCOUNT, HEAD, BASE)
    assert (reused.result, reused.same_pact_as) == (PASS, BASE)
    assert all(c.result in (PASS, NA) for c in cells)


def test_each_consumer_of_a_provider_gets_its_own_verification(prices, tmp_path):
    admin = "admin_console-cart_service.json"
    for label in (BASE, HEAD):
        prices[label].pacts[admin] = "admin"
    verifier = FakeVerifier(failing={(HEAD, BASE, admin)})

    cells = matrix.plan(prices)
    matrix.fill(cells, prices, verifier)

    assert (
        "cart_service",
        HEAD,
        [f"base/{admin}", f"base/{STOREFRONT}", f"head/{STOREFRONT}"],
    ) in (verifier.calls)
    assert [c.result for c in cells if c.pact == admin] == [PASS, FAIL, PASS, FAIL]
    assert [c.result for c in cells if c.pact == STOREFRONT] == [PASS] * 4


def test_the_price_change_must_ship_catalog_then_cart_then_storefront(prices, tmp_path):
    # The old cart requires name and unit_price, which the new storefront no longer sends.
    verifier = FakeVerifier(failing={(BASE, HEAD, STOREFRONT)})

    code, data = run(prices, verifier, tmp_path)

    assert code == 0  # only a crossed cell fails: an answer, not a broken build
    assert data["deploy_order"] == [["catalog_service"], ["cart_service"], ["storefront"]]
    answers = {(d["service"], d["other"]): d["ok"] for d in data["deploy"]}
    assert answers[("cart_service", "storefront")] is True
    assert answers[("storefront", "cart_service")] is False
    assert answers[("cart_service", "catalog_service")] is False
    assert answers[("catalog_service", "cart_service")] is True
    assert data["conflicts"] == []


def test_the_printed_matrix_reads_like_the_brokers_and_answers_each_side(prices, tmp_path, capsys):
    run(prices, FakeVerifier(failing={(BASE, HEAD, STOREFRONT)}), tmp_path)

    out = capsys.readouterr().out
    table = [tuple(v.strip() for v in line.split("|")) for line in out.splitlines() if "|" in line]
    assert table[0] == ("CONSUMER", "C.VERSION", "PROVIDER", "P.VERSION", "SUCCESS?", "RESULT#")
    assert ("storefront", "hhhhhhh (head)", "cart_service", "bbbbbbb (base)", "false") in {
        row[:5] for row in table
    }
    assert ("storefront", "hhhhhhh (head)", "cart_service", "hhhhhhh (head)", "true (must)") in {
        row[:5] for row in table
    }
    assert "   1 of 3 interaction(s) failed:\n   - a request: boom\n" in out  # no verifier prefix
    assert "cart_service (provider) can be deployed before storefront (consumer): yes" in out
    assert "storefront (consumer) can be deployed before cart_service (provider): NO" in out
    assert "deploy order: catalog_service -> cart_service -> storefront" in out


def test_head_against_head_failing_fails_the_run_and_the_json_says_which(prices, tmp_path):
    code, data = run(prices, FakeVerifier(failing={(HEAD, HEAD, STOREFRONT)}), tmp_path)

    assert code == 1
    assert data["must_pass_failed"] == 1
    failed = [row for row in data["matrix"] if row["result"] == FAIL]
    assert [(r["consumer_version"], r["provider_version"], r["must_pass"]) for r in failed] == [
        (HEAD, HEAD, True)
    ]
    assert failed[0]["failures"] == [
        {"interaction": "Verifying a pact between a and b a request", "why": "boom"}
    ]


def test_base_against_base_failing_fails_the_run(prices, tmp_path):
    code, _ = run(prices, FakeVerifier(failing={(BASE, BASE, CART_DISCOUNT)}), tmp_path)

    assert code == 1


def test_when_neither_side_can_go_first_no_order_works(prices, tmp_path):
    verifier = FakeVerifier(failing={(BASE, HEAD, STOREFRONT), (HEAD, BASE, STOREFRONT)})

    code, data = run(prices, verifier, tmp_path)

    assert code == 0
    assert data["conflicts"] == ["storefront -> cart_service"]


def test_a_consumer_that_stops_calling_a_provider_can_ship_first(prices, tmp_path):
    # The head cart no longer calls discount_service: nothing to verify against base.
    prices[HEAD] = version(tmp_path, HEAD, {STOREFRONT: "old storefront"}, {"cart_service"})

    _, data = run(prices, FakeVerifier(), tmp_path)

    answers = {(d["service"], d["other"]): d for d in data["deploy"]}
    assert answers[("cart_service", "discount_service")]["ok"] is True
    # ... but the head revision has no discount_service while base's cart still calls it.
    assert answers[("discount_service", "cart_service")]["ok"] is False
    assert data["deploy_order"] == [["cart_service"], ["discount_service"]]


def test_the_last_release_is_the_last_line_and_must_be_a_full_sha(tmp_path):
    releases = tmp_path / "RELEASES"
    releases.write_text(f"# comment\n{'a' * 40} 2026-01-01 one\n\n{'b' * 40} 2026-02-01 two\n")
    assert matrix.last_release(releases) == "b" * 40

    releases.write_text("61b554d 2026-11-22 short\n")
    with pytest.raises(SystemExit, match="not a full sha"):
        matrix.last_release(releases)


def test_the_committed_last_release_is_a_commit_this_branch_grew_from():
    sha = matrix.last_release()
    shallow = matrix.git("rev-parse", "--is-shallow-repository") == "true"
    if shallow:
        pytest.skip("a shallow clone does not hold the releases")
    ancestor = subprocess.run(["git", "-C", str(ROOT), "merge-base", "--is-ancestor", sha, "HEAD"])
    assert ancestor.returncode == 0


def test_a_provider_that_calls_others_gets_its_own_revisions_pacts_as_stand_ins():
    head = matrix.read_version(HEAD, "x" * 40, ROOT, working_tree=True)

    assert matrix.stubs_of("cart_service", head) == {
        variable: PACTS_DIR / name for variable, name in CART_STUBS.items()
    }
    assert matrix.stubs_of("discount_service", head) == {}
    assert {"cart_service", "catalog_service"} <= head.providers


def test_the_lock_comparison_sees_third_party_versions_not_workspace_members():
    locked = matrix.locked_packages(ROOT)

    assert "django" in locked
    assert "servicekit" not in locked
    assert "harness" not in locked
