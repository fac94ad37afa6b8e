#!/usr/bin/env bash
# pull's progress: plain lines when stderr is not a terminal, one line redrawn with \r on a
# terminal (via script(1)); ingest in listing order even when a later download finishes first.
source "$(dirname "$0")/lib.sh"

"$GEN" --out "$T/files" --start "$(iso 0)" --hours 2 --types engagement --parts 3 \
  --records-per-file 4 --manifest "$T/manifest.json" >/dev/null
mapfile -t NAMES < <(jq -r '.files | keys[]' "$T/manifest.json" | sort)
eq "generated" 6 "${#NAMES[@]}"
# The first file of each hour is slow, so the others finish downloading before it.
cat >"$T/faults.json" <<JSON
{"rules": [{"path_contains": "${NAMES[0]}", "delay_ms": 600},
           {"path_contains": "${NAMES[3]}", "delay_ms": 600}]}
JSON
start_fake "$T/files" --faults "$T/faults.json"
dvj init
WINDOW=(--from "$(iso 0)" --to "$(iso 2)")

dvj pull --account 75555851 --base-url "$BASE_URL" --types engagement "${WINDOW[@]}" --parallel 3
eq "files ingested" 6 "$(j .files_ingested)"
not_contains "no carriage return off a terminal" $'\r' "$ERR"
PROGRESS=$(printf '%s\n' "$ERR" | grep -E '^pull: [0-9]+/[0-9]+ files, [0-9.]+ (B|KiB|MiB), [0-9.]+ (B|KiB|MiB)/s, ETA ' || true)
eq "one progress line per window with files" 1 "$(printf '%s\n' "$PROGRESS" | grep -c .)"
contains "all six counted" "pull: 6/6 files, " "$PROGRESS"
contains "ETA done" "ETA 0:00" "$PROGRESS"
DONE=$(printf '%s\n' "$ERR" | grep '^pull: done: ' || true)
contains "summary line" "pull: done: 6 files, " "$DONE"
# Ingest order is listing order (names sort as the fake lists them), whatever finished first.
eq "ingested in listing order" "$(printf '%s ' "${NAMES[@]}")" \
  "$(printf '%s\n' "$ERR" | sed -n 's/^ingested \([^:]*\):.*/\1/p' | tr '\n' ' ')"
FIRST_DONE=$(jq -s --arg a "${NAMES[0]}" --arg b "${NAMES[1]}" \
  -r '[ .[] | select(.path | endswith("/" + $a) or endswith("/" + $b)) ] | sort_by(.end_us) | .[0].path | split("/") | last' "$T/requests.log")
eq "a later file finished downloading first" "${NAMES[1]}" "$FIRST_DONE"

# --quiet: nothing of it.
rm -rf "$T/archive"; dvj init
dv --quiet --json pull --account 75555851 --base-url "$BASE_URL" --types engagement "${WINDOW[@]}"
eq "quiet pull exits 0" 0 "$RC"
eq "quiet: no stderr" "" "$ERR"

# On a terminal: the line is redrawn with \r and erased to the end; the summary stays.
if command -v script >/dev/null; then
  rm -rf "$T/archive"; dvj init
  script -qfec "'$DAVAULT' pull --account 75555851 --base-url '$BASE_URL' --types engagement \
    --from '$(iso 0)' --to '$(iso 2)' >/dev/null; echo \"rc=\$?\" >'$T/tty.rc'" \
    /dev/null >"$T/tty.out" </dev/null
  eq "tty pull exits 0" "rc=0" "$(cat "$T/tty.rc")"
  TTY=$(cat "$T/tty.out")
  contains "redrawn with carriage return" $'\r''pull: ' "$TTY"
  contains "erased to the end of line" $'\033[K' "$TTY"
  contains "final count on the live line" "pull: 6/6 files, " "$TTY"
  contains "summary on a terminal" "pull: done: 6 files, " "$TTY"
  dvj status
  eq "tty pull archived everything" "$(jq '[.files[].records] | add' "$T/manifest.json")" "$(j .records)"
else
  echo "script(1) not installed: terminal form not tested" >&2
fi
finish
