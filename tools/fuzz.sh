#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (AddressSanitizer + UBSan, coverage
# instrumentation on all of davault's code) into build-fuzz and runs each one for a bounded
# time, starting from its checked-in corpus.
#
#   tools/fuzz.sh [TARGET...]     default: every target
#   FUZZ_SECONDS=60               time per target
#
# New inputs go to build-fuzz/corpus/<target> (the checked-in corpus is never modified). A
# crash, leak, timeout or sanitizer finding stops that target, leaves the input in
# build-fuzz/artifacts/<target>/ and makes the script exit 1: add the input to
# tests/fuzz/corpus/<target>/ (ctest then replays it forever) together with the fix and a
# named regression test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${DAVAULT_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
SECONDS_EACH="${FUZZ_SECONDS:-60}"
ALL=(record_reader extractor identifier_policy retention_policy segment_scan oauth_header)
TARGETS=("$@")
[ "${#TARGETS[@]}" -eq 0 ] && TARGETS=("${ALL[@]}")

# clang and its runtime libraries (libFuzzer, sanitizers) come from Debian.
clang_pkgs=()
command -v clang++ >/dev/null || clang_pkgs+=(clang)
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
  clang_pkgs+=(libclang-rt-dev)
if [ "${#clang_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "fuzz: missing ${clang_pkgs[*]}; run as root or: sudo apt-get install ${clang_pkgs[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${clang_pkgs[@]}"
fi
# The other build dependencies are tools/setup.sh's (run tools/check.sh or setup.sh first).

t0=$SECONDS
# -fsanitize=fuzzer-no-link instruments every library for coverage; the targets themselves
# link libFuzzer (tests/fuzz/CMakeLists.txt). -Werror stays off: clang warns about things
# GCC does not, and a fuzzing run should not fail for a warning.
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DDAVAULT_FUZZ=ON -DDAVAULT_DEVELOPER=OFF \
  -DDAVAULT_SANITIZE=address,undefined \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined" >/dev/null
cmake --build "$BUILD" -j2 --target "${TARGETS[@]/#/fuzz_}"
echo "fuzz: build took $((SECONDS - t0)) s" >&2

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
failed=()
for t in "${TARGETS[@]}"; do
  work="$BUILD/corpus/$t"
  art="$BUILD/artifacts/$t"
  rm -rf "$art"  # findings of an earlier run are not this run's
  mkdir -p "$work" "$art"
  echo "fuzz: $t for ${SECONDS_EACH}s" >&2
  set +e
  "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -max_len=262144 -print_final_stats=1 \
    -artifact_prefix="$art/" "$work" "$ROOT/tests/fuzz/corpus/$t" >"$BUILD/fuzz-$t.log" 2>&1
  rc=$?
  set -e
  runs="$(grep -ho 'stat::number_of_executed_units: *[0-9]*' "$BUILD/fuzz-$t.log" | awk '{s+=$2} END {print s+0}')"
  if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$art")" ]; then
    echo "fuzz: $t FAILED (exit $rc, $runs runs); see $BUILD/fuzz-$t.log and $art/" >&2
    tail -n 40 "$BUILD/fuzz-$t.log" >&2
    failed+=("$t")
  else
    echo "fuzz: $t ok: $runs runs, corpus $(ls "$work" | wc -l) files" >&2
  fi
done
echo "fuzz: total $((SECONDS - t0)) s" >&2
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
