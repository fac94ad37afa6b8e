#!/usr/bin/env bash
# The test command: sets the machine up (tools/setup.sh), builds, and runs the whole suite.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${DAVAULT_BUILD_DIR:-$ROOT/build}"
# The test suite also needs a browser to render the HTML report (Debian's chromium).
DAVAULT_EXTRA_PACKAGES="chromium ${DAVAULT_EXTRA_PACKAGES:-}" "$ROOT/tools/setup.sh"
cd "$BUILD"
ctest --output-on-failure -j2 --timeout 900
