# Shared by scripts/compose-e2e.sh and scripts/compose-scale.sh (sourced, not run).
# Where no Docker engine answers (this kind of machine), podman stands in: see scripts/containers/.

# compose_setup PROJECT FILE...: the container engine, base images, fresh secrets, and
# the array `compose` (the compose command for PROJECT and FILEs); `build_args` for
# `compose build`.
compose_setup() {
  local project=$1
  shift
  build_args=()
  if ! docker info >/dev/null 2>&1; then
    bash scripts/containers/setup-podman.sh >/dev/null
    export DOCKER_HOST=unix:///run/podman/podman.sock
    bash scripts/containers/build-standin-images.sh
    # The files name the official images by digest; a local stand-in has another digest,
    # so it is named by its tag instead.
    build_args=(--build-arg PYTHON_IMAGE=docker.io/library/python:3.11-slim)
    export POSTGRES_IMAGE=docker.io/library/postgres:15
    export NGINX_IMAGE=docker.io/library/nginx:1.27.3
  fi
  # Fresh secrets for this run.
  set -a
  # shellcheck disable=SC1090
  source <(bash scripts/compose-env.sh)
  set +a
  # Compose v2 where the Docker CLI has it, else the v1 tool (what podman serves here).
  if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
  compose+=(-p "$project")
  local file
  for file in "$@"; do compose+=(-f "$file"); done
}

# Each service's own credentials (its DATABASE_URL, in its own image) open its database,
# as a role that is no superuser, and are refused by the other databases.
# compose_isolation_check TAG: needs the stack's images built; starts db if it is not up.
compose_isolation_check() {
  local tag=$1 rc=0 service
  local check='
import os, sys, psycopg
from urllib.parse import urlsplit
url = urlsplit(os.environ["DATABASE_URL"])
own, failed = url.path.strip("/"), False
for db in ("discount", "payment", "cart", "catalog"):
    try:
        with psycopg.connect(url._replace(path="/" + db).geturl(), connect_timeout=10) as conn:
            superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        outcome, ok = f"connected (superuser: {superuser})", db == own and not superuser
    except psycopg.OperationalError as exc:
        outcome = "refused: " + " ".join(str(exc).split())[-120:]
        ok = db != own and "permission denied for database" in str(exc)
    print(f"TAG: role {url.username} -> database {db}: {outcome}", "ok" if ok else "WRONG")
    failed |= not ok
sys.exit(1 if failed else 0)
'
  check=${check//TAG/$tag}
  "${compose[@]}" up -d db >/dev/null
  for _ in $(seq 30); do
    "${compose[@]}" exec -T db pg_isready -q -U checkout && break
    sleep 1
  done
  for service in discount payment cart catalog; do
    # <service>-migrate: the service's image and environment, and no dependency but db
    # (docker-compose v1 links a `run` container to its service's dependencies, and the
    # podman API refuses links to the exited migrate containers).
    "${compose[@]}" run --rm --no-deps -T "$service-migrate" python -c "$check" || rc=1
  done
  echo "$tag: database isolation $([ "$rc" -eq 0 ] && echo held || echo FAILED)"
  return "$rc"
}
