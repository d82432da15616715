"""The Kubernetes manifests never expose the operators' console: it is off in production
unless ADMIN_ENABLED is set, and the Ingress routes only the public API paths, so /admin/
is reached by `kubectl port-forward` alone (deploy/README.md)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
OVERLAYS = ["deploy/k8s/base", "deploy/k8s/overlays/production"]


def render(path: str) -> list[dict]:
    kustomize = shutil.which("kustomize")
    command = [kustomize, "build"] if kustomize else ["kubectl", "kustomize"]
    if not (kustomize or shutil.which("kubectl")):
        pytest.skip("neither kustomize nor kubectl (make k8s-validate needs one too)")
    out = subprocess.run([*command, str(ROOT / path)], capture_output=True, text=True, check=True)
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def ingress_paths(docs: list[dict]) -> list[str]:
    return [
        path["path"]
        for doc in docs
        if doc["kind"] == "Ingress"
        for rule in doc["spec"].get("rules", [])
        for path in rule.get("http", {}).get("paths", [])
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ingress_routes_only_the_public_api(overlay):
    paths = ingress_paths(render(overlay))

    assert all(p.startswith("/api/") for p in paths), paths  # never "/" nor "/admin"


def test_the_production_ingress_exists_and_leaves_admin_out():
    paths = ingress_paths(render("deploy/k8s/overlays/production"))

    assert paths
    assert not any("/admin".startswith(p.rstrip("/")) or p.startswith("/admin") for p in paths)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_manifest_turns_the_admin_on(overlay):
    rendered = yaml.safe_dump_all(render(overlay))

    assert "ADMIN_ENABLED" not in rendered
    assert "DJANGO_ENV: production" in rendered
