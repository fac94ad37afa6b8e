#!/usr/bin/env bash
# Kills erase, sweep and rekey with SIGKILL at every step boundary (DAVAULT_CRASH_AT, a
# test-only hook) and at random moments, 50 times each, each on a fresh copy of one prepared
# archive. After every kill, running the same command again must finish the work: verify --deep
# passes, exactly the records that had to be kept are there (and decrypt), nothing of what had to
# go remains, and after an interrupted rekey the old key no longer opens the archive.
source "$(dirname "$0")/lib.sh"

RUNS="${CRASH_RUNS:-50}"   # kills per command (half at step boundaries, half at random moments)
export DAVAULT_NOW="2026-11-02T00:00:00Z"
PERSON="email:erin.crash@example.test"
ERASE=(erase --expand "$PERSON" --request RTBF-CRASH)
SWEEP=(sweep --as-of 2026-12-01T01:30:00Z --force)
REKEY=(rekey --batch 2)

"$GEN" --out "$T/files" --seed 5 --start 2026-11-01T00:00:00Z --hours 3 --records-per-file 4 \
  --plant "name=erin,email=erin.crash@example.test,visitor=ErinCrashVisitor01,phone=+44 20 7946 0123,types=webSession,engagement,survey,count=2" \
  --marker "crimson walrus 4411" --manifest "$T/manifest.json" >/dev/null
PREP="$T/prep"
export DAVAULT_ARCHIVE="$PREP"
dvj init
dvj ingest "$T"/files/*.gz
ALL=48
eq "prepared records" "$ALL" "$(j .records_ingested)"

# The record ids of an archive, in order (read-only: the archive is closed at this point).
ids() { sqlite3 -readonly "$DAVAULT_ARCHIVE/index.db" 'SELECT group_concat(id) FROM (SELECT id FROM records ORDER BY id)'; }
fresh() { rm -rf "$T/run"; cp -a "$PREP" "$T/run"; export DAVAULT_ARCHIVE="$T/run"; }

# Reference results from uninterrupted runs.
fresh; dvj "${ERASE[@]}"; ERASED="$(j .records_erased)"; AFTER_ERASE="$(ids)"
[ "$ERASED" -gt 0 ] && pass || fail "the reference erase erases records"
fresh; dvj "${SWEEP[@]}"; SWEPT="$(j .records_deleted)"; AFTER_SWEEP="$(ids)"
[ "$SWEPT" -gt 0 ] && [ "$SWEPT" -lt "$ALL" ] && pass || fail "the reference sweep deletes some records ($SWEPT)"
fresh; ALL_IDS="$(ids)"
dvj find --expand "$PERSON"
eq "the person is in the prepared archive" "$ERASED" "$(j .count)"

# Crash points each command reaches on this archive (any:N counts every point reached).
POINTS_DESTROY=(destroy.after_index_commit destroy.after_segment destroy.before_journal_close)
POINTS_ERASE=("${POINTS_DESTROY[@]}" erase.before_certificate)
POINTS_REKEY=(rekey.after_start rekey.after_batch rekey.before_swap)

# crash_run CMD_NAME HOW: HOW is a crash point, any:N, or random:MS.
KILLS=0
crash_run() {
  local name="$1" how="$2" cmd
  case "$name" in
    erase) cmd=("${ERASE[@]}") ;;
    sweep) cmd=("${SWEEP[@]}") ;;
    rekey) cmd=("${REKEY[@]}"); rm -f "$T/key2"; export DAVAULT_NEW_KEY_FILE="$T/key2" ;;
  esac
  fresh
  set +e
  if [[ "$how" == random:* ]]; then
    "$DAVAULT" -q "${cmd[@]}" >/dev/null 2>&1 &
    local pid=$!
    sleep "$(printf '0.%03d' "${how#random:}")"
    kill -9 "$pid" 2>/dev/null
    { wait "$pid"; } 2>/dev/null
    [ $? -eq 137 ] && HITS=$((HITS + 1))  # else it had finished before the kill
  else
    { DAVAULT_CRASH_AT="$how" "$DAVAULT" -q "${cmd[@]}" >/dev/null 2>&1; } 2>/dev/null
    local rc=$?
    if [ "$rc" -ne 137 ]; then fail "$name $how: expected SIGKILL (137), got $rc"; fi
  fi
  set -e
  KILLS=$((KILLS + 1))
  local at="$name killed at $how"
  if [ "$name" = rekey ]; then
    # Between the kill and the re-run every record is readable under one of the two keys.
    local ok_old ok_new
    ok_old="$("$DAVAULT" --json verify 2>/dev/null | jq -r .ok || true)"
    ok_new="$(DAVAULT_KEY_FILE="$T/key2" "$DAVAULT" --json verify 2>/dev/null | jq -r .ok || true)"
    if [ "$ok_old" = true ] || [ "$ok_new" = true ]; then pass; else
      fail "$at: neither key reads every record before the re-run"; fi
  fi
  # The same command again finishes the work.
  dv --json "${cmd[@]}"
  eq "$at: re-run exit" 0 "$RC"
  case "$name" in
    erase)
      eq "$at: kept records" "$AFTER_ERASE" "$(ids)"
      dv --json find --expand "$PERSON"
      eq "$at: erased person found" 0 "$(j .count)"
      # Every erasure in the audit log has its signed certificate, the interrupted one too.
      local seq cert certs=0
      for seq in $(sqlite3 -readonly "$DAVAULT_ARCHIVE/index.db" "SELECT seq FROM audit WHERE event = 'erase'"); do
        cert="$DAVAULT_ARCHIVE/certificates/RTBF-CRASH-$seq.json"
        if [ -f "$cert" ]; then
          dv certificate verify "$cert" --pubkey "$T/pub"
          eq "$at: certificate of erase entry $seq verifies" 0 "$RC"
          certs=$((certs + 1))
        else
          fail "$at: no certificate for erase entry $seq"
        fi
      done
      [ "$certs" -ge 1 ] && pass || fail "$at: no erase entry"
      if [ "$how" = destroy.after_index_commit ] || [ "$how" = erase.before_certificate ]; then
        local recovered
        recovered="$(cat "$DAVAULT_ARCHIVE"/certificates/*.json | jq -s '[.[] | select(.completed_by_recovery == true and .records_erased > 0 and .residue_scan.ok == true)] | length')"
        eq "$at: the interrupted erasure's certificate, issued on recovery" 1 "$recovered"
      fi
      dv --json verify --deep
      ;;
    sweep)
      eq "$at: kept records" "$AFTER_SWEEP" "$(ids)"
      dv --json verify --deep
      ;;
    rekey)
      eq "$at: records" "$ALL_IDS" "$(ids)"
      dv find agent:9
      eq "$at: old key exit" 1 "$RC"
      contains "$at: old key message" "wrong key" "$ERR"
      DAVAULT_KEY_FILE="$T/key2" dv --json verify --deep
      ;;
  esac
  eq "$at: verify --deep exit" 0 "$RC"
  eq "$at: verify --deep ok" true "$(j .ok)"
}

# Step boundaries: every named point, then any:N for every point the command reaches, in turn
# until half the runs are used; the other half at random moments (0-200 ms after the start).
run_command() {
  local name="$1" reached="$2"; shift 2
  local points=("$@") hows=() i
  while [ "${#hows[@]}" -lt $((RUNS / 2)) ]; do
    hows+=("${points[@]}")
    for i in $(seq 1 "$reached"); do hows+=("any:$i"); done
  done
  hows=("${hows[@]:0:$((RUNS / 2))}")
  while [ "${#hows[@]}" -lt "$RUNS" ]; do hows+=("random:$((RANDOM % 201))"); done
  local t0=$SECONDS
  HITS=0
  for how in "${hows[@]}"; do crash_run "$name" "$how"; done
  echo "$name: ${#hows[@]} kills in $((SECONDS - t0)) s; $HITS of the random ones interrupted it" >&2
  [ "$HITS" -gt 0 ] && pass || fail "$name: no random kill landed while it ran"
}

# How many crash points each command reaches (an uninterrupted run counts them as any:N would).
count_points() {  # CMD...: runs until any:N no longer kills; prints the last N that did
  local n=1
  while :; do
    fresh
    set +e; { DAVAULT_CRASH_AT="any:$n" "$DAVAULT" -q "$@" >/dev/null 2>&1; } 2>/dev/null; local rc=$?; set -e
    [ "$rc" -eq 137 ] || break
    n=$((n + 1))
  done
  echo $((n - 1))
}
N_ERASE="$(count_points "${ERASE[@]}")"
N_SWEEP="$(count_points "${SWEEP[@]}")"
rm -f "$T/key2"; N_REKEY="$(DAVAULT_NEW_KEY_FILE="$T/key2" count_points "${REKEY[@]}")"
# erase/sweep: index commit + one per rewritten segment + journal close; rekey: start + 24
# batches of 2 + swap.
[ "$N_ERASE" -ge 3 ] && pass || fail "erase reaches $N_ERASE crash points"
[ "$N_SWEEP" -ge 3 ] && pass || fail "sweep reaches $N_SWEEP crash points"
eq "rekey crash points" 26 "$N_REKEY"

fresh; "$DAVAULT" audit pubkey > "$T/pub"
run_command erase "$N_ERASE" "${POINTS_ERASE[@]}"
run_command sweep "$N_SWEEP" "${POINTS_DESTROY[@]}"
run_command rekey "$N_REKEY" "${POINTS_REKEY[@]}"
eq "kills" $((3 * RUNS)) "$KILLS"

# Ingest's own step boundaries: the next ingest of the same file finishes it.
"$GEN" --out "$T/more" --seed 6 --start 2026-11-01T05:00:00Z --hours 1 --types engagement \
  --records-per-file 4 >/dev/null
for how in ingest.after_segment_rename ingest.before_commit any:1 any:2; do
  fresh
  set +e; { DAVAULT_CRASH_AT="$how" "$DAVAULT" -q ingest "$T"/more/*.gz >/dev/null 2>&1; } 2>/dev/null; rc=$?; set -e
  eq "ingest killed at $how" 137 "$rc"
  dv --json ingest "$T"/more/*.gz
  eq "ingest after a kill at $how: exit" 0 "$RC"
  eq "ingest after a kill at $how: records" 4 "$(j .records_ingested)"
  dv --json verify --deep
  eq "ingest after a kill at $how: verify --deep" true "$(j .ok)"
done
finish
