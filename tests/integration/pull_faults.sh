#!/usr/bin/env bash
# pull against a misbehaving fake server: Retry-After (seconds and HTTP date), 500s, a truncated
# body, an ignored Range, a file that is always 401, the single-object listing and a late file.
source "$(dirname "$0")/lib.sh"
# Test-only: shortens the jittered backoff (never a Retry-After).
export DAVAULT_RETRY_SCALE=0.01

NOW_S=$(date +%s)
H0=$(( (NOW_S / 3600 - 10) * 3600 ))  # first scope hour, ~10 h ago: inside the default lag
ms() { echo "$(( (H0 + $1 * 3600) * 1000 ))"; }
name() { echo "$1.$(ms "$2").$(ms $(( $2 + 1 ))).part-0000$3-0.gz"; }  # PREFIX HOUR PART

"$GEN" --out "$T/files" --start "$(iso 0)" --hours 3 --types engagement,survey --parts 3 \
  --records-per-file 5 --manifest "$T/manifest.json" >/dev/null
eq "generated files" 18 "$(jq '.files | length' "$T/manifest.json")"

RA_DATE_S=$(( $(date +%s) + 4 ))
RA_DATE="$(date -u -d "@$RA_DATE_S" '+%a, %d %b %Y %H:%M:%S GMT')"
E00=$(name Engagement 0 0); E11=$(name Engagement 1 1); E22=$(name Engagement 2 2)
S01=$(name Survey 0 1); S12=$(name Survey 1 2)
cat >"$T/faults.json" <<JSON
{"rules": [
  {"path_contains": "/le/survey", "times": 1, "status": 429, "retry_after": "1",
   "message": "Too Many Requests"},
  {"path_contains": "$E00", "times": 1, "status": 503, "retry_after": "$RA_DATE",
   "message": "Service Unavailable"},
  {"path_contains": "$E11", "times": 3, "status": 500},
  {"path_contains": "$S01", "times": 5, "truncate_after_bytes": 100},
  {"path_contains": "$S12", "times": 1, "truncate_after_bytes": 100},
  {"path_contains": "$S12", "ignore_range": true},
  {"path_contains": "$E22", "status": 401, "message": "Unauthorized request", "internal_code": 10}
]}
JSON
start_fake "$T/files" --faults "$T/faults.json"
dvj init

# Request-log helpers: lines for a path substring, from line FROM on.
reqs() { tail -n +"${2:-1}" "$T/requests.log" | jq -c --arg p "$1" 'select(.path | contains($p))'; }
count() { reqs "$@" | wc -l | tr -d ' '; }
lines() { wc -l <"$T/requests.log" | tr -d ' '; }

# Run 1: everything but the 401 file and the file cut short five times.
dv --json pull --account 75555851 --base-url "$BASE_URL" --types engagement,survey
eq "run 1 exits 1 (failed files)" 1 "$RC"
cp "$T/.err" "$T/run1.err"
eq "run 1 ingested" 16 "$(j .files_ingested)"
eq "run 1 failed files" "$(printf '%s\n%s' "$E22" "$S01" | sort | tr '\n' ' ')" \
  "$(j '.files_failed[]' | sort | tr '\n' ' ')"
contains "401 reported by file" "HTTP 401) for $E22" "$OUT"
contains "truncation reported" "gave up after 5 attempts" "$OUT"

# 429 with Retry-After: 1 on the first survey listing: the next listing waited >= 1 s.
T429=$(reqs /le/survey | jq -s '.[0].time_ms'); T429B=$(reqs /le/survey | jq -s '.[1].time_ms')
eq "429 answered" 429 "$(reqs /le/survey | jq -s '.[0].status')"
eq "same listing asked again" "$(reqs /le/survey | jq -s '.[0].query')" \
  "$(reqs /le/survey | jq -s '.[1].query')"
if [ $(( T429B - T429 )) -ge 1000 ]; then pass; else fail "429 retried after $(( T429B - T429 )) ms"; fi
# 503 with an HTTP date: the retry came at or after that second.
eq "503 answered" 503 "$(reqs "$E00" | jq -s '.[0].status')"
T503B=$(reqs "$E00" | jq -s '.[1].time_ms')
if [ "$T503B" -ge $(( RA_DATE_S * 1000 )) ]; then pass; else
  fail "503 retried at $T503B, before Retry-After $(( RA_DATE_S * 1000 ))"; fi
eq "503 file: two requests" 2 "$(count "$E00")"
eq "500s: three failures then the file" "500 500 500 200" "$(reqs "$E11" | jq -r .status | tr '\n' ' ' | sed 's/ $//')"
eq "401 file asked once" 1 "$(count "$E22")"
eq "cut file asked five times" 5 "$(count "$S01")"
eq "cut file resumed each time" "null bytes=100- bytes=200- bytes=300- bytes=400-" \
  "$(reqs "$S01" | jq -r '.range // "null"' | tr '\n' ' ' | sed 's/ $//')"
# Ignored Range: the resume got a 200 with the whole file, which replaced the partial body.
eq "ignored range: cut, then 200 to a Range" "null:200 bytes=100-:200" \
  "$(reqs "$S12" | jq -r '"\(.range // "null"):\(.status)"' | tr '\n' ' ' | sed 's/ $//')"
eq "ignored range: whole file sent" "$(stat -c %s "$T/files/$S12")" "$(reqs "$S12" | jq -s '.[1].bytes')"
# Budget: every request beyond the first of its kind is a retry, and those stay under 200.
RUN1=$(lines)
FIRSTS=$(jq -r '"\(.path)?\(.query)"' "$T/requests.log" | sort -u | wc -l | tr -d ' ')
eq "retries reported = repeated requests" "$(( RUN1 - FIRSTS ))" "$(j .retries)"
if [ "$(j .retries)" -le 200 ]; then pass; else fail "retries over the budget: $(j .retries)"; fi
if [ "$(j .retries)" -ge 10 ]; then pass; else fail "expected >= 10 retries, got $(j .retries)"; fi

# Run 2: the cut file comes complete (its fault is spent); the 401 file still fails, once more.
dv --json pull --account 75555851 --base-url "$BASE_URL" --types engagement,survey
eq "run 2 exits 1" 1 "$RC"
cp "$T/.err" "$T/run2.err"
eq "run 2 ingests the cut file" 1 "$(j .files_ingested)"
eq "run 2 skips the rest" 16 "$(j .files_skipped)"
eq "run 2 fails only the 401 file" "$E22" "$(j '.files_failed | join(",")')"
eq "cut file: one more request, whole" "200:null" \
  "$(reqs "$S01" $(( RUN1 + 1 )) | jq -r '"\(.status):\(.range)"')"
eq "401 file: one more request" 1 "$(count "$E22" $(( RUN1 + 1 )))"

# Run 3: no faults, single-object listings, a web session type with exactly one file.
stop_fake
mv "$T/requests.log" "$T/requests-faults.log"  # the fake starts a new log
"$GEN" --out "$T/ws" --start "$(iso 1)" --hours 1 --types webSession --parts 1 --seed 5 \
  --records-per-file 5 --manifest "$T/ws.json" >/dev/null
cp "$T"/ws/*.gz "$T/files/"
start_fake "$T/files" --single-object
dvj pull --account 75555851 --base-url "$BASE_URL" --types engagement,survey,webSession
cp "$T/.err" "$T/run3.err"
eq "run 3 ingests the 401 file and the single web session" 2 "$(j .files_ingested)"
eq "web session from a single-object listing" 5 "$(j .records_per_type.WebSession)"
eq "run 3 no failures" 0 "$(j '.files_failed | length')"
CURSOR=$(j .types.engagement.cursor)
[ "$CURSOR" != null ] && pass || fail "engagement cursor did not advance"

# A late file, dated inside the already-pulled window, appears after the listing: the default
# overlap re-scan (6 h) picks it up on the next pull without --from.
"$GEN" --out "$T/late" --start "$(iso 4)" --hours 1 --types engagement --parts 1 --seed 9 \
  --records-per-file 5 >/dev/null
mkdir -p "$T/files/late"
LATE=$(name Engagement 4 0)
cp "$T/late/$LATE" "$T/files/late/"
if [ "$(ms 4)" -lt "$(date -u -d "$CURSOR" +%s)000" ]; then pass; else fail "late file not inside the pulled window"; fi
dvj pull --account 75555851 --base-url "$BASE_URL" --types engagement,survey,webSession
cp "$T/.err" "$T/run4.err"
eq "late file ingested" 1 "$(j .files_ingested)"
eq "late file records" 5 "$(j .records_ingested)"
dvj pull --account 75555851 --base-url "$BASE_URL" --types engagement,survey,webSession
eq "nothing twice" 0 "$(j .files_ingested)"

# Every part file of every hour exactly once: 18 + 1 web session + 1 late; records all there.
WANT=$(( $(jq '[.files[].records] | add' "$T/manifest.json") + 10 ))
dvj status
eq "records in the archive" "$WANT" "$(j .records)"
for f in $(jq -r '.files | keys[]' "$T/manifest.json") "$LATE"; do
  n=$(cat "$T/requests-faults.log" "$T/requests.log" |
    jq -r --arg f "$f" 'select(.path | endswith("/" + $f)) | select(.status == 200 or .status == 206) | .status' | wc -l)
  if [ "$n" -ge 1 ]; then pass; else fail "$f never downloaded"; fi
done
dvj verify --deep
eq "verify ok" true "$(j .ok)"

# The credentials never reach a log, the output or the archive.
for secret in "$LP_APP_KEY" "$LP_APP_SECRET" "$LP_ACCESS_TOKEN" "$LP_ACCESS_TOKEN_SECRET"; do
  if grep -a -F -q -- "$secret" "$T"/*.log "$T"/*.err "$T/fake.out" "$T/fake.err" 2>/dev/null; then
    fail "a credential is in a log"
  else pass; fi
  if archive_holds "$secret"; then fail "a credential is in the archive"; else pass; fi
done
finish
