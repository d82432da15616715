#!/usr/bin/env bash
# Roll out one release of the checkout backend (deploy/README.md, "Deploying a release"):
#   1. everything that is not a workload (namespace, accounts, ConfigMaps, Services,
#      PDBs, HPAs, NetworkPolicies);
#   2. each service's migrate Job, the previous release's Job deleted first (a Job's pod
#      template cannot change), and waited for: a failed migration stops the release here,
#      with the old pods still serving;
#   3. the Deployments (servers and reconciler), waited for until rolled out, and the
#      CronJob (payment's purge of old Idempotency-Keys), which runs the new image only
#      once its migrations are applied.
# Usage: deploy/k8s/deploy.sh [KUSTOMIZATION_DIR]   (default: deploy/k8s/overlays/production)
set -euo pipefail
overlay=${1:-"$(dirname "$0")/overlays/production"}
ns=checkout
workloads='app.kubernetes.io/component in (server,reconciler,maintenance)'
migrate='app.kubernetes.io/component=migrate'

rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
kubectl kustomize "$overlay" >"$rendered"

echo "== configuration, services, policies"
kubectl apply -f "$rendered" -l 'app.kubernetes.io/component notin (server,reconciler,maintenance,migrate)'

echo "== migrations"
kubectl -n "$ns" delete job -l "$migrate" --ignore-not-found --wait=true
kubectl apply -f "$rendered" -l "$migrate"
for job in $(kubectl -n "$ns" get job -l "$migrate" -o name); do
  # activeDeadlineSeconds (15 min) fails a stuck Job before this gives up.
  if ! kubectl -n "$ns" wait --for=condition=complete "$job" --timeout=16m; then
    kubectl -n "$ns" logs "$job" --tail=100 || true
    echo "deploy: $job did not complete; nothing was rolled out" >&2
    exit 1
  fi
done

echo "== workloads"
kubectl apply -f "$rendered" -l "$workloads"
kubectl -n "$ns" rollout status deployment -l "$workloads" --timeout=10m
