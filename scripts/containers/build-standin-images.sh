#!/usr/bin/env bash
# Make the base images our Dockerfiles/compose files use available to podman on
# THIS kind of machine (no container registry reachable).
#
# For each image: already present -> skip; else try a real `podman pull`
# (short timeout); only if that fails, build a local stand-in from Debian
# bookworm packages and tag it with the exact upstream name, so the
# Dockerfiles and compose files themselves stay standard.
#
# Requires setup-podman.sh to have run (podman, debootstrap installed).
# On a normal Docker host do NOT run this.
#
# Usage: build-standin-images.sh [--rebuild]
#   --rebuild  rebuild existing stand-ins (e.g. after changing this script);
#              images that were really pulled are left alone.
# Env: PULL_TIMEOUT (seconds for each pull attempt, default 30)
set -euo pipefail

REBUILD=0
case "${1:-}" in
    --rebuild) REBUILD=1 ;;
    "") ;;
    *) echo "usage: $0 [--rebuild]" >&2; exit 2 ;;
esac

PY_IMAGE=docker.io/library/python:3.11-slim
PG_IMAGE=docker.io/library/postgres:15
NGINX_IMAGE=docker.io/library/nginx:1.27.3
BASE_IMAGE=localhost/standin-base:bookworm
CACHE_DIR=/var/cache/standin-images
ROOTFS_TAR=$CACHE_DIR/bookworm-minbase.tar
SUITE=bookworm
PULL_TIMEOUT=${PULL_TIMEOUT:-30}

log() { printf '[standin %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
T_START=$SECONDS
step_t0=0
step_begin() { step_t0=$SECONDS; log "$*"; }
step_end() { log "  done in $((SECONDS - step_t0))s"; }

if [ "$(id -u)" -ne 0 ]; then log "must run as root"; exit 1; fi
for tool in podman debootstrap; do
    command -v "$tool" >/dev/null || { log "$tool missing: run setup-podman.sh first"; exit 1; }
done

WORK=$(mktemp -d /var/tmp/standin.XXXXXX)
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

# ---------------------------------------------------------------------------
# Host settings the containers must share to reach the package registries
# through this machine's TLS-intercepting proxy.
# ---------------------------------------------------------------------------
debian_mirror() {
    # First Debian "URIs:"/"deb" of the host's apt sources (not -security).
    local uri=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        uri=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=$(debian_mirror)

# Files copied into every stand-in (context dir "host/").
prepare_host_files() {
    local d=$WORK/ctx/host
    mkdir -p "$d/certs" "$d/apt.conf.d" "$d/sources.list.d"
    cp /etc/ssl/certs/ca-certificates.crt "$d/ca-certificates.crt"
    # Local CAs (e.g. the proxy's): keep them across update-ca-certificates
    # runs that later `apt-get install`s inside user Dockerfiles trigger.
    if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$d/certs/"
    fi
    # apt: host's Acquire:: settings (proxy, validity checks, ...) and Debian
    # sources (only the Debian archive ones).
    local f
    for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
        [ -f "$f" ] || continue
        if grep -q '^[[:space:]]*Acquire' "$f"; then
            cp "$f" "$d/apt.conf.d/host-$(basename "$f")"
        fi
    done
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        cp /etc/apt/sources.list.d/debian.sources "$d/sources.list.d/debian.sources"
    else
        local sec=${MIRROR%/debian}/debian-security
        cat >"$d/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $sec
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    # pip: same certificate bundle; the index the host uses (PyPI unless the
    # host points pip elsewhere with an http(s) index-url).
    local index
    index=$( (pip3 config get global.index-url 2>/dev/null || true) | grep -E '^https?://' || true)
    index=${PIP_INDEX_URL:-$index}
    {
        echo "[global]"
        echo "cert = /etc/ssl/certs/ca-certificates.crt"
        case "$index" in http://*|https://*) echo "index-url = $index" ;; esac
    } >"$d/pip.conf"
}

# Common Containerfile head: host settings + apt ready to use.
common_head() {
    cat <<'CF'
COPY host/sources.list.d/ /etc/apt/sources.list.d/
COPY host/apt.conf.d/ /etc/apt/apt.conf.d/
COPY host/certs/ /usr/local/share/ca-certificates/
COPY host/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY host/pip.conf /etc/pip.conf
RUN rm -f /etc/apt/sources.list
CF
}

# Appended to each stand-in's main RUN (same layer, so the image stays small).
# update-ca-certificates rebuilds the bundle from the CA dirs, which now
# include the host's local CAs (so later rebuilds inside user images keep them).
CLEANUP=' && update-ca-certificates >/dev/null 2>&1 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log'

# ---------------------------------------------------------------------------
# Base rootfs (debootstrap, cached as a tarball) -> $BASE_IMAGE
# ---------------------------------------------------------------------------
ensure_base() {
    if podman image exists "$BASE_IMAGE"; then
        log "base $BASE_IMAGE present"
        return
    fi
    mkdir -p "$CACHE_DIR"
    if [ ! -s "$ROOTFS_TAR" ]; then
        step_begin "debootstrap --variant=minbase $SUITE from $MIRROR"
        local rootfs=$WORK/rootfs
        debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
            tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
               "$rootfs"/var/log/bootstrap.log
        tar --numeric-owner -C "$rootfs" -cf "$ROOTFS_TAR.tmp" .
        mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
        rm -rf "$rootfs"
        step_end
    else
        log "using cached rootfs $ROOTFS_TAR"
    fi
    step_begin "podman import -> $BASE_IMAGE"
    podman import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["bash"]' \
        "$ROOTFS_TAR" "$BASE_IMAGE" >"$WORK/import.log" 2>&1 || { cat "$WORK/import.log" >&2; exit 1; }
    step_end
}

# ---------------------------------------------------------------------------
# python:3.11-slim stand-in
# ---------------------------------------------------------------------------
python_containerfile() {
    echo "FROM $BASE_IMAGE"
    common_head
    cat <<'CF'
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 python3-venv python3-pip ca-certificates netbase tzdata adduser \
 && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \
 && for t in python:python3 python3:python3 pip:pip3 pip3:pip3; do \
      ln -sf "/usr/bin/${t#*:}" "/usr/local/bin/${t%%:*}"; \
    done \
 && python --version && pip --version && python -m venv /tmp/venv-check && rm -rf /tmp/venv-check \
CF
    echo "$CLEANUP"
    cat <<'CF'
ENV LANG=C.UTF-8 \
    PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHON_VERSION=3.11 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
LABEL org.local.standin="debian bookworm python3 (not the official image)"
CMD ["python3"]
CF
}

# ---------------------------------------------------------------------------
# postgres:15 stand-in
# ---------------------------------------------------------------------------
postgres_entrypoint() {
    cat <<'SH'
#!/usr/bin/env bash
# Stand-in for the official postgres image's entrypoint (subset):
# POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB (and *_FILE variants),
# POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD, PGDATA,
# /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz
set -Eeo pipefail

file_env() {
    local var=$1 fileVar="${1}_FILE" def=${2:-}
    if [ -n "${!var:-}" ] && [ -n "${!fileVar:-}" ]; then
        echo >&2 "error: both $var and $fileVar are set"; exit 1
    fi
    local val=$def
    if [ -n "${!var:-}" ]; then val=${!var}
    elif [ -n "${!fileVar:-}" ]; then val=$(<"${!fileVar}"); fi
    export "$var"="$val"; unset "$fileVar"
}

if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

export PGDATA=${PGDATA:-/var/lib/postgresql/data}

if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    chmod 3777 /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

if [ "$1" = 'postgres' ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    file_env POSTGRES_INITDB_ARGS
    : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        cat >&2 <<'EOM'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".
       (or set POSTGRES_HOST_AUTH_METHOD=trust to allow all connections
       without a password; not recommended)
EOM
        exit 1
    fi

    pwfile=$(mktemp)
    printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" -D "$PGDATA" $POSTGRES_INITDB_ARGS
    rm -f "$pwfile"

    {
        echo
        if [ "$POSTGRES_HOST_AUTH_METHOD" = scram-sha-256 ] || [ "$POSTGRES_HOST_AUTH_METHOD" = md5 ]; then
            echo "password_encryption = $POSTGRES_HOST_AUTH_METHOD"
        fi
    } >>"$PGDATA/postgresql.conf"
    printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

    # temporary server on the unix socket only
    PGUSER=$POSTGRES_USER PGPASSWORD=$POSTGRES_PASSWORD \
        pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start

    export PGPASSWORD=${POSTGRES_PASSWORD:-}
    psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
    if [ "$POSTGRES_DB" != postgres ]; then
        "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<-'EOSQL'
			CREATE DATABASE :"db" ;
		EOSQL
    fi
    psql+=(--dbname "$POSTGRES_DB")

    echo
    for f in /docker-entrypoint-initdb.d/*; do
        [ -e "$f" ] || continue
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then echo "$0: running $f"; "$f"
                else echo "$0: sourcing $f"; . "$f"; fi ;;
            *.sql)    echo "$0: running $f"; "${psql[@]}" -f "$f"; echo ;;
            *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | "${psql[@]}"; echo ;;
            *.sql.xz) echo "$0: running $f"; xzcat "$f" | "${psql[@]}"; echo ;;
            *)        echo "$0: ignoring $f" ;;
        esac
    done
    unset PGPASSWORD

    pg_ctl -D "$PGDATA" -m fast -w stop
    echo
    echo 'PostgreSQL init process complete; ready for start up.'
    echo
fi

exec "$@"
SH
}

postgres_containerfile() {
    echo "FROM $BASE_IMAGE"
    common_head
    cat <<'CF'
RUN groupadd -r postgres --gid=999 \
 && useradd -r -g postgres --uid=999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres \
 && mkdir -p /var/lib/postgresql /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/standin.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 postgresql-client-15 ca-certificates tzdata adduser xz-utils gzip \
 && sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" /usr/share/postgresql/15/postgresql.conf.sample \
 && grep -F "listen_addresses = '*'" /usr/share/postgresql/15/postgresql.conf.sample \
 && mkdir -p /docker-entrypoint-initdb.d /var/run/postgresql /var/lib/postgresql/data \
 && chown -R postgres:postgres /var/run/postgresql /var/lib/postgresql \
 && chmod 3777 /var/run/postgresql && chmod 700 /var/lib/postgresql/data \
CF
    echo "$CLEANUP"
    cat <<'CF'
ENV LANG=C.UTF-8
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh \
 && ln -sf usr/local/bin/docker-entrypoint.sh /docker-entrypoint.sh
ENV PG_MAJOR=15 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/15/bin \
    PGDATA=/var/lib/postgresql/data
VOLUME /var/lib/postgresql/data
LABEL org.local.standin="debian bookworm postgresql-15 (not the official image)"
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
CF
}

# ---------------------------------------------------------------------------
# nginx:1.27.3 stand-in: Debian bookworm's nginx (1.22), laid out like the official
# image where compose/nginx/nginx.conf relies on it (its own /etc/nginx/nginx.conf,
# `nginx -g 'daemon off;'` as CMD, SIGQUIT for a graceful stop, logs to stdout/stderr).
# ---------------------------------------------------------------------------
nginx_containerfile() {
    echo "FROM $BASE_IMAGE"
    common_head
    cat <<'CF'
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx-light ca-certificates \
 && rm -f /etc/nginx/sites-enabled/default \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log \
 && nginx -v \
CF
    echo "$CLEANUP"
    cat <<'CF'
LABEL org.local.standin="debian bookworm nginx-light 1.22 (not the official image)"
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
CF
}

build_standin() {
    local name=$1 kind=$2
    rm -rf "$WORK/ctx"
    prepare_host_files
    case "$kind" in
        python)   python_containerfile >"$WORK/ctx/Containerfile" ;;
        postgres) postgres_containerfile >"$WORK/ctx/Containerfile"
                  postgres_entrypoint >"$WORK/ctx/docker-entrypoint.sh" ;;
        nginx)    nginx_containerfile >"$WORK/ctx/Containerfile" ;;
    esac
    step_begin "podman build stand-in $name"
    podman build --pull=never --network=host -t "$name" -f "$WORK/ctx/Containerfile" "$WORK/ctx" \
        >"$WORK/build-$kind.log" 2>&1 || { tail -n 40 "$WORK/build-$kind.log" >&2; exit 1; }
    step_end
}

# ---------------------------------------------------------------------------
ensure_image() {
    local name=$1 kind=$2
    if podman image exists "$name"; then
        if [ "$REBUILD" = 1 ] && [ -n "$(podman image inspect --format '{{index .Labels "org.local.standin"}}' "$name" 2>/dev/null)" ]; then
            log "$name is a stand-in: rebuilding (--rebuild)"
            local old_id
            old_id=$(podman image inspect --format '{{.Id}}' "$name")
            ensure_base
            build_standin "$name" "$kind"
            # drop the replaced stand-in if nothing uses it any more
            if [ "$(podman image inspect --format '{{.Id}}' "$name")" != "$old_id" ]; then
                podman rmi "$old_id" >/dev/null 2>&1 || true
            fi
            return
        fi
        log "$name present, skipping"
        return
    fi
    step_begin "trying: podman pull $name (timeout ${PULL_TIMEOUT}s)"
    if timeout "$PULL_TIMEOUT" podman pull -q "$name" >"$WORK/pull.log" 2>&1; then
        step_end; log "pulled the real $name"
        return
    fi
    log "  pull failed: $(tail -n 1 "$WORK/pull.log")"
    ensure_base
    build_standin "$name" "$kind"
}

ensure_image "$PY_IMAGE" python
ensure_image "$PG_IMAGE" postgres
ensure_image "$NGINX_IMAGE" nginx
log "all done in $((SECONDS - T_START))s"
podman images --filter reference=docker.io/library/python --filter reference=docker.io/library/postgres \
    --filter reference=docker.io/library/nginx >&2
