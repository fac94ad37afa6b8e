#!/usr/bin/env bash
# The test command: sets the machine up (tools/setup.sh), builds, and runs the whole suite,
# then the sanitizer jobs (tools/sanitize.sh: ASan+UBSan over the whole suite, TSan over the
# threaded and multi-process tests) and a bounded run of every fuzz target (tools/fuzz.sh).
# DAVAULT_CHECK_ONLY=main skips the sanitizer and fuzz stages (a quick local run);
# DAVAULT_FUZZ_SECONDS sets the time per fuzz target (default 60).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${DAVAULT_BUILD_DIR:-$ROOT/build}"
# The suite also needs a browser to render the HTML report (Debian's chromium); the fuzz stage
# needs clang and its runtime libraries (libFuzzer, sanitizers).
DAVAULT_EXTRA_PACKAGES="chromium clang libclang-rt-dev ${DAVAULT_EXTRA_PACKAGES:-}" \
  "$ROOT/tools/setup.sh" || exit 1

failed=()
stage() {  # NAME COMMAND...: runs one stage, timing it, and remembers a failure
  local name="$1" t0=$SECONDS
  shift
  echo "check: stage $name" >&2
  if "$@"; then
    echo "check: stage $name passed in $((SECONDS - t0)) s" >&2
  else
    echo "check: stage $name FAILED after $((SECONDS - t0)) s" >&2
    failed+=("$name")
  fi
}

stage tests bash -c "cd '$BUILD' && ctest --output-on-failure -j2 --timeout 900"
if [ "${DAVAULT_CHECK_ONLY:-all}" != main ]; then
  stage asan+ubsan "$ROOT/tools/sanitize.sh" asan
  stage tsan "$ROOT/tools/sanitize.sh" tsan
  stage fuzz env FUZZ_SECONDS="${DAVAULT_FUZZ_SECONDS:-60}" "$ROOT/tools/fuzz.sh"
fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "check: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "check: all stages passed" >&2
