# shellcheck shell=bash
# One wrk run with the CPU time of the process under test, as one JSON object; used by
# perf/http-bench and perf/peer-bench. Needs lib/common.sh (TMP, die) and these globals:
# DURATION (seconds), CONNECTIONS, WRK_THREADS, LOAD_CPUS (taskset list for wrk).
# wrk_run NAME URL LUA [PROXY_PID]: one JSON object (rps, p50_ms, p99_ms, requests, errors,
# cpu_us_per_request, cpu_util and cpu_s of the proxy process, bytes read, wall seconds, cpu_busy of
# every CPU) on stdout; wrk's text kept in $TMP/wrk-NAME.txt.
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# "cpuN busy total" per CPU from /proc/stat, one line each.
cpu_times() { awk '/^cpu[0-9]+ / { print $1, $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
wrk_run() {
  local url=$2 lua=$3 pid=${4:-} out=$TMP/wrk-$1.txt t0="" t1="" s0 s1
  [ -n "$pid" ] && t0=$(cpu_ticks "$pid")
  cpu_times >"$TMP/cpu0.txt"
  s0=$(date +%s.%N)
  timeout $((DURATION + 30)) taskset -c "$LOAD_CPUS" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" \
    -d"${DURATION}s" --timeout 5s --latency -s "$lua" "$url" >"$out" 2>&1 ||
    { cat "$out" >&2; die "wrk failed against $url"; }
  s1=$(date +%s.%N)
  cpu_times >"$TMP/cpu1.txt"
  [ -n "$pid" ] && t1=$(cpu_ticks "$pid")
  local busy
  busy=$(awk 'NR == FNR { b[$1] = $2; t[$1] = $3; next }
    { printf "%s\"%s\": %.3f", (FNR > 1 ? ", " : ""), substr($1, 4), ($2 - b[$1]) / ($3 - t[$1]) }' \
    "$TMP/cpu0.txt" "$TMP/cpu1.txt")
  awk -v busy="{$busy}" -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" -v s0="$s0" -v s1="$s1" '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    function bytes(v,   n) {
      n = v + 0
      if (v ~ /KB$/) return n * 1024
      if (v ~ /MB$/) return n * 1048576
      if (v ~ /GB$/) return n * 1073741824
      if (v ~ /TB$/) return n * 1099511627776
      return n
    }
    /requests in/ { requests = $1; read = bytes($5) }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    /Socket errors:/ { gsub(/,/, ""); socket = $4 + $6 + $8 + $10 }
    END {
      cpu = "null"; util = "null"; cpu_s = "null"
      if (t0 != "" && requests > 0) {
        secs = (t1 - t0) / hz
        cpu_s = sprintf("%.3f", secs)
        cpu = sprintf("%.3f", secs * 1e6 / requests)
        util = sprintf("%.3f", secs / (s1 - s0))
      }
      printf "{\"rps\": %s, \"p50_ms\": %s, \"p99_ms\": %s, \"requests\": %d, \"non_2xx\": %d, \"socket_errors\": %d, \"cpu_us_per_request\": %s, \"cpu_util\": %s, \"cpu_s\": %s, \"bytes\": %.0f, \"seconds\": %.3f, \"cpu_busy\": %s}\n",
        rps + 0, p50 + 0, p99 + 0, requests, non2xx, socket, cpu, util, cpu_s, read, s1 - s0, busy
    }' "$out"
}

# A wrk Lua script that sends these headers with every request.
write_lua() {  # FILE HEADER=VALUE...
  local file=$1 kv
  shift
  : >"$file"
  for kv in "$@"; do
    [ -n "${kv#*=}" ] || continue  # no value (NGINX backends set no X-Session): no header
    printf 'wrk.headers["%s"] = "%s"\n' "${kv%%=*}" "${kv#*=}" >>"$file"
  done
}
