#!/usr/bin/env bash
# pull --parallel: overlapping downloads (seen by the fake server), jittered retries that are not
# in lockstep, every part file ingested exactly once; --parallel 1 never overlaps.
source "$(dirname "$0")/lib.sh"

"$GEN" --out "$T/files" --start "$(iso 0)" --hours 1 --types engagement --parts 8 \
  --records-per-file 4 --manifest "$T/manifest.json" >/dev/null
eq "generated files" 8 "$(jq '.files | length' "$T/manifest.json")"
mapfile -t NAMES < <(jq -r '.files | keys[]' "$T/manifest.json" | sort)
RECORDS=$(jq '[.files[].records] | add' "$T/manifest.json")

# Four files answer 503 once (no Retry-After: the client's jitter alone decides when to retry);
# every download is slowed so that parallel transfers overlap at the server.
RULES=""
for i in 1 3 5 7; do
  RULES+="{\"path_contains\": \"${NAMES[$i]}\", \"times\": 1, \"status\": 503, \"message\": \"Service Unavailable\"},"
done
cat >"$T/faults.json" <<JSON
{"rules": [ $RULES
  {"path_contains": "/le/engagement/", "delay_ms": 300}
]}
JSON
start_fake "$T/files" --faults "$T/faults.json"
dvj init

dv --archive "$T/archive" --json pull --account 75555851 --base-url "$BASE_URL" --types engagement --parallel 0
eq "--parallel 0 is a usage error" 2 "$RC"
contains "--parallel named" "--parallel" "$ERR"

# Full-size jitter (scale 1): a first retry waits uniformly 0..1 s.
DAVAULT_RETRY_SCALE=1 dvj pull --account 75555851 --base-url "$BASE_URL" --types engagement --parallel 4
eq "files ingested" 8 "$(j .files_ingested)"
eq "records ingested" "$RECORDS" "$(j .records_ingested)"
eq "no failures" 0 "$(j '.files_failed | length')"
eq "four retries" 4 "$(j .retries)"

downloads() { jq -c 'select(.path | contains("/le/engagement/"))' "$1"; }
MAXC=$(downloads "$T/requests.log" | jq -s 'map(.concurrent) | max')
if [ "$MAXC" -ge 2 ]; then pass; else fail "downloads never overlapped (max concurrent $MAXC)"; fi
if [ "$MAXC" -le 4 ]; then pass; else fail "more than 4 downloads at once ($MAXC)"; fi
# Overlap from the intervals themselves, not only the server's counter.
OVERLAP=$(downloads "$T/requests.log" | jq -s '
  [ .[] as $a | [ .[] | select(.start_us < $a.end_us and .end_us > $a.start_us) ] | length ] | max')
if [ "$OVERLAP" -ge 2 ]; then pass; else fail "no overlapping download intervals ($OVERLAP)"; fi

# Every part file: exactly one complete answer, and the 503 files exactly two requests.
for i in "${!NAMES[@]}"; do
  f=${NAMES[$i]}
  eq "$f answered 200 once" 1 "$(downloads "$T/requests.log" | jq -s --arg f "$f" \
    '[ .[] | select(.path | endswith("/" + $f)) | select(.status == 200) ] | length')"
done
# Retries not in lockstep: the gaps between each 503 and its retry all differ.
GAPS=$(for i in 1 3 5 7; do
  downloads "$T/requests.log" | jq -s --arg f "${NAMES[$i]}" \
    '[ .[] | select(.path | endswith("/" + $f)) ] | (.[1].start_us - .[0].end_us)'
done)
eq "503 then retry, per file" "503 200 503 200 503 200 503 200" \
  "$(for i in 1 3 5 7; do downloads "$T/requests.log" | jq -r --arg f "${NAMES[$i]}" \
    'select(.path | endswith("/" + $f)) | .status'; done | tr '\n' ' ' | sed 's/ $//')"
eq "four distinct retry gaps" 4 "$(printf '%s\n' "$GAPS" | sort -u | wc -l | tr -d ' ')"
eq "four distinct retry times" 4 "$(for i in 1 3 5 7; do downloads "$T/requests.log" |
  jq -s --arg f "${NAMES[$i]}" '[ .[] | select(.path | endswith("/" + $f)) ] | .[1].start_us'; done |
  sort -u | wc -l | tr -d ' ')"

dvj status
eq "records in the archive" "$RECORDS" "$(j .records)"
dvj pull --account 75555851 --base-url "$BASE_URL" --types engagement --parallel 4 --from "$(iso 0)"
eq "second pull ingests nothing" 0 "$(j .files_ingested)"
eq "second pull skips all" 8 "$(j .files_skipped)"

# --parallel 1: a fresh archive, one transfer at a time.
stop_fake
mv "$T/requests.log" "$T/requests-parallel.log"
start_fake "$T/files" --faults "$T/faults.json"
export DAVAULT_ARCHIVE="$T/archive1"
dvj init
DAVAULT_RETRY_SCALE=0.01 dvj pull --account 75555851 --base-url "$BASE_URL" --types engagement --parallel 1
eq "sequential: files ingested" 8 "$(j .files_ingested)"
eq "sequential: never more than one request at once" 1 \
  "$(jq -s 'map(.concurrent) | max' "$T/requests.log")"
finish
