#!/usr/bin/env bash
# `make compose-scale`: docker-compose.yml + docker-compose.e2e.yml + docker-compose.scale.yml
# with two replicas of each service and of the reconciler behind one nginx (lb); then,
# through lb, the end-to-end suite (its runner container) and a bounded Locust load run
# (from this machine); then scripts/compose_scale_check.py: what lb passes through, one
# client's requests spread, checkouts left unresolved while payment is paused and settled
# by the reconcilers, requests per replica from lb's log, no 5xx, the invariants from the
# three databases, lb's own 502/504; then the database isolation check of compose-e2e.
# Fails if anything fails. deploy/README.md ("Replicas on one machine") has the details.
# Env: COMPOSE_SCALE_PROJECT (checkout-scale), COMPOSE_SCALE_LOAD (Locust run time, 30s),
# COMPOSE_SCALE_USERS (10), PY (the virtualenv's python, .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/compose-lib.sh
source scripts/compose-lib.sh
started=$SECONDS
PY=${PY:-.venv/bin/python}
phase() { printf '\n== compose-scale: %s (%ss elapsed)\n' "$*" "$((SECONDS - started))"; }

compose_setup "${COMPOSE_SCALE_PROJECT:-checkout-scale}" \
  docker-compose.yml docker-compose.e2e.yml docker-compose.scale.yml
# No fixed host port for the replicas (two cannot share one): lb's ports are the way in.
export DISCOUNT_PORT="" PAYMENT_PORT="" CART_PORT="" CATALOG_PORT=""
replicas=(--scale discount=2 --scale payment=2 --scale cart=2 --scale catalog=2 --scale reconciler=2)
work=$(mktemp -d)
cleanup() { "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true; }
trap 'cleanup; rm -rf "$work"' EXIT
cleanup

phase "building images"
"${compose[@]}" build "${build_args[@]}"

phase "starting db, the migrations, 2 replicas of each service, lb, 2 reconcilers"
if ! "${compose[@]}" up -d "${replicas[@]}" lb reconciler; then
  "${compose[@]}" logs --no-color --tail 60 || true
  exit 1
fi
"${compose[@]}" ps

rc=0
phase "the end-to-end suite through lb"
"${compose[@]}" run --rm --no-deps -T e2e || rc=1

phase "the load run through lb (${COMPOSE_SCALE_LOAD:-30s}, ${COMPOSE_SCALE_USERS:-10} users)"
lb_cart=http://$("${compose[@]}" port lb 8002)
lb_discount=http://$("${compose[@]}" port lb 8001)
lb_catalog=http://$("${compose[@]}" port lb 8004)
"$PY" -m e2e.load.run --name compose-scale-load --cart-url "$lb_cart" --discount-url "$lb_discount" \
  --catalog-url "$lb_catalog" \
  --users "${COMPOSE_SCALE_USERS:-10}" --spawn-rate 5 --duration "${COMPOSE_SCALE_LOAD:-30s}" || rc=1

phase "through lb: the client's request id, cart's own problem+json, one client's requests spread"
"$PY" scripts/compose_scale_check.py probe --lb-cart-url "$lb_cart" --lb-discount-url "$lb_discount" || rc=1

phase "checkouts while payment's replicas are paused, then settled by the reconcilers"
# shellcheck disable=SC2046
"$PY" scripts/compose_scale_check.py stuck --lb-cart-url "$lb_cart" --lb-discount-url "$lb_discount" \
  --lb-catalog-url "$lb_catalog" \
  --pause $("${compose[@]}" ps -q payment) || rc=1

phase "requests per replica, the invariants from the databases"
mkdir -p reports
"${compose[@]}" logs --no-color lb >"$work/lb.log"
cp "$work/lb.log" reports/compose-scale-lb.log
# shellcheck disable=SC2046
docker inspect -f '{{.Name}} {{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' \
  $("${compose[@]}" ps -q) | awk 'NF == 2 {sub("^/", "", $1); print}' >"$work/replicas"
db_port=$("${compose[@]}" port db 5432)
"$PY" scripts/compose_scale_check.py report --lb-log "$work/lb.log" --replicas "$work/replicas" \
  --db-port "${db_port##*:}" || rc=1

phase "the two reconcilers: still running, their passes, no failed pass"
for id in $("${compose[@]}" ps -q reconciler); do
  state=$(docker inspect -f '{{.Name}} {{.State.Status}}' "$id")
  log=$(docker logs "$id" 2>&1)
  name=${state#/}
  printf '%s\n' "$log" >"reports/compose-scale-${name%% *}.log"
  passes=$(grep -c "reconcile pass:" <<<"$log" || true)
  failed=$(grep -c "reconcile pass failed\|Traceback" <<<"$log" || true)
  did=$(grep "reconcile pass:" <<<"$log" | grep -v "nothing to do" | sed 's/.*reconcile pass: //' | paste -sd ';' || true)
  echo "compose-scale: ${state#/}, $passes passes ($failed failed); the passes with work: ${did:-none}"
  if [[ "$state" != *" running" || "$passes" -lt 1 || "$failed" -ne 0 ]]; then rc=1; fi
done

phase "no replica of discount_service left: lb answers for itself"
"${compose[@]}" stop discount >/dev/null 2>&1
"$PY" scripts/compose_scale_check.py lb-down --url "$lb_discount/api/discounts/ANY/" || rc=1

phase "database isolation"
compose_isolation_check compose-scale || rc=1

if [ "$rc" -ne 0 ]; then
  "${compose[@]}" logs --no-color --tail 40 lb discount payment cart catalog reconciler || true
fi
phase "$([ "$rc" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started))s"
exit "$rc"
