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
#
# The last lines say which checks failed. One failure is not the stack's: on podman
# (4.3 with aardvark-dns 1.4, this kind of machine) the network's DNS server drops or
# dies while containers start and stop (containers/aardvark-dns#389, fixed upstream by
# #449), and names stop resolving. A failed run whose containers could not resolve a
# name, or whose DNS server was gone, is said so and run once more from scratch; the
# second run decides. A defect of the stack fails both.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/compose-lib.sh
source scripts/compose-lib.sh
started=$SECONDS
PY=${PY:-.venv/bin/python}
attempt=${COMPOSE_SCALE_ATTEMPT:-1}
phase() { printf '\n== compose-scale: %s (%ss elapsed)\n' "$*" "$((SECONDS - started))"; }
failed=()
fail() { failed+=("$*"); }

# The engine as the caller gave it (compose_setup may point DOCKER_HOST at podman): a
# second run starts from where the first did.
docker_host_given=${DOCKER_HOST-}
docker_host_set=${DOCKER_HOST+set}
compose_setup "${COMPOSE_SCALE_PROJECT:-checkout-scale}" \
  docker-compose.yml docker-compose.e2e.yml docker-compose.scale.yml
# No fixed host port for the replicas (two cannot share one): lb's ports are the way in.
export DISCOUNT_PORT="" PAYMENT_PORT="" CART_PORT="" CATALOG_PORT=""
replicas=(--scale discount=2 --scale payment=2 --scale cart=2 --scale catalog=2 --scale reconciler=2)
work=$(mktemp -d)
cleanup() { "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true; }
trap 'cleanup; rm -rf "$work"' EXIT
cleanup

# The verdict, last: what failed, and whether the container network's DNS did.
finish() {
  mkdir -p reports
  if [ "${#failed[@]}" -eq 0 ]; then
    phase "passed in $((SECONDS - started))s$([ "$attempt" -gt 1 ] && echo " (run $attempt)")"
    exit 0
  fi

  "${compose[@]}" logs --no-color --tail 40 lb discount payment cart catalog reconciler || true
  "${compose[@]}" logs --no-color >reports/compose-scale-services.log 2>&1 || true
  # Names that did not resolve inside the project's own network, or its DNS server gone.
  dns=$("$PY" scripts/compose_scale_check.py dns "$work/up.log" "$work/e2e.log" "$work/isolation.log" \
    reports/compose-scale-services.log || echo 0)
  dns_server=""
  if [[ "${DOCKER_HOST:-}" == *podman* ]] && [ -n "$("${compose[@]}" ps -q 2>/dev/null)" ] && ! pgrep -x aardvark-dns >/dev/null; then
    dns_server=" podman's DNS server (aardvark-dns) is not running."
  fi
  phase "FAILED in $((SECONDS - started))s$([ "$attempt" -gt 1 ] && echo " (run $attempt)"); all the services' logs in reports/compose-scale-services.log"
  printf 'compose-scale: failed: %s\n' "${failed[@]}"
  if [ "$dns" -gt 0 ] || [ -n "$dns_server" ]; then
    echo "compose-scale: $dns log lines of names that did not resolve inside the compose network.$dns_server" \
      "That is the container network's DNS (podman 4.3 / aardvark-dns 1.4 drops and dies while containers" \
      "start and stop: containers/aardvark-dns#389), not the stack."
    if [ "$attempt" -lt 2 ]; then
      echo "compose-scale: running once more from scratch; that run decides"
      cleanup
      rm -rf "$work"
      trap - EXIT
      if [ -n "$docker_host_set" ]; then export DOCKER_HOST=$docker_host_given; else unset DOCKER_HOST; fi
      COMPOSE_SCALE_ATTEMPT=$((attempt + 1)) exec bash scripts/compose-scale.sh
    fi
  fi
  exit 1
}

phase "building images"
"${compose[@]}" build "${build_args[@]}"

phase "starting db, the migrations, 2 replicas of each service, lb, 2 reconcilers"
if ! "${compose[@]}" up -d "${replicas[@]}" lb reconciler 2>&1 | tee "$work/up.log"; then
  fail "starting the stack"
  finish
fi
"${compose[@]}" ps

phase "the end-to-end suite through lb"
"${compose[@]}" run --rm --no-deps -T e2e 2>&1 | tee "$work/e2e.log" || fail "the end-to-end suite through lb"

phase "the load run through lb (${COMPOSE_SCALE_LOAD:-30s}, ${COMPOSE_SCALE_USERS:-10} users)"
lb_cart=http://$("${compose[@]}" port lb 8002)
lb_discount=http://$("${compose[@]}" port lb 8001)
lb_catalog=http://$("${compose[@]}" port lb 8004)
"$PY" -m e2e.load.run --name compose-scale-load --cart-url "$lb_cart" --discount-url "$lb_discount" \
  --catalog-url "$lb_catalog" \
  --users "${COMPOSE_SCALE_USERS:-10}" --spawn-rate 5 --duration "${COMPOSE_SCALE_LOAD:-30s}" || fail "the load run through lb"

phase "through lb: the client's request id, cart's own problem+json, one client's requests spread"
"$PY" scripts/compose_scale_check.py probe --lb-cart-url "$lb_cart" --lb-discount-url "$lb_discount" || fail "the probes through lb"

phase "checkouts while payment's replicas are paused, then settled by the reconcilers"
# shellcheck disable=SC2046
"$PY" scripts/compose_scale_check.py stuck --lb-cart-url "$lb_cart" --lb-discount-url "$lb_discount" \
  --lb-catalog-url "$lb_catalog" \
  --pause $("${compose[@]}" ps -q payment) || fail "the checkouts while payment was paused"

phase "requests per replica, the invariants from the databases"
mkdir -p reports
"${compose[@]}" logs --no-color lb >"$work/lb.log"
cp "$work/lb.log" reports/compose-scale-lb.log
# shellcheck disable=SC2046
docker inspect -f '{{.Name}} {{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' \
  $("${compose[@]}" ps -q) | awk 'NF == 2 {sub("^/", "", $1); print}' >"$work/replicas"
db_port=$("${compose[@]}" port db 5432)
"$PY" scripts/compose_scale_check.py report --lb-log "$work/lb.log" --replicas "$work/replicas" \
  --db-port "${db_port##*:}" || fail "requests per replica and the invariants"

phase "the two reconcilers: still running, their passes, no failed pass"
for id in $("${compose[@]}" ps -q reconciler); do
  state=$(docker inspect -f '{{.Name}} {{.State.Status}}' "$id")
  log=$(docker logs "$id" 2>&1)
  name=${state#/}
  printf '%s\n' "$log" >"reports/compose-scale-${name%% *}.log"
  passes=$(grep -c "reconcile pass:" <<<"$log" || true)
  failed_passes=$(grep -c "reconcile pass failed\|Traceback" <<<"$log" || true)
  did=$(grep "reconcile pass:" <<<"$log" | grep -v "nothing to do" | sed 's/.*reconcile pass: //' | paste -sd ';' || true)
  echo "compose-scale: ${state#/}, $passes passes ($failed_passes failed); the passes with work: ${did:-none}"
  if [[ "$state" != *" running" || "$passes" -lt 1 || "$failed_passes" -ne 0 ]]; then fail "reconciler ${name%% *}"; fi
done

phase "no replica of discount_service left: lb answers for itself"
"${compose[@]}" stop discount >/dev/null 2>&1
"$PY" scripts/compose_scale_check.py lb-down --url "$lb_discount/api/discounts/ANY/" || fail "lb with no replica of discount_service"

phase "database isolation"
compose_isolation_check compose-scale 2>&1 | tee "$work/isolation.log" || fail "database isolation"

finish
