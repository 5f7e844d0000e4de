#!/bin/sh
# Runs a test binary in a private network namespace whose loopback carries 30 IPv6 /64s
# (fd00:0:0:K::1 and ::2 for K = 1..30), so tests can use many IPv6 client addresses without
# touching the host's network. Needs CAP_SYS_ADMIN (root, as CI runs).
exec unshare -n sh -e -c '
  ip link set lo up
  for k in $(seq 1 30); do
    ip -6 addr add fd00:0:0:$k::1/64 dev lo nodad
    ip -6 addr add fd00:0:0:$k::2/64 dev lo nodad
  done
  exec "$0" "$@"' "$@"
