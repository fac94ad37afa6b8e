#!/usr/bin/env bash
# Sanitizer runs: builds davault with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan and runs the whole ctest suite there; then builds with ThreadSanitizer into
# build-tsan and runs the tests that involve threads or concurrent processes.
#
#   tools/sanitize.sh            both
#   tools/sanitize.sh asan       only ASan + UBSan
#   tools/sanitize.sh tsan       only TSan
#
# Threads in davault: `pull` runs its downloads on a small pool (--parallel, default 4) next to
# the ingesting main thread, and shares the auth provider (OAuth 2.0 token cache), the log
# mutex and the progress line between them; libcurl may add its resolver thread. The fake
# server is threaded too (cpp-httplib's worker pool, the fault plan, the nonce cache, the token
# store), and so are FaultEnv's shared counters and the benchmark's load generator. TSan runs
# the unit tests that exercise those, every pull integration test, and the multi-process tests
# (concurrency, kill matrix), all with TSan builds of davault and the fake server.
# Environment: DAVAULT_SANITIZE_JOBS (ctest -j, default 2), DAVAULT_TSAN_TESTS (ctest -R regex).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHAT="${1:-all}"
JOBS="${DAVAULT_SANITIZE_JOBS:-2}"

# Every finding fails the test that hit it. detect_leaks stays on for ASan.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
# Tests that check time or memory budgets scale or skip them under a sanitizer.
export DAVAULT_SANITIZED=1

run_asan() {
  local t0=$SECONDS
  DAVAULT_BUILD_DIR="$ROOT/build-asan" DAVAULT_BUILD_TYPE=RelWithDebInfo \
    DAVAULT_CMAKE_ARGS="-DDAVAULT_SANITIZE=address,undefined" "$ROOT/tools/setup.sh"
  echo "sanitize: asan build took $((SECONDS - t0)) s" >&2
  t0=$SECONDS
  (cd "$ROOT/build-asan" && ctest --output-on-failure -j"$JOBS" --timeout 1800)
  echo "sanitize: asan+ubsan suite took $((SECONDS - t0)) s" >&2
}

run_tsan() {
  local t0=$SECONDS
  # Only what the threaded tests below run (the other test executables are not built, so
  # their tests are not listed).
  DAVAULT_BUILD_DIR="$ROOT/build-tsan" DAVAULT_BUILD_TYPE=RelWithDebInfo \
    DAVAULT_CMAKE_ARGS="-DDAVAULT_SANITIZE=thread" \
    DAVAULT_BUILD_TARGETS="davault davault-fakeserver davault-gen base_test client_test compliance_fault_test compliance_hostile_listing_test" \
    "$ROOT/tools/setup.sh"
  echo "sanitize: tsan build took $((SECONDS - t0)) s" >&2
  t0=$SECONDS
  local tests="${DAVAULT_TSAN_TESTS:-^(Env|FaultEnv|FakeServerTest|DataAccessTest|DataAccess|ClientRetryTest|RetryPolicyTest|RetryAfterTest|NonceCache|OAuth1|VerifyOAuth1Test|OAuth1Provider|OAuth2|ReprDigest|HostileListing|HostilePull)\.|^integration\.(samples_pull|pull_faults|pull_parallel|pull_oauth2|pull_progress|pull_sha256|pull_days_left|concurrency|kill_matrix)\$}"
  (cd "$ROOT/build-tsan" && ctest --output-on-failure -j"$JOBS" --timeout 1800 -R "$tests")
  echo "sanitize: tsan tests took $((SECONDS - t0)) s" >&2
}

case "$WHAT" in
  all) run_asan; run_tsan ;;
  asan) run_asan ;;
  tsan) run_tsan ;;
  *) echo "usage: tools/sanitize.sh [all|asan|tsan]" >&2; exit 2 ;;
esac
