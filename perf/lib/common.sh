# shellcheck shell=bash
# shellcheck disable=SC2034  # TETHER, POOL, PROBE, ... are for the scripts that source this
# Shared by perf/affinity-compare and perf/http-bench: packages, binaries, the temp dir, processes
# started and stopped by PID, bounded waits, machine facts. Source it; it sets no options itself.
# Every process a script starts goes through start_bg, so the EXIT trap stops it by its PID.

PERF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$PERF_DIR/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO_DIR/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$REPO_DIR/$BUILD_DIR ;; esac

PIDS=()        # every background process started by start_bg and not yet stopped
TMP=""         # the run's temp dir (mktemp -d); logs, configs, pid files
KEEP_TMP=${KEEP_TMP:-0}

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# Debian packages the comparison needs; installed with apt-get when missing (as quickstart.sh).
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -q >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# The Tether binaries in BUILD_DIR, built (only these targets) when one is missing.
ensure_binaries() {
  local t need_build=0
  for t in lb/tether tools/tether-pool tools/tether-probe; do
    [ -x "$BUILD_DIR/$t" ] || need_build=1
  done
  if [ "$need_build" -eq 1 ]; then
    log "building tether, tether-pool, tether-probe in $BUILD_DIR"
    [ -f "$BUILD_DIR/build.ninja" ] ||
      cmake -S "$REPO_DIR" -B "$BUILD_DIR" -G Ninja -DTETHER_WERROR=ON >/dev/null
    ninja -C "$BUILD_DIR" tether tether-pool tether-probe >/dev/null
  fi
  TETHER=$BUILD_DIR/lb/tether
  POOL=$BUILD_DIR/tools/tether-pool
  PROBE=$BUILD_DIR/tools/tether-probe
  TETHERCTL=""
  [ -x "$BUILD_DIR/tools/tetherctl" ] && TETHERCTL=$BUILD_DIR/tools/tetherctl
  return 0
}

make_tmp() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/tether-perf.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Stop one process by its PID: SIGTERM (or $2), up to 10 s, then SIGKILL.
stop_pid() {
  local pid=$1 sig=${2:-TERM} _
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not stop in 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

cleanup() {
  local status=$? p
  trap - EXIT
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  if [ -n "$TMP" ] && [ -d "$TMP" ]; then
    if [ "$status" -ne 0 ] || [ "$KEEP_TMP" = 1 ]; then
      log "logs and configs kept in $TMP"
    else
      rm -rf "$TMP"
    fi
  fi
  exit "$status"
}

# start_bg NAME CMD...: run CMD in the background, stdout+stderr to $TMP/NAME.log; LAST_PID.
start_bg() {
  local name=$1
  shift
  "$@" >"$TMP/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# True when something accepts TCP connections on HOST PORT (connects once).
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# True when a socket listens on exactly HOST:PORT. Asks the kernel (ss) instead of connecting, so
# readiness checks add no connection (and no affinity decision) of their own.
port_listening() { ss -Hltn 2>/dev/null | awk -v a="$1:$2" '$4 == a { found = 1 } END { exit !found }'; }

require_free_ports() {  # HOST:PORT ...
  local hp
  for hp in "$@"; do
    port_open "${hp%:*}" "${hp##*:}" && die "$hp is already in use; stop what listens there"
  done
  return 0
}

# wait_port HOST PORT PID NAME: bounded (10 s) wait until the port listens; fails when PID died.
wait_port() {
  local host=$1 port=$2 pid=$3 name=$4
  for _ in $(seq 1 100); do
    port_listening "$host" "$port" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -20 "$TMP/$name.log" >&2 || true
      die "$name exited before listening on $host:$port"
    fi
    sleep 0.1
  done
  tail -20 "$TMP/$name.log" >&2 || true
  die "$name did not listen on $host:$port within 10 s"
}

# wait_port_closed HOST PORT: bounded (10 s) wait until nothing listens there.
wait_port_closed() {
  local _
  for _ in $(seq 1 100); do
    port_listening "$1" "$2" || return 0
    sleep 0.1
  done
  die "$1:$2 still accepts connections after 10 s"
}

machine_json() {
  local model
  model=$(lscpu 2>/dev/null | awk -F: '/^Model name/ { sub(/^[ \t]+/, "", $2); print $2; exit }')
  jq -n --arg model "${model:-unknown}" --argjson nproc "$(nproc)" \
    --arg kernel "$(uname -r)" \
    --argjson mem_gib "$(awk '/MemTotal/ { printf "%d", $2 / 1048576 }' /proc/meminfo)" \
    '{nproc: $nproc, cpu_model: $model, mem_gib: $mem_gib, kernel: $kernel}'
}

# The commit the binaries were built from: the git revision of BUILD_DIR's source tree (from
# its CMakeCache), "+uncommitted" when that tree has changes outside perf/.
tether_revision() {
  local src rev
  src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null)
  [ -n "$src" ] || src=$REPO_DIR
  rev=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [ -n "$(git -C "$src" status --porcelain --untracked-files=no -- . ':!perf' 2>/dev/null)" ]; then
    rev="$rev+uncommitted"
  fi
  echo "$rev"
}

haproxy_version() { haproxy -v 2>/dev/null | awk 'NR == 1 { print $3 }'; }
nginx_version() { nginx -v 2>&1 | sed -n 's|.*nginx/\([^ ]*\).*|\1|p'; }

NGINX_STREAM_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so

# The binary's version ("0.1.0"), the commit and build type it was built from, and when (a build
# dir may lag behind its source tree).
tether_version_text() {
  local v
  v=$("$TETHER" --version 2>&1 | head -1)
  local type
  type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null)
  echo "${v#tether } (commit $(tether_revision), ${type:-RelWithDebInfo} build, binary built $(date -u -r "$TETHER" +%Y-%m-%dT%H:%M:%SZ))"
}

load_average() { cut -d' ' -f1-3 /proc/loadavg; }

# wait_quiet SECONDS: wait (bounded) until the 1-minute load average is under half the CPUs, so
# other work on a shared machine does not skew the figures. Returns at once for 0.
wait_quiet() {
  local limit=$1 waited=0 threshold
  [ "$limit" -gt 0 ] || return 0
  threshold=$(awk -v n="$(nproc)" 'BEGIN { print n / 2 }')
  while awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v t="$threshold" 'BEGIN { exit !(l >= t) }'; do
    if [ "$waited" -ge "$limit" ]; then
      log "load average still $(load_average) after ${limit}s; running anyway"
      return 0
    fi
    [ "$waited" -eq 0 ] && log "waiting up to ${limit}s for load average $(load_average) to fall under $threshold"
    sleep 5
    waited=$((waited + 5))
  done
}

# "CPU 1" or "CPUs 0,2-3" for a taskset list.
cpus_text() { case "$1" in *[,-]*) echo "CPUs $1" ;; *) echo "CPU $1" ;; esac; }

# pin_cpus THREADS [NPROC]: the proxy under test gets CPUs 1..THREADS (at most all but one), the
# load side (wrk and the backends) every other CPU, so on a machine with CPUs to spare the load
# side does not bound the run. Sets PROXY_CPUS and LOAD_CPUS (taskset lists) and LOAD_CPU_COUNT.
# With one CPU everything shares CPU 0.
pin_cpus() {
  local threads=$1 n=${2:-$(nproc)} last
  if [ "$n" -lt 2 ]; then
    PROXY_CPUS=0 LOAD_CPUS=0 LOAD_CPU_COUNT=1
    return
  fi
  last=$((threads < n - 1 ? threads : n - 1))
  PROXY_CPUS=$([ "$last" -eq 1 ] && echo 1 || echo "1-$last")
  LOAD_CPUS=0
  if [ "$last" -eq $((n - 2)) ]; then
    LOAD_CPUS+=",$((n - 1))"
  elif [ "$last" -lt $((n - 2)) ]; then
    LOAD_CPUS+=",$((last + 1))-$((n - 1))"
  fi
  LOAD_CPU_COUNT=$((n - last))
}
