#!/usr/bin/env bash
# Quick start on a fresh Debian 12 machine (README "Quick start"):
#   ./quickstart.sh demo   install what is missing, build, run Tether in front of a simulated pool
#   ./quickstart.sh test   install what is missing, build, run the whole test suite
# Environment: BUILD_DIR (default build), CMAKE_ARGS (extra cmake arguments).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  cmake ninja-build g++ pkg-config
  libasio-dev libxxhash-dev libspdlog-dev libyaml-cpp-dev libcli11-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 util-linux curl clang-format openssl
)
BUILD_DIR=${BUILD_DIR:-build}

setup() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  # shellcheck disable=SC2086
  cmake -S . -B "$BUILD_DIR" -G Ninja -DTETHER_WERROR=ON ${CMAKE_ARGS:-}
  cmake --build "$BUILD_DIR"
}

case "${1:-}" in
  demo)
    setup
    build
    shift
    exec examples/demo.sh "$BUILD_DIR" "$@"
    ;;
  test)
    setup
    build
    ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 600 -j "$(nproc)"
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
