#!/usr/bin/env bash
# Each bad input gets one clear line naming the thing at fault, the contract's exit code, and
# leaves the archive byte-for-byte as it was.
source "$(dirname "$0")/lib.sh"

dvj init
dvj ingest "$SAMPLES"/files/Agent.*.gz
BEFORE="$(tree_hash "$DAVAULT_ARCHIVE")"
unchanged() { eq "$1: archive unchanged" "$BEFORE" "$(tree_hash "$DAVAULT_ARCHIVE")"; }

# Truncated gzip.
head -c 300 "$SAMPLES"/files/WebSession.*.gz > "$T/WebSession.1467291600000.1467295200000.part-00009-0.gz"
dv ingest "$T/WebSession.1467291600000.1467295200000.part-00009-0.gz"
eq "truncated gzip exit" 1 "$RC"
contains "truncated gzip names the file" "WebSession.1467291600000.1467295200000.part-00009-0.gz" "$ERR"
contains "truncated gzip says why" "truncated" "$ERR"
unchanged "truncated gzip"

# Corrupt gzip (bytes flipped in the middle of the deflate stream).
cp "$SAMPLES"/files/Engagement.*.gz "$T/corrupt.gz"
printf '\xff\xff\xff\xff\xff\xff' | dd of="$T/corrupt.gz" bs=1 seek=100 conv=notrunc 2>/dev/null
dv ingest "$T/corrupt.gz"
eq "corrupt gzip exit" 1 "$RC"
contains "corrupt gzip names the file" "corrupt.gz" "$ERR"
unchanged "corrupt gzip"

# A line that is not JSON, after a good one: nothing of the file enters.
{ zcat "$SAMPLES"/files/Survey.*.gz; echo '{"dataType": this is not json'; } | gzip -n > "$T/badline.gz"
dv ingest "$T/badline.gz"
eq "bad line exit" 1 "$RC"
contains "bad line names the file" "badline.gz" "$ERR"
contains "bad line names the record" "record 2" "$ERR"
unchanged "bad line"
dvj find conversation:755558514295254843
eq "good record of a failed file not ingested" 0 "$(j .count)"

# Unknown data type.
zcat "$SAMPLES"/files/Survey.*.gz | sed 's/"Survey"}/"Chatbot"}/' | gzip -n > "$T/unknown.gz"
dv ingest "$T/unknown.gz"
eq "unknown type exit" 1 "$RC"
contains "unknown type named" "unknown.gz" "$ERR"
contains "unknown type says so" "data type" "$ERR"
unchanged "unknown type"

# Wrong key.
printf 'some other key material\n' > "$T/wrong.key"; chmod 600 "$T/wrong.key"
DAVAULT_KEY_FILE="$T/wrong.key" dv find agent:9
eq "wrong key exit" 1 "$RC"
contains "wrong key message" "wrong key" "$ERR"
unchanged "wrong key"

# World-readable key file.
cp "$DAVAULT_KEY_FILE" "$T/open.key"; chmod 644 "$T/open.key"
DAVAULT_KEY_FILE="$T/open.key" dv find agent:9
eq "world-readable key exit" 1 "$RC"
contains "world-readable key message" "readable by group or others" "$ERR"
unchanged "world-readable key"

# Missing key.
SAVED_KEY="$DAVAULT_KEY_FILE"; unset DAVAULT_KEY_FILE
dv find agent:9
export DAVAULT_KEY_FILE="$SAVED_KEY"
eq "missing key exit" 2 "$RC"
contains "missing key message" "DAVAULT_KEY_FILE" "$ERR"
unchanged "missing key"

# Missing archive.
dv --archive "$T/nowhere" find agent:9
eq "missing archive exit" 1 "$RC"
contains "missing archive message" "no archive at $T/nowhere" "$ERR"

# Locked archive: another process holds the writer lock.
flock -x "$DAVAULT_ARCHIVE/lock" sleep 3 &
LOCKER=$!
sleep 0.3
DAVAULT_LOCK_TIMEOUT_MS=200 dv ingest "$SAMPLES"/files/Engagement.*.gz
eq "locked archive exit" 5 "$RC"
contains "locked archive message" "busy" "$ERR"
wait "$LOCKER"
unchanged "locked archive"

# Bad credentials and an unreachable server.
mkdir -p "$T/files"; cp "$SAMPLES"/files/*.gz "$T/files/"
start_fake "$T/files"
LP_APP_SECRET=wrong dv pull --account 75555851 --base-url "$BASE_URL" --from 2016-06-01 --to 2016-06-02
eq "bad credentials exit" 1 "$RC"
contains "bad credentials message" "Unauthorized" "$ERR"
not_contains "no secret in the message" "wrong" "$ERR"
not_contains "no real secret in the message" "$LP_APP_SECRET" "$ERR"
stop_fake
dv pull --account 75555851 --base-url "http://127.0.0.1:9" --from 2016-06-01 --to 2016-06-02
eq "unreachable exit" 1 "$RC"
contains "unreachable names the server" "127.0.0.1:9" "$ERR"
dv pull --account 75555851 --base-url "http://example.test" --from 2016-06-01 --to 2016-06-02
eq "plain http to a remote host is a usage error" 2 "$RC"

# Usage errors.
dv find
eq "find without subject" 2 "$RC"
dv find "nokind:1"
eq "unknown kind" 2 "$RC"
dv sweep --as-of yesterday
eq "bad time" 2 "$RC"
contains "bad time names the option" "--as-of" "$ERR"
unchanged "all failures together"

# One line per error.
dv ingest "$T/corrupt.gz"
eq "one error line" 1 "$(printf '%s\n' "$ERR" | grep -c 'davault ingest:')"
finish
