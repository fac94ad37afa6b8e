#!/usr/bin/env bash
# bench.sh: generates a Data Access data set and measures davault against the hardware's limit
# (issue 7): limit, ingest, zcat|jq baseline, find/erase latency, sweep, peak RSS, archive size.
#
#   tools/bench/bench.sh [--smoke|--quick|--full] [--size SIZE] [--days N] [--single-bytes SIZE]
#                        [--subjects N] [--baseline-bytes SIZE] [--erase-budget SECONDS]
#                        [--json-out FILE] [--keep]
#
# Binaries come from $DAVAULT, $GEN and $BENCH_LIMIT, else from $BUILD_DIR (default ./build).
# Everything runs in a scratch directory under /tmp (removed at the end unless --keep), with
# DAVAULT_TEST_KDF=1 and a key file there. See tools/bench/README.md for what each figure means.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
DAVAULT="${DAVAULT:-$BUILD_DIR/src/cli/davault}"
GEN="${GEN:-$BUILD_DIR/tools/gen/davault-gen}"
BENCH_LIMIT="${BENCH_LIMIT:-$BUILD_DIR/tools/bench/davault-bench-limit}"
TIME_BIN="${TIME_BIN:-/usr/bin/time}"

MODE=quick
SIZE="" DAYS="" SINGLE="" SUBJECTS="" BASELINE_CAP="" ERASE_BUDGET="" JSON_OUT="bench-results.json" KEEP=""
usage() { sed -n '4,6p' "$0" | sed 's/^# *//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke|--quick|--full) MODE="${1#--}" ;;
    --size) SIZE="$2"; shift ;;
    --days) DAYS="$2"; shift ;;
    --single-bytes) SINGLE="$2"; shift ;;
    --subjects) SUBJECTS="$2"; shift ;;
    --baseline-bytes) BASELINE_CAP="$2"; shift ;;
    --erase-budget) ERASE_BUDGET="$2"; shift ;;
    --json-out) JSON_OUT="$2"; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage ;;
    *) echo "bench: unknown option $1" >&2; usage ;;
  esac
  shift
done
# Mode defaults: smoke proves the pipeline in seconds; quick is the ~200 MB run; full reaches
# 10 million identifier rows (about 830 rows per MB of generated JSON, see the README).
# The erase budget stops the erase loop early (after at least 5 erasures) when erase is slow,
# so that the run still ends; erase_subjects says how many were timed.
case "$MODE" in
  smoke) : "${SIZE:=5MB}" "${DAYS:=4}" "${SINGLE:=5MB}" "${SUBJECTS:=10}" "${BASELINE_CAP:=5MB}" "${ERASE_BUDGET:=20}" ;;
  quick) : "${SIZE:=200MB}" "${DAYS:=30}" "${SINGLE:=200MB}" "${SUBJECTS:=100}" "${BASELINE_CAP:=200MB}" "${ERASE_BUDGET:=60}" ;;
  full) : "${SIZE:=12100MB}" "${DAYS:=30}" "${SINGLE:=2GB}" "${SUBJECTS:=100}" "${BASELINE_CAP:=500MB}" "${ERASE_BUDGET:=600}" ;;
esac
for b in "$DAVAULT" "$GEN" "$BENCH_LIMIT"; do
  [ -x "$b" ] || { echo "bench: $b is not built (set DAVAULT, GEN, BENCH_LIMIT or BUILD_DIR)" >&2; exit 1; }
done
for t in jq sqlite3 zcat "$TIME_BIN"; do
  command -v "$t" >/dev/null || { echo "bench: $t is missing (tools/setup.sh installs it)" >&2; exit 1; }
done

S="$(mktemp -d /tmp/davault-bench.XXXXXX)"
cleanup() { if [ -z "$KEEP" ]; then rm -rf "$S"; else echo "bench: kept $S" >&2; fi; }
trap cleanup EXIT
trap "exit 130" INT TERM
export DAVAULT_TEST_KDF=1 DAVAULT_KEY_FILE="$S/key" DAVAULT_ARCHIVE="$S/archive"
export LC_ALL=C

log() { echo "bench: $*" >&2; }
# bytes SIZE: decimal/binary suffixes as davault-gen reads them.
bytes() {
  local v="${1%%[KMGkmgi]*}" u="${1#"${1%%[KMGkmgi]*}"}"
  case "$u" in
    "") echo "$v" ;; KB|kB) echo $((v * 1000)) ;; MB) echo $((v * 1000000)) ;;
    GB) echo $((v * 1000000000)) ;; KiB) echo $((v << 10)) ;; MiB) echo $((v << 20)) ;;
    GiB) echo $((v << 30)) ;; *) echo "bench: bad size $1" >&2; exit 2 ;;
  esac
}
calc() { awk "BEGIN { printf \"%.6g\\n\", $* }"; }
# rss_kb FILE: "Maximum resident set size" from a /usr/bin/time -v report.
rss_kb() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
cpu_pct() { awk -F': ' '/Percent of CPU/ {sub("%", "", $2); print $2}' "$1"; }
# timed FILE CMD...: runs CMD under /usr/bin/time -v (report in FILE); sets TIMED_S (wall s)
# and TIMED_RC.
timed() {
  local report="$1"; shift
  local t0="$EPOCHREALTIME"
  set +e
  "$TIME_BIN" -v -o "$report" "$@"
  TIMED_RC=$?
  set -e
  TIMED_S="$(calc "$EPOCHREALTIME - $t0")"
}
# ms CMD...: wall milliseconds of CMD (stdout discarded; exit code must be 0).
ms() {
  local t0="$EPOCHREALTIME"
  "$@" >/dev/null 2>"$S/ms.err" || { echo "bench: $1 ${2:-} failed: $(head -c 300 "$S/ms.err")" >&2; exit 1; }
  calc "($EPOCHREALTIME - $t0) * 1000"
}
# pct FILE P: the P-th percentile (nearest rank) of the numbers in FILE.
pct() { sort -g "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int((p * NR + 99) / 100); if (i < 1) i = 1; print v[i] }'; }

TARGET="$(bytes "$SIZE")"
SINGLE_BYTES="$(bytes "$SINGLE")"
CAP="$(bytes "$BASELINE_CAP")"
START="2026-11-01T00:00:00Z"
START_S="$(date -u -d "$START" +%s)"

# --- data set: DAYS days of hourly files of all four types, SUBJECTS people planted ----------
# A pilot hour gives the mean record size, so that records per file spreads SIZE over DAYS days.
"$GEN" --out "$S/pilot" --seed 7 --start "$START" --hours 2 --records-per-file 25 \
  --manifest "$S/pilot.json" >/dev/null 2>"$S/gen.err" || { cat "$S/gen.err" >&2; exit 1; }
MEAN="$(jq '.totals.all.uncompressed_bytes / .totals.all.records' "$S/pilot.json")"
RPF="$(awk -v t="$TARGET" -v d="$DAYS" -v m="$MEAN" 'BEGIN { r = int(t / (d * 24 * 4 * m)); print (r < 1 ? 1 : r) }')"
PLANTS=()
for i in $(seq -w 1 "$SUBJECTS"); do
  PLANTS+=(--plant "name=bench$i,email=bench.subject$i@example.test,customer=BENCH-$i,count=2")
done
log "generating $SIZE over ~$DAYS days ($RPF records per file, $SUBJECTS planted people)"
timed "$S/gen.time" "$GEN" --out "$S/data" --seed 1 --start "$START" --target-bytes "$SIZE" \
  --records-per-file "$RPF" "${PLANTS[@]}" --manifest "$S/manifest.json" >/dev/null 2>"$S/gen.err"
[ "$TIMED_RC" -eq 0 ] || { cat "$S/gen.err" >&2; exit 1; }
GEN_S="$TIMED_S"
mapfile -t FILES < <(find "$S/data" -name '*.gz' | sort)
DATA_BYTES="$(jq '.totals.all.uncompressed_bytes' "$S/manifest.json")"
DATA_GZ="$(jq '.totals.all.compressed_bytes' "$S/manifest.json")"
HOURS="$(jq '[.files[].scope_start] | unique | length' "$S/manifest.json")"
log "generated ${#FILES[@]} files, $DATA_BYTES bytes, $HOURS hours in ${GEN_S}s"

# --- limit: inflate + spans + identifiers + encrypt + durable write, one process --------------
log "limit (1 and 2 threads)"
timed "$S/limit1.time" "$BENCH_LIMIT" --out "$S/limit.out" --threads 1 "${FILES[@]}" >"$S/limit1.json"
[ "$TIMED_RC" -eq 0 ] || { log "davault-bench-limit failed"; exit 1; }
rm -f "$S"/limit.out*
timed "$S/limit2.time" "$BENCH_LIMIT" --out "$S/limit.out" --threads 2 "${FILES[@]}" >"$S/limit2.json"
[ "$TIMED_RC" -eq 0 ] || { log "davault-bench-limit failed"; exit 1; }
rm -f "$S"/limit.out*
# The same with the output made durable after every file, as one transaction per file must be.
timed "$S/limit1s.time" "$BENCH_LIMIT" --out "$S/limit.out" --threads 1 --sync file "${FILES[@]}" >"$S/limit1s.json"
[ "$TIMED_RC" -eq 0 ] || { log "davault-bench-limit failed"; exit 1; }
rm -f "$S"/limit.out*
LIMIT1S="$(jq .mb_per_s "$S/limit1s.json")"
FSYNC_MS="$(jq -n --slurpfile a "$S/limit1.json" --slurpfile b "$S/limit1s.json" \
  '[(($b[0].seconds - $a[0].seconds) * 1000 / ($b[0].syncs - 1 + 1e-9)), 0.001] | max')"
LIMIT1="$(jq .mb_per_s "$S/limit1.json")"
LIMIT2="$(jq .mb_per_s "$S/limit2.json")"
EXTRACTED="$(jq .identifiers "$S/limit1.json")"

# --- ingest, end to end -----------------------------------------------------------------------
log "ingest"
"$DAVAULT" --quiet init >/dev/null
timed "$S/ingest.time" "$DAVAULT" --json --quiet ingest "${FILES[@]}" >"$S/ingest.json"
[ "$TIMED_RC" -eq 0 ] || { log "ingest failed: $(jq -c .errors "$S/ingest.json" 2>/dev/null)"; exit 1; }
INGEST_S="$TIMED_S"
INGEST_RSS_KB="$(rss_kb "$S/ingest.time")"
INGEST_CPU="$(cpu_pct "$S/ingest.time")"
RECORDS="$(jq .records_ingested "$S/ingest.json")"
[ "$(jq '.files_failed | length' "$S/ingest.json")" -eq 0 ] || { log "ingest failed: $(jq -c .errors "$S/ingest.json")"; exit 1; }
INGEST_MBS="$(calc "$DATA_BYTES / 1e6 / $INGEST_S")"
INGEST_RPS="$(calc "$RECORDS / $INGEST_S")"
IDENT_ROWS="$(sqlite3 "$DAVAULT_ARCHIVE/index.db" 'SELECT COUNT(*) FROM idents')"
ARCHIVE_BYTES="$(du -sb "$DAVAULT_ARCHIVE" | cut -f1)"

# --- naive baseline: zcat | jq over (up to CAP bytes of) the same files -----------------------
log "baseline zcat | jq"
BASE_FILES=() BASE_BYTES=0
while IFS=$'\t' read -r name n; do
  BASE_FILES+=("$S/data/$name"); BASE_BYTES=$((BASE_BYTES + n))
  [ "$BASE_BYTES" -ge "$CAP" ] && break
done < <(jq -r '.files | to_entries | sort_by(.key)[] | "\(.key)\t\(.value.uncompressed_bytes)"' "$S/manifest.json")
T0="$EPOCHREALTIME"
zcat "${BASE_FILES[@]}" | jq -c . >/dev/null
BASE_S="$(calc "$EPOCHREALTIME - $T0")"
BASE_MBS="$(calc "$BASE_BYTES / 1e6 / $BASE_S")"

# --- find and erase latency over SUBJECTS planted people, in random order ---------------------
log "find and erase ($SUBJECTS subjects)"
jq -r '.planted[].identifiers[] | select(.kind == "email") | .value' "$S/manifest.json" \
  | shuf --random-source=<(yes) >"$S/subjects"
for _ in $(seq 1 20); do ms "$DAVAULT" --version >>"$S/startup.ms"; done
FIRST="$(head -n1 "$S/subjects")"
"$TIME_BIN" -v -o "$S/find.time" "$DAVAULT" --json find "email:$FIRST" >"$S/find1.json"
[ "$(jq .count "$S/find1.json")" -gt 0 ] || { log "a planted subject was not found"; exit 1; }
while read -r e; do ms "$DAVAULT" --json find "email:$e" >>"$S/find.ms"; done <"$S/subjects"
n=0 ERASED=0 ERASE_T0="$EPOCHREALTIME"
while read -r e; do
  if [ "$n" -ge 5 ] && awk -v a="$ERASE_T0" -v b="$EPOCHREALTIME" -v m="$ERASE_BUDGET" 'BEGIN { exit !(b - a > m) }'; then
    log "erase budget of ${ERASE_BUDGET}s spent after $n erasures"
    break
  fi
  n=$((n + 1))
  if [ "$n" -eq 1 ]; then
    T0="$EPOCHREALTIME"
    "$TIME_BIN" -v -o "$S/erase.time" "$DAVAULT" --json erase "email:$e" --request "BENCH-$n" >"$S/erase1.json" 2>/dev/null
    calc "($EPOCHREALTIME - $T0) * 1000" >>"$S/erase.ms"
    ERASED="$(jq .records_erased "$S/erase1.json")"
  else
    ms "$DAVAULT" --json erase "email:$e" --request "BENCH-$n" >>"$S/erase.ms"
  fi
done <"$S/subjects"

# --- sweep: one day out of DAYS, one day past the first day's expiry ---------------------------
AS_OF="$(date -u -d "@$((START_S + (1 + 30) * 86400))" +%Y-%m-%dT%H:%M:%SZ)"
log "sweep --as-of $AS_OF"
FORCED=0
timed "$S/sweep.time" "$DAVAULT" --json sweep --as-of "$AS_OF" >"$S/sweep.json" 2>"$S/sweep.err"
RC="$TIMED_RC"
if [ "$RC" -eq 4 ]; then
  log "sweep refused ($(jq -r .status "$S/sweep.json")); again with --force"
  FORCED=1
  timed "$S/sweep.time" "$DAVAULT" --json sweep --as-of "$AS_OF" --force >"$S/sweep.json" 2>"$S/sweep.err"
  RC="$TIMED_RC"
fi
if [ "$RC" -ne 0 ]; then
  log "sweep failed ($RC): $(cat "$S/sweep.err")"; exit 1
fi
SWEEP_S="$TIMED_S"
SWEPT="$(jq .records_deleted "$S/sweep.json")"
SWEPT_FILES="$(jq .files_deleted "$S/sweep.json")"
rm -rf "$S/data" "$S/archive"

# --- peak RSS of ingest for one big single file -----------------------------------------------
log "single file of $SINGLE"
"$GEN" --out "$S/single" --seed 3 --types engagement --single-file --target-bytes "$SINGLE" \
  --manifest "$S/single.json" >/dev/null 2>"$S/gen.err" || { cat "$S/gen.err" >&2; exit 1; }
export DAVAULT_ARCHIVE="$S/archive-single"
"$DAVAULT" --quiet init >/dev/null
timed "$S/single.time" "$DAVAULT" --json --quiet ingest "$S"/single/*.gz >"$S/single-ingest.json"
[ "$TIMED_RC" -eq 0 ] || { log "single-file ingest failed"; exit 1; }
SINGLE_S="$TIMED_S"
SINGLE_RSS_KB="$(rss_kb "$S/single.time")"
SINGLE_DATA="$(jq .totals.all.uncompressed_bytes "$S/single.json")"
SINGLE_MBS="$(calc "$SINGLE_DATA / 1e6 / $SINGLE_S")"
rm -rf "$S/single" "$DAVAULT_ARCHIVE"

# --- results ------------------------------------------------------------------------------------
# Peak RSS of the whole run: the largest of every process measured (generator, limit, ingest,
# find, erase, sweep, single-file ingest).
PEAK_KB="$(cat "$S"/*.time | awk -F': ' '/Maximum resident set size/ { if ($2 > m) m = $2 } END { print m }')"
FIND_MED="$(pct "$S/find.ms" 50)" FIND_P99="$(pct "$S/find.ms" 99)"
ERASE_MED="$(pct "$S/erase.ms" 50)" ERASE_P99="$(pct "$S/erase.ms" 99)"
START_MED="$(pct "$S/startup.ms" 50)"
jq -n \
  --arg mode "$MODE" --arg machine "$(nproc) cores, $(uname -m), $(awk '/MemTotal/ {printf "%d MB", $2/1024}' /proc/meminfo)" \
  --argjson days "$DAYS" --argjson hours "$HOURS" --argjson files "${#FILES[@]}" \
  --argjson data_bytes "$DATA_BYTES" --argjson data_compressed_bytes "$DATA_GZ" \
  --argjson records "$RECORDS" --argjson ident_rows "$IDENT_ROWS" --argjson identifiers_extracted "$EXTRACTED" \
  --argjson limit_mb_s "$LIMIT1" --argjson limit_2threads_mb_s "$LIMIT2" \
  --argjson limit_sync_per_file_mb_s "$LIMIT1S" --argjson fsync_ms "$FSYNC_MS" \
  --argjson ingest_ratio_to_limit_sync_per_file "$(calc "$INGEST_MBS / $LIMIT1S")" \
  --argjson ingest_seconds "$INGEST_S" --argjson ingest_mb_s "$INGEST_MBS" \
  --argjson ingest_records_s "$INGEST_RPS" --argjson ingest_cpu_percent "$INGEST_CPU" \
  --argjson ingest_rss_mb "$(calc "$INGEST_RSS_KB / 1024")" \
  --argjson ingest_ratio_to_limit "$(calc "$INGEST_MBS / $LIMIT1")" \
  --argjson ingest_ratio_to_limit_2threads "$(calc "$INGEST_MBS / $LIMIT2")" \
  --argjson baseline_bytes "$BASE_BYTES" --argjson baseline_zcat_jq_mb_s "$BASE_MBS" \
  --argjson ingest_vs_baseline "$(calc "$INGEST_MBS / $BASE_MBS")" \
  --argjson subjects "$(wc -l <"$S/subjects")" --argjson first_erase_records "$ERASED" \
  --argjson erase_subjects "$(wc -l <"$S/erase.ms")" \
  --argjson startup_median_ms "$START_MED" \
  --argjson find_median_ms "$FIND_MED" --argjson find_p99_ms "$FIND_P99" \
  --argjson erase_median_ms "$ERASE_MED" --argjson erase_p99_ms "$ERASE_P99" \
  --arg sweep_as_of "$AS_OF" --argjson sweep_forced "$FORCED" \
  --argjson sweep_seconds "$SWEEP_S" --argjson sweep_records_deleted "$SWEPT" \
  --argjson sweep_files_deleted "$SWEPT_FILES" \
  --argjson single_file_bytes "$SINGLE_DATA" --argjson single_ingest_mb_s "$SINGLE_MBS" \
  --argjson single_ingest_rss_mb "$(calc "$SINGLE_RSS_KB / 1024")" \
  --argjson run_peak_rss_mb "$(calc "$PEAK_KB / 1024")" \
  --argjson archive_bytes "$ARCHIVE_BYTES" \
  --argjson archive_bytes_per_record "$(calc "$ARCHIVE_BYTES / $RECORDS")" \
  --argjson archive_bytes_per_gb "$(calc "$ARCHIVE_BYTES / ($DATA_BYTES / 1e9)")" \
  '{run: {mode: $mode, machine: $machine, sweep_as_of: $sweep_as_of, sweep_forced: ($sweep_forced == 1)}}
   + ($ARGS.named | del(.mode, .machine, .sweep_as_of, .sweep_forced))' >"$JSON_OUT"

r() { jq -r ".$1" "$JSON_OUT"; }
printf '\ndavault bench (%s): %s\n' "$MODE" "$(jq -r .run.machine "$JSON_OUT")"
printf '%-44s %s\n' \
  "data set" "$(calc "$DATA_BYTES / 1e6") MB JSON ($(calc "$DATA_GZ / 1e6") MB gz), ${#FILES[@]} files, $HOURS hours" \
  "records / identifier rows" "$RECORDS / $IDENT_ROWS" \
  "limit, 1 thread / 2 threads (MB/s)" "$(r limit_mb_s) / $(r limit_2threads_mb_s)" \
  "limit, 1 thread, fsync per file (MB/s)" "$(r limit_sync_per_file_mb_s) (one fsync: $(r fsync_ms) ms)" \
  "ingest (MB/s, records/s, CPU %)" "$(r ingest_mb_s), $(r ingest_records_s), $INGEST_CPU" \
  "ingest / limit (1 thread, 2 threads, fsync/file)" "$(r ingest_ratio_to_limit), $(r ingest_ratio_to_limit_2threads), $(r ingest_ratio_to_limit_sync_per_file)" \
  "zcat | jq baseline (MB/s) / ingest vs it" "$(r baseline_zcat_jq_mb_s) / $(r ingest_vs_baseline)x" \
  "process start-up, median (ms)" "$(r startup_median_ms)" \
  "find, median / p99 (ms, $(r subjects) subjects)" "$(r find_median_ms) / $(r find_p99_ms)" \
  "erase, median / p99 (ms, $(r erase_subjects) subjects)" "$(r erase_median_ms) / $(r erase_p99_ms)" \
  "sweep 1 day of $DAYS (s, records, files)" "$(r sweep_seconds), $SWEPT, $SWEPT_FILES" \
  "peak RSS: $(calc "$SINGLE_DATA / 1e6") MB single-file ingest / run (MB)" "$(r single_ingest_rss_mb) / $(r run_peak_rss_mb)" \
  "single-file ingest (MB/s)" "$(r single_ingest_mb_s)" \
  "archive: bytes / per record / per GB" "$ARCHIVE_BYTES / $(r archive_bytes_per_record) / $(r archive_bytes_per_gb)"
printf '\nJSON: %s\n' "$JSON_OUT"
