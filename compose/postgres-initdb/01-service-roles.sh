#!/usr/bin/env bash
# One role per service, owning only its own database; no service connects as the
# superuser. Passwords come from the db container's environment (.env, written by
# `make compose-env`). PUBLIC loses CONNECT, so a role cannot open another's database.
set -euo pipefail
for service in discount payment cart catalog; do
    var="${service^^}_DB_PASSWORD"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --no-psqlrc \
        --set role="$service" --set password="${!var:?$var must be set}" <<'SQL'
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
