#!/bin/sh
# `cmake --install` into a scratch prefix lays out what README "Installing" promises, the
# installed example config passes --check, and systemd accepts the unit (when systemd-analyze
# is installed).
#   install_test.sh BUILD_DIR
set -eu
build=$1
prefix=$(mktemp -d "${TMPDIR:-/tmp}/tether-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null || fail "cmake --install failed (build every target first)"

for binary in tether tetherctl tether-pool tether-probe; do
  [ -x "$prefix/bin/$binary" ] || fail "bin/$binary missing or not executable"
done
"$prefix/bin/tether" --version | grep -q '^tether ' || fail "installed tether does not run"

config=$prefix/etc/tether/tether.yaml
[ -f "$config" ] || fail "etc/tether/tether.yaml missing"
"$prefix/bin/tether" --check -c "$config" >/dev/null || fail "the installed example config is refused"

unit=$prefix/lib/systemd/system/tether.service
[ -f "$unit" ] || fail "lib/systemd/system/tether.service missing"
grep -qx "ExecStart=$prefix/bin/tether -c $config" "$unit" || fail "ExecStart does not point into the prefix"
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" || fail "ExecReload does not send SIGHUP"
grep -qx 'LimitNOFILE=1048576' "$unit" || fail "LimitNOFILE not raised"
if grep -q '/usr/local/' "$unit"; then fail "the unit still names /usr/local/"; fi

if command -v systemd-analyze >/dev/null 2>&1; then
  # verify loads the unit offline; it also checks that ExecStart's binary exists.
  out=$(systemd-analyze verify --man=no "$unit" 2>&1) || { echo "$out" >&2; fail "systemd-analyze verify"; }
  [ -z "$out" ] || { echo "$out" >&2; fail "systemd-analyze verify warned"; }
  echo "systemd-analyze verify: ok"
else
  echo "systemd-analyze not installed: unit syntax not verified"
fi
echo "install layout under $prefix: ok"
