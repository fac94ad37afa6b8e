#!/usr/bin/env bash
# Installs davault's build dependencies from Debian's packages (when missing, as root) and
# builds it with CMake into ./build. Sourced or run by tools/demo.sh and tools/check.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${DAVAULT_BUILD_DIR:-$ROOT/build}"

PACKAGES=(
  g++ cmake make pkg-config ca-certificates
  libsodium-dev libsqlite3-dev sqlite3 libcurl4-openssl-dev libssl-dev zlib1g-dev
  libsimdjson-dev nlohmann-json3-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libcpp-httplib-dev libphonenumber-dev libicu-dev libgtest-dev libgmock-dev libgpgme-dev gnupg
  jq curl time
)
# Callers add what only they need (tools/check.sh: a browser for the HTML report test, clang
# for the fuzz targets).
read -r -a extra <<< "${DAVAULT_EXTRA_PACKAGES:-}"
PACKAGES+=("${extra[@]}")

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${missing[*]}" >&2
    echo "setup: run this as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE="${DAVAULT_BUILD_TYPE:-RelWithDebInfo}" \
  ${DAVAULT_CMAKE_ARGS:-} >/dev/null
# DAVAULT_BUILD_TARGETS: build only these targets (the TSan job needs a few).
# shellcheck disable=SC2086
cmake --build "$BUILD" -j2 ${DAVAULT_BUILD_TARGETS:+--target $DAVAULT_BUILD_TARGETS}
