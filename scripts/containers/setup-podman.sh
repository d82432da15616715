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
SERVICE_PID_FILE=/run/podman/podman-service.pid
TICKER_PID_FILE=/run/podman/healthcheck-ticker.pid
TICKER_LOG=${PODMAN_TICKER_LOG:-/tmp/podman-healthcheck-ticker.log}

log() { printf '[setup-podman] %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    log "must run as root"; exit 1
fi

# --- 1. Debian packages -------------------------------------------------------
# --no-install-recommends: docker-compose would otherwise pull in docker.io and
# containerd (a second engine that cannot run here), podman would pull buildah,
# criu, needrestart, ... What rootful podman really needs here:
#   runc                    the OCI runtime (crun refuses the hybrid cgroups)
#   conmon                  container monitor
#   catatonit               the init process for `init: true` / `--init`
#   netavark, aardvark-dns  bridge networks, DNS by service name
#   iptables                NAT / published ports for netavark
#   debootstrap             to build base-image stand-ins
#   docker-compose          the v1 Python tool (1.29.x)
# (uidmap, slirp4netns, fuse-overlayfs are only for rootless podman: not needed.)
PKGS=(podman runc conmon catatonit golang-github-containers-common
      netavark aardvark-dns iptables debootstrap docker-compose
      curl ca-certificates)

missing=()
for p in "${PKGS[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_log=/tmp/setup-podman-apt.log
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2; log "apt-get failed (full log: $apt_log)"; exit 1
    fi
else
    log "packages already installed"
fi

# --- 2. /etc/containers/containers.conf ---------------------------------------
# crun refuses this machine's hybrid cgroup layout -> runc + cgroupfs (there is
# no systemd as PID 1). The default ulimits exceed the hard limits here.
# No journald either -> file events logger and k8s-file container logs.
# netavark explicitly (the podman package also ships a CNI config it warns about).
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
    "network": {
        "network_backend": '"netavark"',
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
        for i in range(hdr + 1, end):
            if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i]):
                # the old value may be a multi-line array: drop its continuation
                j, depth = i, 0
                while True:
                    depth += lines[j].split("#")[0].count("[") - lines[j].split("#")[0].count("]")
                    if depth <= 0 or j + 1 >= end:
                        break
                    j += 1
                if lines[i:j + 1] != [newline]:
                    lines[i:j + 1] = [newline]
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

# A daemon started from a checkout that was deleted since (a CI clone, a worktree) keeps a
# deleted working directory, and every container it starts then fails ("conmon: Failed
# to get working directory", "write child: broken pipe"). Replace such a daemon.
cwd_deleted() {
    local pid=$1
    [ -n "$pid" ] && [ -e "/proc/$pid/cwd" ] || return 1
    case "$(readlink "/proc/$pid/cwd")" in *" (deleted)") return 0 ;; esac
    return 1
}
# The daemons below outlive this script: they must not keep its open files beyond
# stdin/stdout/stderr (a caller's `flock` lock, a CI log pipe), or the caller's lock is
# never released and its log never ends. Run in the daemon's subshell before exec.
close_inherited_fds() {
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
}
service_pid=$(pgrep -f "podman system service --time=0 $SOCK_URL" | head -n 1 || true)
if sock_ok && cwd_deleted "$service_pid"; then
    log "podman API (pid $service_pid) runs in a deleted directory; restarting it"
    kill "$service_pid" 2>/dev/null || true
    for _ in $(seq 1 20); do
        if ! kill -0 "$service_pid" 2>/dev/null; then break; fi
        sleep 0.5
    done
fi

if sock_ok; then
    log "podman API already answering on $SOCK_URL"
else
    mkdir -p "$(dirname "$SOCK_PATH")"
    rm -f "$SOCK_PATH"
    log "starting podman system service (log: $LOG_FILE)"
    # setsid + nohup: the service outlives this shell and its job control.
    # DISABLE_HC_SYSTEMD: there is no systemd to schedule healthchecks (the
    # ticker below does it); this only silences podman's errors about that.
    # From /: the daemon outlives this checkout, so it must not keep it as its cwd.
    (cd / && close_inherited_fds && DISABLE_HC_SYSTEMD=true exec setsid nohup podman system service --time=0 "$SOCK_URL" \
        </dev/null >>"$LOG_FILE" 2>&1) &
    echo $! >"$SERVICE_PID_FILE"
    for _ in $(seq 1 60); do
        if sock_ok; then break; fi
        sleep 0.5
    done
    if ! sock_ok; then
        log "podman API did not answer on $SOCK_URL; see $LOG_FILE:"
        tail -n 30 "$LOG_FILE" >&2 || true
        exit 1
    fi
    log "podman API answering on $SOCK_URL (pid $(cat "$SERVICE_PID_FILE"))"
fi

# --- 4. Healthcheck ticker ----------------------------------------------------
# Podman schedules HEALTHCHECKs with systemd timers; without systemd (PID 1
# here is not systemd) they never run, containers stay "starting" forever and
# `depends_on: condition: service_healthy` never proceeds. This small daemon
# plays the timer: every `interval` it asks the podman API to run the check of
# each running container that has one (podman itself keeps the status,
# retries and failing streak, exactly as `podman healthcheck run` does).
TICKER_PY=$(cat <<'PY'
import http.client, json, socket, sys, threading, time, urllib.parse
SOCK = sys.argv[2]

class UnixConn(http.client.HTTPConnection):
    def __init__(self, timeout):
        super().__init__("d", timeout=timeout)
    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(SOCK)
        self.sock = s

def get(path, timeout=15):
    c = UnixConn(timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()

def log(*a):
    print(time.strftime("%Y-%m-%dT%H:%M:%S"), *a, flush=True)

cfg, due, busy = {}, {}, set()
lock = threading.Lock()

def run_check(cid, timeout):
    try:
        st, body = get(f"/v4.0.0/libpod/containers/{cid}/healthcheck", timeout)
        if st != 200:
            log("healthcheck", cid[:12], st, body[:200])
    except Exception as e:
        log("healthcheck", cid[:12], "error:", e)
    finally:
        with lock:
            busy.discard(cid)

log("healthcheck ticker started on", SOCK)
flt = urllib.parse.quote(json.dumps({"status": ["running"]}))
while True:
    try:
        st, body = get(f"/v4.0.0/libpod/containers/json?filters={flt}")
        ids = [c["Id"] for c in json.loads(body)] if st == 200 else []
    except Exception:
        time.sleep(2)
        continue
    now = time.monotonic()
    for gone in set(cfg) - set(ids):
        cfg.pop(gone, None); due.pop(gone, None)
    for cid in ids:
        if cid not in cfg:
            try:
                st, body = get(f"/v4.0.0/libpod/containers/{cid}/json")
                hc = (json.loads(body).get("Config") or {}).get("Healthcheck") or {}
            except Exception:
                continue
            test = hc.get("Test") or []
            if test and test[0] != "NONE":
                interval = (hc.get("Interval") or 30_000_000_000) / 1e9
                timeout = (hc.get("Timeout") or 30_000_000_000) / 1e9
                cfg[cid] = (interval, timeout)
                due[cid] = now + interval   # like Docker: first probe after one interval
                log("tracking", cid[:12], f"interval={interval}s")
            else:
                cfg[cid] = None
        c = cfg[cid]
        if c and now >= due[cid]:
            with lock:
                if cid in busy:
                    continue
                busy.add(cid)
            due[cid] = now + c[0]
            threading.Thread(target=run_check, args=(cid, c[1] + 15), daemon=True).start()
    time.sleep(0.5)
PY
)

ticker_running() {
    local pid
    [ -f "$TICKER_PID_FILE" ] || return 1
    pid=$(cat "$TICKER_PID_FILE")
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] \
        && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'podman-healthcheck-ticker'
}

if ticker_running; then
    log "healthcheck ticker already running (pid $(cat "$TICKER_PID_FILE"))"
else
    (cd / && close_inherited_fds && exec setsid nohup /usr/bin/python3 -u -c "$TICKER_PY" podman-healthcheck-ticker "$SOCK_PATH" \
        </dev/null >>"$TICKER_LOG" 2>&1) &
    echo $! >"$TICKER_PID_FILE"
    log "healthcheck ticker started (pid $!, log: $TICKER_LOG)"
fi

cat <<MSG
[setup-podman] ready. For docker-compose / docker CLI in this shell:
    export DOCKER_HOST=${SOCK_URL}
MSG
