#!/usr/bin/env bash
# Two davault processes on one archive, many times: erase and sweep at once either both
# succeed or one exits 5 (busy) having changed nothing; the audit log stays one valid chain
# and an erased person never returns.
source "$(dirname "$0")/lib.sh"

"$GEN" --out "$T/files" --seed 51 --start "2026-10-01T00:00:00Z" --hours 2 --records-per-file 10 \
  --plant "name=p0,email=p0@example.test,types=webSession,engagement,count=1" \
  --plant "name=p1,email=p1@example.test,types=webSession,engagement,count=1" \
  --plant "name=p2,email=p2@example.test,types=webSession,engagement,count=1" \
  --plant "name=p3,email=p3@example.test,types=webSession,engagement,count=1" \
  --plant "name=p4,email=p4@example.test,types=webSession,engagement,count=1" >/dev/null
"$GEN" --out "$T/recent" --seed 52 --start "2026-11-25T00:00:00Z" --hours 6 --records-per-file 10 >/dev/null
dvj init
dvj ingest "$T"/files/*.gz "$T"/recent/*.gz
export DAVAULT_LOCK_TIMEOUT_MS=150

busy=0 both=0
for i in $(seq 0 29); do
  p=$((i % 5))
  "$DAVAULT" --quiet --json erase "email:p$p@example.test" --request "RTBF-$i" >"$T/e.out" 2>"$T/e.err" &
  E=$!
  # Sweep at a moving instant so each run has something (or nothing) to delete.
  DAVAULT_LOCK_TIMEOUT_MS=$(( i % 2 == 0 ? 0 : 150 )) \
    "$DAVAULT" --quiet --json sweep --force --as-of "2026-11-0$((1 + i % 9))T00:00:00Z" >"$T/s.out" 2>"$T/s.err" &
  S=$!
  set +e; wait $E; erc=$?; wait $S; src=$?; set -e
  case "$erc:$src" in
    0:0) both=$((both + 1)); pass ;;
    5:0|0:5) busy=$((busy + 1)); pass ;;
    *) fail "run $i: erase exited $erc ($(cat "$T/e.err")), sweep exited $src ($(cat "$T/s.err"))" ;;
  esac
done
echo "both succeeded: $both, one busy: $busy"
dvj audit verify
eq "audit log is one valid chain" true "$(j .ok)"
for p in 0 1 2 3 4; do
  dvj erase "email:p$p@example.test" --request "RTBF-final-$p"
  dvj find "email:p$p@example.test"
  eq "p$p erased" 0 "$(j .count)"
done
# A re-issued copy of every file brings none of them back.
mkdir -p "$T/again"
for f in "$T"/files/*.gz; do b="$(basename "$f")"; cp "$f" "$T/again/${b/part-0000/part-0070}"; done
dvj ingest "$T"/again/*.gz
for p in 0 1 2 3 4; do
  dvj find "email:p$p@example.test"
  eq "p$p never returns" 0 "$(j .count)"
done
dvj verify --deep
eq "verify after the races" true "$(j .ok)"
finish
