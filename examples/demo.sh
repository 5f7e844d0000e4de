#!/usr/bin/env bash
# The demo: tether-pool simulates a 3-server Front End pool, Tether runs examples/tether.yaml in
# front of it, and clients from different source addresses show that each one sticks to one
# server on every VIP. Usage: examples/demo.sh [BUILD_DIR] [--once]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
once=${2:-}
config=examples/tether.yaml
logs=$build/demo
mkdir -p "$logs"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_for() {  # url: bounded wait until it answers
  for _ in $(seq 1 100); do curl -s -o /dev/null --max-time 1 "$1" && return 0; sleep 0.1; done
  echo "demo: $1 did not answer; see $logs/*.log" >&2
  exit 1
}

"$build/tools/tether-pool" --config "$config" >"$logs/pool.log" 2>&1 &
pids+=($!)
"$build/lb/tether" -c "$config" >"$logs/access.log" 2>"$logs/tether.log" &
pids+=($!)
wait_for http://127.0.10.1:10080/
wait_for http://127.0.0.100:8000/

server_for() {  # source vip: the server that answered
  curl -s -D - -o /dev/null --max-time 2 --interface "$1" "http://$2/" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "x-tether-server" { print $2 }'
}

echo
echo "Tether on $config in front of tether-pool (fe01..fe03). Three requests per client per VIP:"
printf '%-14s %-24s %-24s %-24s\n' client "internal 80 (8000)" "internal 443 (8443)" "external 443 (8443)"
unstuck=0
for i in 1 2 3 4 5 6 7 8; do
  client=127.0.50.$i
  row=()
  for vip in 127.0.0.100:8000 127.0.0.100:8443 127.0.0.200:8443; do
    seen="$(server_for $client $vip) $(server_for $client $vip) $(server_for $client $vip)"
    [ "$(tr ' ' '\n' <<<"$seen" | sort -u | wc -l)" -eq 1 ] || unstuck=$((unstuck + 1))
    row+=("$seen")
  done
  printf '%-14s %-24s %-24s %-24s\n' "$client" "${row[@]}"
done
echo
if [ "$unstuck" -ne 0 ]; then
  echo "demo: $unstuck client/VIP pairs reached more than one server" >&2
  exit 1
fi
echo "Every client stayed on one Front End. Access log: $logs/access.log"
[ "$once" = "--once" ] && exit 0

echo "Tether is running (VIPs 127.0.0.100:8000/8443, 127.0.0.200:8000/8443/4443). Try:"
echo "  curl -si --interface 127.0.0.77 http://127.0.0.100:8000/ | grep X-Tether-Server"
echo "Press Ctrl-C to stop."
wait
