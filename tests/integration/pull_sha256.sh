#!/usr/bin/env bash
# The SHA-256 of what davault downloaded and ingested equals the source file's, after a cut body
# resumed with Range; a server digest (Repr-Digest) that does not match keeps the file out.
source "$(dirname "$0")/lib.sh"
export DAVAULT_RETRY_SCALE=0.01

"$GEN" --out "$T/files" --start "$(iso 0)" --hours 1 --types survey --parts 3 \
  --records-per-file 40 --manifest "$T/manifest.json" >/dev/null
mapfile -t NAMES < <(jq -r '.files | keys[]' "$T/manifest.json" | sort)
CUT=${NAMES[0]}; WRONG=${NAMES[1]}; PLAIN=${NAMES[2]}
SIZE=$(stat -c %s "$T/files/$CUT")
if [ "$SIZE" -gt 1000 ]; then pass; else fail "file too small to cut twice ($SIZE)"; fi
cat >"$T/faults.json" <<JSON
{"rules": [
  {"path_contains": "$CUT", "times": 2, "truncate_after_bytes": 400},
  {"path_contains": "$WRONG", "times": 1, "wrong_digest": true}
]}
JSON
start_fake "$T/files" --faults "$T/faults.json"
dvj init

dv --json pull --account 75555851 --base-url "$BASE_URL" --types survey --from "$(iso 0)" --to "$(iso 1)"
eq "exit 1: the file with the wrong digest" 1 "$RC"
eq "two files ingested" 2 "$(j .files_ingested)"
eq "the wrong-digest file failed" "$WRONG" "$(j '.files_failed | join(",")')"
contains "named as a digest mismatch" "differs from the server's Repr-Digest; not ingested" "$OUT"
eq "its records kept out" "$(jq --arg f "$CUT" --arg p "$PLAIN" '.files[$f].records + .files[$p].records' "$T/manifest.json")" \
  "$(j .records_ingested)"

# The cut file: 400 bytes, resumed at 400, then at 800, answered 206 from exactly there.
reqs() { jq -c --arg f "$1" 'select(.path | endswith("/" + $f))' "$T/requests.log"; }
eq "cut file resumed" "null:200 bytes=400-:206 bytes=800-:206" \
  "$(reqs "$CUT" | jq -r '"\(.range // "null"):\(.status)"' | tr '\n' ' ' | sed 's/ $//')"
SRC_SHA=$(sha256sum "$T/files/$CUT" | cut -d' ' -f1)
eq "server logs the source's SHA-256" "$SRC_SHA" "$(reqs "$CUT" | jq -r .sha256 | sort -u)"
eq "davault's SHA-256 of the assembled bytes" "$SRC_SHA" \
  "$(j '.downloads[] | select(.file == "'"$CUT"'") | .sha256')"
eq "bytes archived" "$SIZE" "$(j '.downloads[] | select(.file == "'"$CUT"'") | .bytes')"
eq "checked against the server's digest" matched \
  "$(j '.downloads[] | select(.file == "'"$CUT"'") | .server_digest')"
eq "plain file too" "$(sha256sum "$T/files/$PLAIN" | cut -d' ' -f1)" \
  "$(j '.downloads[] | select(.file == "'"$PLAIN"'") | .sha256')"

# Next run: the digest is right again; the file comes in whole and matches.
dvj pull --account 75555851 --base-url "$BASE_URL" --types survey --from "$(iso 0)" --to "$(iso 1)"
eq "wrong-digest file ingested on the next run" 1 "$(j .files_ingested)"
eq "its SHA-256" "$(sha256sum "$T/files/$WRONG" | cut -d' ' -f1)" "$(j '.downloads[0].sha256')"
eq "all records in" "$(jq '[.files[].records] | add' "$T/manifest.json")" "$(dv --json status; j .records)"
finish
