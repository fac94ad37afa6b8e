#!/usr/bin/env bash
# tools/bench/bench.sh --quick (issue 7: the quick mode runs in CI as a smoke test; about a
# minute here) runs end to end and reports every figure as a positive number (no timing
# assertions: the figures depend on the machine). Under a sanitizer, where everything is many
# times slower, and with BENCH_MODE=smoke, the 5 MB --smoke set is used instead.
source "$(dirname "$0")/lib.sh"
: "${BENCH_LIMIT:?}"

MODE="${BENCH_MODE:-quick}"
[ -n "${DAVAULT_SANITIZED:-}" ] && MODE=smoke
BEFORE="$(find /tmp -maxdepth 1 -name 'davault-bench.*' | sort)"
set +e
DAVAULT="$DAVAULT" GEN="$GEN" BENCH_LIMIT="$BENCH_LIMIT" \
  bash "$SOURCE_DIR/tools/bench/bench.sh" "--$MODE" --json-out "$T/bench.json" >"$T/bench.out" 2>"$T/bench.err"
RC=$?
set -e
eq "bench --$MODE exit code ($(tail -n 5 "$T/bench.err"))" 0 "$RC"
[ -s "$T/bench.json" ] || { fail "no JSON written"; finish; exit 1; }
contains "the table is printed" "find, median / p99" "$(cat "$T/bench.out")"
eq "mode recorded" "$MODE" "$(jq -r .run.mode "$T/bench.json")"

KEYS=(days hours files data_bytes data_compressed_bytes records ident_rows identifiers_extracted
  limit_mb_s limit_2threads_mb_s limit_sync_per_file_mb_s fsync_ms ingest_ratio_to_limit_sync_per_file
  ingest_seconds ingest_mb_s ingest_records_s ingest_cpu_percent
  ingest_rss_mb ingest_ratio_to_limit ingest_ratio_to_limit_2threads baseline_bytes
  baseline_zcat_jq_mb_s ingest_vs_baseline subjects first_erase_records erase_subjects startup_median_ms
  find_median_ms find_p99_ms erase_median_ms erase_p99_ms sweep_seconds sweep_records_deleted
  sweep_files_deleted single_file_bytes single_ingest_mb_s single_ingest_rss_mb run_peak_rss_mb
  archive_bytes archive_bytes_per_record archive_bytes_per_gb)
for k in "${KEYS[@]}"; do
  eq "$k is a positive number" true "$(jq --arg k "$k" '(.[$k] | type) == "number" and .[$k] > 0' "$T/bench.json")"
done
eq "no figure beyond the known ones" "" \
  "$(jq -r --argjson k "$(printf '%s\n' "${KEYS[@]}" run | jq -R . | jq -s .)" 'keys - $k | join(",")' "$T/bench.json")"
# The figures agree with each other: the sweep deleted a part of the archive, not all of it.
eq "sweep deleted fewer records than were ingested" true \
  "$(jq '.sweep_records_deleted < .records' "$T/bench.json")"
eq "every extracted identifier has its index row" true \
  "$(jq '.ident_rows <= .identifiers_extracted and .ident_rows > 0' "$T/bench.json")"
eq "no bench scratch directory left behind" "$BEFORE" \
  "$(find /tmp -maxdepth 1 -name 'davault-bench.*' | sort)"
finish
