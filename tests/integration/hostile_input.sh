#!/usr/bin/env bash
# Hostile input: gzip bombs, an oversized record, JSON nested 100,000 deep and a listing of
# 100,000 files. Each is stopped with one clear error naming the file, exit 1, in bounded time
# and memory, and leaves the archive byte-for-byte as it was. (Unsafe file names in a listing
# are tested against a hand-written server in tests/unit/compliance/hostile_listing_test.cc,
# because the fake server refuses to list such names.)
source "$(dirname "$0")/lib.sh"

now_ms() { date +%s%3N; }
# timed ARGS...: dv with the elapsed milliseconds in MS and the peak RSS (KiB) in RSS_KB.
timed() {
  local t0 t1
  t0=$(now_ms)
  if [ -x /usr/bin/time ]; then
    set +e
    OUT="$(/usr/bin/time -f %M -o "$T/.rss" "$DAVAULT" "$@" 2>"$T/.err")"
    RC=$?
    set -e
    RSS_KB="$(tail -n 1 "$T/.rss")"
  else
    dv "$@"
    RSS_KB=0
  fi
  ERR="$(cat "$T/.err")"
  t1=$(now_ms)
  MS=$((t1 - t0))
}
# less_than WHAT LIMIT VALUE
less_than() {
  if [ "$3" -lt "$2" ]; then pass; else fail "$1: $3 is not below $2"; fi
}
# Time and memory budgets: a sanitizer build (tools/sanitize.sh sets DAVAULT_SANITIZED=1) is
# several times slower and its allocator keeps freed memory, so time limits grow tenfold and
# memory limits are not checked there.
SLOW=1; [ -n "${DAVAULT_SANITIZED:-}" ] && SLOW=10
within_ms() { less_than "$1" "$(($2 * SLOW))" "$MS"; }
rss_below_kb() { [ -n "${DAVAULT_SANITIZED:-}" ] || less_than "$1 (KiB)" "$2" "$RSS_KB"; }

dvj init
dvj ingest "$SAMPLES"/files/*.gz
BEFORE="$(tree_hash "$DAVAULT_ARCHIVE")"
unchanged() { eq "$1: archive unchanged" "$BEFORE" "$(tree_hash "$DAVAULT_ARCHIVE")"; }

# --- gzip bombs -------------------------------------------------------------------------------
# Deflate cannot compress better than about 1030:1, so a bomb is a valid first member (a real
# record) followed by gzip members that each hold 10 MB of blanks (about 9.7 KB each); blanks
# between records are legal JSON framing, so only the inflation limits can stop it.
head -c 10000000 /dev/zero | tr '\0' ' ' | gzip -9 -n > "$T/blanks.gz"
for _ in $(seq 1 100); do cat "$T/blanks.gz"; done > "$T/blanks-1g.gz"
BOMB1G="$T/Engagement.1469466000000.1469469600000.part-00101-0.gz"
{ cat "$SAMPLES"/files/Engagement.*.gz "$T/blanks-1g.gz"; } > "$BOMB1G"
BOMB10G="$T/Engagement.1469466000000.1469469600000.part-00102-0.gz"
{ cat "$SAMPLES"/files/Engagement.*.gz; for _ in $(seq 1 10); do cat "$T/blanks-1g.gz"; done; } \
  > "$BOMB10G"
rm -f "$T/blanks-1g.gz"
less_than "1 GB bomb is about 1 MB" 1100000 "$(stat -c %s "$BOMB1G")"
less_than "10 GB bomb is about 10 MB" 11000000 "$(stat -c %s "$BOMB10G")"

# The default ratio limit (1000x, checked once 1 MiB has been inflated) stops a 1 MB file that
# would inflate to 1 GB almost at once.
timed ingest "$BOMB1G"
eq "1 GB bomb exit" 1 "$RC"
contains "1 GB bomb names the file" "$(basename "$BOMB1G")" "$ERR"
contains "1 GB bomb says why" "inflated size exceeds 1000 times the compressed size (possible gzip bomb)" "$ERR"
within_ms "1 GB bomb stopped within 5 s" 5000
rss_below_kb "1 GB bomb in bounded memory" 204800
echo "1 GB bomb: stopped in $MS ms, peak RSS $RSS_KB KiB"
unchanged "1 GB bomb"

# The 10 GB bomb with the default limits: the ratio stops it just as fast.
timed ingest "$BOMB10G"
eq "10 GB bomb exit" 1 "$RC"
contains "10 GB bomb names the file" "$(basename "$BOMB10G")" "$ERR"
contains "10 GB bomb says why" "possible gzip bomb" "$ERR"
within_ms "10 GB bomb stopped within 5 s" 5000
unchanged "10 GB bomb"

# The absolute limit is configurable: with the ratio limit out of the way, --max-inflated-bytes
# stops the 10 GB bomb at 100 MiB.
timed --max-inflate-ratio 100000 --max-inflated-bytes 104857600 ingest "$BOMB10G"
eq "10 GB bomb at 100 MiB exit" 1 "$RC"
contains "10 GB bomb at 100 MiB names the file" "$(basename "$BOMB10G")" "$ERR"
contains "10 GB bomb at 100 MiB says why" \
  "inflated size exceeds the maximum of 104857600 bytes (possible gzip bomb)" "$ERR"
within_ms "10 GB bomb at 100 MiB stopped within 10 s" 10000
rss_below_kb "10 GB bomb at 100 MiB in bounded memory" 204800
echo "10 GB bomb at --max-inflated-bytes 100 MiB: stopped in $MS ms, peak RSS $RSS_KB KiB"
unchanged "10 GB bomb at 100 MiB"
dvj status
eq "no bomb file was recorded" 4 "$(j .files)"
rm -f "$BOMB1G" "$BOMB10G"

# --- a record over the maximum size -------------------------------------------------------------
"$GEN" --out "$T/gen" --seed 5 --hours 1 --types engagement --records-per-file 3 \
  --plant 'name=ivy,email=ivy.hostile@example.test,types=engagement,count=2' >/dev/null
GOOD="$(find "$T/gen" -name 'Engagement.*.gz' -print -quit)"
BIG="$T/$(basename "$GOOD" | sed 's/part-00000/part-00077/')"
{ zcat "$GOOD"; printf '{"dataType":"Engagement","pad":"'; head -c 2000000 /dev/zero | tr '\0' 'A';
  printf '"}\n'; } | gzip -n > "$BIG"
dv --max-record-bytes 1000000 ingest "$BIG"
eq "big record exit" 1 "$RC"
contains "big record names the file" "$(basename "$BIG")" "$ERR"
contains "big record names the record and the limit" \
  "record 4 exceeds the maximum record size of 1000000 bytes" "$ERR"
unchanged "big record"
dvj find email:ivy.hostile@example.test
eq "no record of the file with the big record entered" 0 "$(j .count)"

# The default limit (64 MiB) applies without any flag. (Random text: blanks or a repeated letter
# would trip the ratio limit first.)
{ printf '{"dataType":"Engagement","pad":"'; head -c 52500000 /dev/urandom | base64 -w 0
  printf '"}\n'; } | gzip -1 -n > "$T/Engagement.1469466000000.1469469600000.part-00078-0.gz"
timed ingest "$T/Engagement.1469466000000.1469469600000.part-00078-0.gz"
eq "70 MB record exit" 1 "$RC"
contains "70 MB record says why" "record 1 exceeds the maximum record size of 67108864 bytes" "$ERR"
rss_below_kb "70 MB record in bounded memory" 307200
unchanged "70 MB record"

# --- JSON nested 100,000 levels deep ------------------------------------------------------------
head -c 100000 /dev/zero | tr '\0' '[' > "$T/deep.txt"
head -c 100000 /dev/zero | tr '\0' ']' >> "$T/deep.txt"
gzip -n -c "$T/deep.txt" > "$T/deep-arrays.gz"
{ head -c 100000 /dev/zero | tr '\0' 'X' | sed 's/X/{"a":/g'; printf '1'
  head -c 100000 /dev/zero | tr '\0' '}'; } | gzip -n > "$T/deep-objects.gz"
for f in deep-arrays.gz deep-objects.gz; do
  dv ingest "$T/$f"
  eq "$f exit" 1 "$RC"
  contains "$f names the file" "$f" "$ERR"
  contains "$f says why" "record 1 is nested deeper than the maximum of 256 levels" "$ERR"
  unchanged "$f"
  # With the reader's limit raised past the nesting, the parser still refuses it cleanly
  # (no stack overflow: exit 1, not a signal).
  dv --max-json-depth 1000000 ingest "$T/$f"
  eq "$f past the reader's limit exit" 1 "$RC"
  contains "$f past the reader's limit names the file" "$f" "$ERR"
  contains "$f past the reader's limit names the record" "record 1" "$ERR"
  unchanged "$f past the reader's limit"
done

# --- a listing of 100,000 files ---------------------------------------------------------------
# The fake server lists 100,000 tiny Survey files of two scope hours (one listing window). Their
# hrefs name 127.0.0.2, where nothing listens, so every download fails at once: what is measured
# is the listing and the work per entry (a spool file made and removed, the failure recorded),
# in bounded memory, without ingesting 100,000 files. (The fake server rescans its directory on
# every download, which would make 100,000 real downloads take an hour.)
MANY_START=1793491200000  # 2026-11-01T00:00:00Z
"$GEN" --out "$T/many" --seed 9 --start "$MANY_START" --hours 2 --types survey \
  --records-per-file 1 --parts 50000 --gzip-level 1 >/dev/null
eq "100,000 files generated" 100000 "$(find "$T/many" -name 'Survey.*.gz' | wc -l)"
start_fake "$T/many" --href-host 127.0.0.2
# Connection failures are retried; the run's retry budget (200) is spent at test speed.
export DAVAULT_RETRY_SCALE=0.001
timed --json pull --account 75555851 --base-url "$BASE_URL" --types survey \
  --from "$MANY_START" --to "$((MANY_START + 7200000))"
stop_fake
unset DAVAULT_RETRY_SCALE
eq "100,000-entry listing pull exit (every download fails)" 1 "$RC"
eq "100,000 entries listed" 100000 "$(j '.types.survey.files_listed')"
eq "100,000 downloads failed" 100000 "$(j '.files_failed | length')"
eq "nothing ingested" 0 "$(j .files_ingested)"
eq "error details are bounded" 100 "$(j '.errors | length')"
eq "the rest are counted" 99900 "$(j .errors_omitted)"
contains "the failures are named" "Survey.1793491200000.1793494800000.part-00000-0.gz" "$ERR"
# Measured ~300 MB: the listing is parsed as one nlohmann DOM and 100,000 failures are kept for
# the report; a streaming listing parser would bound this by the entry, not the listing.
rss_below_kb "100,000-entry listing in bounded memory" 409600
echo "100,000-entry listing: pull took $MS ms, peak RSS $RSS_KB KiB"
unchanged "100,000-entry listing"
rm -rf "$T/many"

# The good file itself goes in: the checks above were not vacuous.
dvj ingest "$GOOD"
dvj find email:ivy.hostile@example.test
eq "the planted person's records once their file is ingested" 2 "$(j .count)"
dvj verify --deep
eq "verify after all of it" true "$(j .ok)"
finish
