#!/usr/bin/env bash
# Prepare THIS kind of machine (Debian bookworm, root, no Docker engine, no
# container registry) so that `docker-compose` (v1) can run our compose files
# through podman's Docker-compatible API socket.
#
# Idempotent: safe to run repeatedly; when everything is in place it only
# checks and exits within a second or two.
#
# On a normal Docker host do NOT run this: use Docker as usual.
set -euo pipefail

SOCK_PATH=/run/podman/podman.sock
SOCK_URL="unix://${SOCK_PATH}"
LOG_FILE=${PODMAN_SERVICE_LOG:-/tmp/podman-service.log}
CONF=/etc/containers/containers.conf

log() { printf '[setup-podman] %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    log "must run as root"; exit 1
fi

# --- 1. Debian packages -------------------------------------------------------
# --no-install-recommends: docker-compose would otherwise pull in docker.io and
# containerd (a second engine we cannot run here), podman would pull buildah,
# criu, needrestart ... The list below is what podman really needs here:
#   runc                    the OCI runtime (crun refuses the hybrid cgroups)
#   conmon, catatonit       container monitor, `--init` process
#   netavark, aardvark-dns  bridge networks + DNS by service name
#   iptables, nftables      NAT for netavark
#   uidmap, slirp4netns, fuse-overlayfs  (rootless use, harmless for root)
#   debootstrap             to build base-image stand-ins
#   docker-compose          the v1 Python tool (1.29.x)
PKGS=(podman runc conmon catatonit golang-github-containers-common
      netavark aardvark-dns iptables nftables uidmap slirp4netns fuse-overlayfs
      debootstrap docker-compose curl ca-certificates)

missing=()
for p in "${PKGS[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    log "packages already installed"
fi

# --- 2. /etc/containers/containers.conf ---------------------------------------
# crun refuses this machine's hybrid cgroup layout -> runc + cgroupfs (there is
# no systemd as PID 1). The default ulimits exceed the hard limits here.
# No journald either -> file events logger and k8s-file container logs.
mkdir -p /etc/containers
/usr/bin/python3 - "$CONF" <<'PY'
import os, re, sys

path = sys.argv[1]
want = {
    "containers": {
        "default_ulimits": '["nofile=1024:1024", "nproc=1000:1000"]',
        "log_driver": '"k8s-file"',
    },
    "engine": {
        "runtime": '"runc"',
        "cgroup_manager": '"cgroupfs"',
        "events_logger": '"file"',
    },
}
lines = open(path).read().splitlines() if os.path.exists(path) else []
orig = list(lines)

def section_bounds(name):
    """(header_index, end_index_exclusive) of [name], or None."""
    hdr = None
    for i, l in enumerate(lines):
        m = re.match(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$", l)
        if m:
            if hdr is not None:
                return hdr, i
            if m.group(1).strip() == name:
                hdr = i
    return (hdr, len(lines)) if hdr is not None else None

for sect, kv in want.items():
    for key, val in kv.items():
        b = section_bounds(sect)
        newline = f"{key} = {val}"
        if b is None:
            if lines and lines[-1].strip():
                lines.append("")
            lines += [f"[{sect}]", newline]
            continue
        hdr, end = b
        # a key may span several lines (arrays); only replace simple one-liners
        for i in range(hdr + 1, end):
            if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i]):
                if lines[i].strip() != newline:
                    lines[i] = newline
                break
        else:
            lines.insert(hdr + 1, newline)

if lines != orig:
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)
    print(f"[setup-podman] wrote {path}", file=sys.stderr)
else:
    print(f"[setup-podman] {path} already up to date", file=sys.stderr)
PY

# --- 3. Docker-compatible API socket ------------------------------------------
sock_ok() {
    curl -fsS --max-time 3 --unix-socket "$SOCK_PATH" http://d/_ping >/dev/null 2>&1
}

if sock_ok; then
    log "podman API already answering on $SOCK_URL"
else
    mkdir -p "$(dirname "$SOCK_PATH")"
    rm -f "$SOCK_PATH"
    log "starting podman system service (log: $LOG_FILE)"
    # setsid + nohup: the service outlives this shell and its job control.
    setsid nohup podman system service --time=0 "$SOCK_URL" \
        </dev/null >>"$LOG_FILE" 2>&1 &
    echo $! >/run/podman/podman-service.pid
    for _ in $(seq 1 60); do
        if sock_ok; then break; fi
        sleep 0.5
    done
    if ! sock_ok; then
        log "podman API did not answer on $SOCK_URL; see $LOG_FILE:"
        tail -n 30 "$LOG_FILE" >&2 || true
        exit 1
    fi
    log "podman API answering on $SOCK_URL (pid $(cat /run/podman/podman-service.pid))"
fi

cat <<MSG
[setup-podman] ready. For docker-compose / docker CLI in this shell:
    export DOCKER_HOST=${SOCK_URL}
MSG
