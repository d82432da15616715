#!/usr/bin/env bash
# Build and run docker-compose.yml + docker-compose.e2e.yml; the test runner's exit code is ours.
# Where no Docker engine answers (this kind of machine), podman stands in: see scripts/containers/.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

build_args=()
if ! docker info >/dev/null 2>&1; then
  bash scripts/containers/setup-podman.sh >/dev/null
  export DOCKER_HOST=unix:///run/podman/podman.sock
  bash scripts/containers/build-standin-images.sh
  # The files name the official images by digest; a local stand-in has another digest,
  # so it is named by its tag instead.
  build_args=(--build-arg PYTHON_IMAGE=docker.io/library/python:3.11-slim)
  export POSTGRES_IMAGE=docker.io/library/postgres:15
fi

# Fresh secrets for this run, and host ports that do not collide with `make run`.
set -a
# shellcheck disable=SC1090
source <(bash scripts/compose-env.sh)
DISCOUNT_PORT=${DISCOUNT_PORT:-18801} CART_PORT=${CART_PORT:-18802} PAYMENT_PORT=${PAYMENT_PORT:-18803}
set +a
# Compose v2 where the Docker CLI has it, else the v1 tool (what podman serves here).
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
compose+=(-p "${COMPOSE_E2E_PROJECT:-checkout-e2e}" -f docker-compose.yml -f docker-compose.e2e.yml)

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
  "${compose[@]}" logs --no-color --tail 80 discount-migrate payment-migrate cart-migrate discount payment cart || true
  exit "$rc"
fi

# Each service's own credentials (its DATABASE_URL, in its own image) open its database,
# as a role that is no superuser, and are refused by the other two databases.
isolation_check='
import os, sys, psycopg
from urllib.parse import urlsplit
url = urlsplit(os.environ["DATABASE_URL"])
own, failed = url.path.strip("/"), False
for db in ("discount", "payment", "cart"):
    try:
        with psycopg.connect(url._replace(path="/" + db).geturl(), connect_timeout=10) as conn:
            superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        outcome, ok = f"connected (superuser: {superuser})", db == own and not superuser
    except psycopg.OperationalError as exc:
        outcome = "refused: " + " ".join(str(exc).split())[-120:]
        ok = db != own and "permission denied for database" in str(exc)
    print(f"compose-e2e: role {url.username} -> database {db}: {outcome}", "ok" if ok else "WRONG")
    failed |= not ok
sys.exit(1 if failed else 0)
'
"${compose[@]}" up -d db >/dev/null
for _ in $(seq 30); do
  "${compose[@]}" exec -T db pg_isready -q -U checkout && break
  sleep 1
done
for service in discount payment cart; do
  # <service>-migrate: the service's image and environment, and no dependency but db
  # (docker-compose v1 links a `run` container to its service's dependencies, and the
  # podman API refuses links to the exited migrate containers).
  "${compose[@]}" run --rm --no-deps -T "$service-migrate" python -c "$isolation_check" || rc=1
done
echo "compose-e2e: database isolation $([ "$rc" -eq 0 ] && echo held || echo FAILED)"
exit "$rc"
