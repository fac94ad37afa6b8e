# Helpers for the integration tests: run the real davault binary against the real fake server.
# Sourced by each tests/integration/*.sh; ctest sets DAVAULT, FAKESERVER, GEN and SAMPLES.
set -euo pipefail

: "${DAVAULT:?}" "${FAKESERVER:?}" "${GEN:?}" "${SAMPLES:?}"
export DAVAULT_TEST_KDF=1

T="$(mktemp -d /tmp/davault-it.XXXXXX)"
export DAVAULT_ARCHIVE="$T/archive"
export DAVAULT_KEY_FILE="$T/key"
FAKE_PID=""
cleanup() {
  if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; fi
  if [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "kept $T" >&2; fi
}
trap cleanup EXIT

FAILS=0
CHECKS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { CHECKS=$((CHECKS + 1)); }

# eq WHAT EXPECTED ACTUAL
eq() {
  if [ "$2" == "$3" ]; then pass; else fail "$1: expected '$2', got '$3'"; fi
}
# contains WHAT NEEDLE HAYSTACK
contains() {
  if [[ "$3" == *"$2"* ]]; then pass; else fail "$1: '$2' not in: $3"; fi
}
not_contains() {
  if [[ "$3" != *"$2"* ]]; then pass; else fail "$1: '$2' unexpectedly in: $3"; fi
}

# dv ARGS...: runs davault; sets OUT (stdout), ERR (stderr), RC.
dv() {
  set +e
  OUT="$("$DAVAULT" "$@" 2>"$T/.err")"
  RC=$?
  set -e
  ERR="$(cat "$T/.err")"
}
# dvj ARGS...: runs davault --json and checks the exit code is 0.
dvj() {
  dv --json "$@"
  if [ "$RC" -ne 0 ]; then fail "davault $* exited $RC: $ERR"; fi
}
j() { printf '%s' "$OUT" | jq -r "$1"; }

# Hash of every file in a directory tree (to prove "nothing changed").
tree_hash() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1; }

# Greps every byte the archive owns (index, WAL, storage, anything else) for a string.
archive_holds() {
  grep -r -a -F -l -- "$1" "$DAVAULT_ARCHIVE" >/dev/null 2>&1
}

export LP_APP_KEY="it-app-key" LP_APP_SECRET="it-app-secret-s3cr3t"
export LP_ACCESS_TOKEN="it-access-token" LP_ACCESS_TOKEN_SECRET="it-token-secret-s3cr3t"

# start_fake DIR [extra args]: starts the fake server on an ephemeral port; sets BASE_URL.
start_fake() {
  local dir="$1"; shift
  rm -f "$T/port"
  "$FAKESERVER" --dir "$dir" --port 0 --port-file "$T/port" --request-log "$T/requests.log" "$@" \
    >"$T/fake.out" 2>"$T/fake.err" &
  FAKE_PID=$!
  for _ in $(seq 1 100); do
    [ -s "$T/port" ] && break
    sleep 0.05
  done
  [ -s "$T/port" ] || { echo "fake server did not start: $(cat "$T/fake.err")" >&2; exit 1; }
  BASE_URL="http://127.0.0.1:$(cat "$T/port")"
}
stop_fake() {
  if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; fi
  FAKE_PID=""
}

finish() {
  echo "$CHECKS passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}
# iso N: hour N of a window that starts 10 whole hours before now, as ISO 8601 (pull tests
# put their files there: old enough for the default lag, young enough for any retention).
H0=$(( ($(date +%s) / 3600 - 10) * 3600 ))
iso() { date -u -d "@$(( H0 + $1 * 3600 ))" +%Y-%m-%dT%H:%M:%SZ; }
