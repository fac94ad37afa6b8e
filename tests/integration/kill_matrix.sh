#!/usr/bin/env bash
# Kill matrix: SIGKILL `davault ingest` and `davault pull` at random moments (0-300 ms after
# start), many times. After every kill the next writer's recovery leaves an archive that passes
# `verify --deep`, no file is half-ingested (every generated file holds R records, so the archive
# must hold exactly R records per file it lists), and once the kills stop a final run picks up
# exactly the rest: the archive ends with the manifest's unique record total, every file once.
#   KILLS_INGEST, KILLS_PULL  kills to land in each half (default 60 each)
#   KILL_SEED                 seed of the random delays (default: from the clock; printed)
source "$(dirname "$0")/lib.sh"

KILLS_INGEST="${KILLS_INGEST:-60}"
KILLS_PULL="${KILLS_PULL:-60}"
KILL_SEED="${KILL_SEED:-$(( $(date +%s) % 32768 ))}"
RANDOM="$KILL_SEED"
echo "kill matrix: seed $KILL_SEED, $KILLS_INGEST ingest kills, $KILLS_PULL pull kills"
R=20  # records per generated file

# One local file outside the generated sets: re-ingesting it is a writer that does no work,
# which is how every check below first lets recovery run.
SENTINEL="$(ls "$SAMPLES"/files/Survey.*.gz)"

# run_and_kill ARGS...: starts davault, SIGKILLs it after 0-299 ms; KILLED=1 when the signal
# landed while it ran (exit status 137), else KILLED=0 and RUN_RC is its own exit code.
run_and_kill() {
  "$DAVAULT" --quiet "$@" >"$T/run.out" 2>"$T/run.err" &
  local pid=$! delay
  delay=$(( RANDOM % 300 ))
  sleep "$(printf '0.%03d' "$delay")"
  kill -KILL "$pid" 2>/dev/null || true
  set +e
  { wait "$pid"; } 2>/dev/null  # no "Killed" line from the shell
  RUN_RC=$?
  set -e
  if [ "$RUN_RC" -eq 137 ]; then KILLED=1; else KILLED=0; fi
}

NEEDED_RECOVERY=0 PROGRESSED=0
FILES_BEFORE=0
# check_after_kill WHAT: recovery, verify --deep, and whole files only. Also counts the kills
# after which a reader still saw unfinished work (a spool file, an orphan segment) and those
# that landed after the run had ingested something.
# Looked at from outside: opening the archive, even to read, finishes such work.
pending_work() {
  local a="$DAVAULT_ARCHIVE"
  [ -n "$(ls -A "$a/tmp" 2>/dev/null)" ] && return 0
  ls "$a"/segments/*.tmp >/dev/null 2>&1 && return 0
  local known on_disk
  known="$(sqlite3 -readonly "$a/index.db" "SELECT printf('%016x.seg', id) FROM segments ORDER BY id" 2>/dev/null)" ||
    return 0
  on_disk="$(cd "$a/segments" && ls -1 | grep '\.seg$' | sort)"
  [ "$known" != "$on_disk" ]
}
check_after_kill() {
  pending_work && NEEDED_RECOVERY=$((NEEDED_RECOVERY + 1))
  dv --json ingest "$SENTINEL"
  if [ "$RC" -ne 0 ]; then fail "$1: recovery (no-op ingest) exited $RC: $ERR"; return; fi
  dv --json verify --deep
  if [ "$RC" -ne 0 ] || [ "$(j .ok)" != true ]; then
    fail "$1: verify --deep exited $RC: $ERR $(j '.problems')"; return
  fi
  pass
  dv --json status
  local files records
  files="$(j .files)"; records="$(j .records)"
  [ "$files" -gt "$FILES_BEFORE" ] && PROGRESSED=$((PROGRESSED + 1))
  FILES_BEFORE="$files"
  # The sentinel is one file with one record; every other file holds exactly R records.
  if [ "$records" -eq $(( (files - 1) * R + 1 )) ]; then pass; else
    fail "$1: $records records in $files files: a file is half-ingested"
  fi
  ls "$DAVAULT_ARCHIVE"/tmp | grep -q . && fail "$1: spool files left in tmp/ after recovery"
  return 0
}

# --- ingest ---------------------------------------------------------------------------------
"$GEN" --out "$T/local" --seed 61 --start "2026-10-01T00:00:00Z" --hours 12 --records-per-file "$R" \
  --manifest "$T/local.json" >/dev/null
LOCAL_FILES=("$T"/local/*.gz)
LOCAL_TOTAL="$(jq '.totals.all.unique_records' "$T/local.json")"
eq "local set: every file holds R records" "" \
  "$(jq -r --argjson r "$R" '.files | to_entries[] | select(.value.records != $r) | .key' "$T/local.json")"

# Groups of 4 files (instead of up to 256 per commit), so that kills land between group commits
# as well as inside a group: what committed stays, the group being written goes, whole files.
export DAVAULT_INGEST_GROUP_FILES=4
ingest_kills=0 ingest_runs=0 rounds=0
t0=$(date +%s)
while [ "$ingest_kills" -lt "$KILLS_INGEST" ]; do
  # A round: a fresh archive, killed ingests until one run gets through the whole set.
  rm -rf "$DAVAULT_ARCHIVE" "$DAVAULT_KEY_FILE"
  dvj init
  dvj ingest "$SENTINEL"
  FILES_BEFORE=1
  rounds=$((rounds + 1))
  while true; do
    run_and_kill ingest "${LOCAL_FILES[@]}"
    ingest_runs=$((ingest_runs + 1))
    if [ "$KILLED" -eq 1 ]; then
      ingest_kills=$((ingest_kills + 1))
      check_after_kill "ingest kill $ingest_kills"
    elif [ "$RUN_RC" -ne 0 ]; then
      fail "ingest run $ingest_runs exited $RUN_RC without being killed: $(cat "$T/run.err")"
    fi
    [ "$ingest_kills" -ge "$KILLS_INGEST" ] && break
    [ "$KILLED" -eq 0 ] && break  # it finished on its own: the round is complete
  done
  # Whatever the kills left, one more run completes the set exactly.
  dvj ingest "${LOCAL_FILES[@]}"
  dvj status
  eq "ingest round $rounds: every record once" "$((LOCAL_TOTAL + 1))" "$(j .records)"
  eq "ingest round $rounds: every file once" "$(( ${#LOCAL_FILES[@]} + 1 ))" "$(j .files)"
done
echo "ingest: $ingest_kills kills in $ingest_runs runs over $rounds rounds, $(( $(date +%s) - t0 )) s;" \
  "$PROGRESSED kills after the run had ingested a file, $NEEDED_RECOVERY left work for recovery"
NEEDED_RECOVERY=0 PROGRESSED=0

unset DAVAULT_INGEST_GROUP_FILES

# --- pull -----------------------------------------------------------------------------------
"$GEN" --out "$T/remote" --seed 62 --start "2026-10-10T00:00:00Z" --hours 12 --records-per-file "$R" \
  --manifest "$T/remote.json" >/dev/null
REMOTE_TOTAL="$(jq '.totals.all.unique_records' "$T/remote.json")"
REMOTE_FILES="$(jq '.files | length' "$T/remote.json")"
start_fake "$T/remote"
PULL=(pull --account 75555851 --base-url "$BASE_URL" --from 2026-10-09 --to 2026-10-11)

pull_kills=0 pull_runs=0 rounds=0
t0=$(date +%s)
while [ "$pull_kills" -lt "$KILLS_PULL" ]; do
  rm -rf "$DAVAULT_ARCHIVE" "$DAVAULT_KEY_FILE"
  dvj init
  dvj ingest "$SENTINEL"
  FILES_BEFORE=1
  rounds=$((rounds + 1))
  while true; do
    run_and_kill "${PULL[@]}"
    pull_runs=$((pull_runs + 1))
    if [ "$KILLED" -eq 1 ]; then
      pull_kills=$((pull_kills + 1))
      check_after_kill "pull kill $pull_kills"
    elif [ "$RUN_RC" -ne 0 ]; then
      fail "pull run $pull_runs exited $RUN_RC without being killed: $(cat "$T/run.err")"
    fi
    [ "$pull_kills" -ge "$KILLS_PULL" ] && break
    [ "$KILLED" -eq 0 ] && break
  done
  # The next pull picks up exactly the rest.
  dvj "${PULL[@]}"
  eq "pull round $rounds: no failures" 0 "$(j '.files_failed | length')"
  eq "pull round $rounds: listed every file" "$REMOTE_FILES" \
    "$(j '[.types[].files_listed] | add')"
  eq "pull round $rounds: ingested plus skipped is every file" "$REMOTE_FILES" \
    "$(( $(j .files_ingested) + $(j .files_skipped) ))"
  dvj status
  eq "pull round $rounds: every record once" "$((REMOTE_TOTAL + 1))" "$(j .records)"
  eq "pull round $rounds: every file once" "$((REMOTE_FILES + 1))" "$(j .files)"
  dvj "${PULL[@]}"
  eq "pull round $rounds: a further pull ingests nothing" 0 "$(j .files_ingested)"
done
stop_fake
echo "pull: $pull_kills kills in $pull_runs runs over $rounds rounds, $(( $(date +%s) - t0 )) s;" \
  "$PROGRESSED kills after the run had ingested a file, $NEEDED_RECOVERY left work for recovery"
dvj verify --deep
eq "final verify" true "$(j .ok)"
dvj audit verify
eq "final audit chain" true "$(j .ok)"
echo "kill matrix: $((ingest_kills + pull_kills)) kills in total"
finish
