#!/usr/bin/env bash
# Build and run docker-compose.yml + docker-compose.e2e.yml; the test runner's exit code is ours.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/compose-lib.sh
source scripts/compose-lib.sh
started=$SECONDS

compose_setup "${COMPOSE_E2E_PROJECT:-checkout-e2e}" docker-compose.yml docker-compose.e2e.yml
# Host ports that do not collide with `make run`.
export DISCOUNT_PORT=${DISCOUNT_PORT:-18801} CART_PORT=${CART_PORT:-18802} PAYMENT_PORT=${PAYMENT_PORT:-18803}
export CATALOG_PORT=${CATALOG_PORT:-18804}

cleanup() { "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

echo "compose-e2e: building images"
"${compose[@]}" build "${build_args[@]}"
echo "compose-e2e: images built in $((SECONDS - started))s; starting the stack"
run_started=$SECONDS
set +e
# Named services only: their dependencies start (db, each <service>-migrate, the services)
# without being attached, so a migrate container exiting 0 does not end the run.
"${compose[@]}" up --abort-on-container-exit --exit-code-from e2e e2e reconciler
rc=$?
set -e
echo "compose-e2e: stack up and suite run in $((SECONDS - run_started))s (total $((SECONDS - started))s), exit $rc"
if [ "$rc" -ne 0 ]; then
  "${compose[@]}" logs --no-color --tail 80 discount-migrate payment-migrate cart-migrate catalog-migrate \
    discount payment cart catalog || true
  exit "$rc"
fi
compose_isolation_check compose-e2e
