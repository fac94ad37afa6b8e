#!/usr/bin/env bash
# A file that keeps failing is reported with the days left before LivePerson deletes it (30 days
# after creation, counted from the file's scope end), in files_failed_details and the error line.
source "$(dirname "$0")/lib.sh"
export DAVAULT_RETRY_SCALE=0.01

"$GEN" --out "$T/files" --start 2026-11-01T10:00:00Z --hours 1 --types engagement --parts 2 \
  --records-per-file 3 --manifest "$T/manifest.json" >/dev/null
mapfile -t NAMES < <(jq -r '.files | keys[]' "$T/manifest.json" | sort)
BAD=${NAMES[1]}
cat >"$T/faults.json" <<JSON
{"rules": [{"path_contains": "$BAD", "status": 401, "message": "Unauthorized request", "internal_code": 10}]}
JSON
start_fake "$T/files" --faults "$T/faults.json"
dvj init
WINDOW=(--from 2026-11-01T10:00:00Z --to 2026-11-01T11:00:00Z)

# Scope end 2026-11-01T11:00Z: LivePerson deletes it after 2026-12-01T11:00Z; 2.5 days from now.
DAVAULT_NOW=2026-11-28T23:00:00Z dv --json pull --account 75555851 --base-url "$BASE_URL" \
  --types engagement "${WINDOW[@]}"
eq "exit 1 on a failed file" 1 "$RC"
eq "the good file ingested" 1 "$(j .files_ingested)"
eq "failed file named" "$BAD" "$(j '.files_failed | join(",")')"
eq "details name it" "$BAD" "$(j '.files_failed_details[0].file')"
eq "days left" 2 "$(j '.files_failed_details[0].days_left')"
eq "deletion instant" "$(TZ=UTC date -d 2026-12-01T11:00:00Z +%Y-%m-%d)" \
  "$(j '.files_failed_details[0].deleted_after' | cut -c1-10)"
contains "error line says it" "2 days left before LivePerson deletes it" "$ERR"
contains "error line names the file" "$BAD" "$ERR"

# Half a day before the deadline: 0 days left.
DAVAULT_NOW=2026-11-30T23:00:00Z dv --json pull --account 75555851 --base-url "$BASE_URL" \
  --types engagement "${WINDOW[@]}"
eq "0 days left" 0 "$(j '.files_failed_details[0].days_left')"
contains "0 days in the error" "0 days left before LivePerson deletes it" "$ERR"
eq "the good file skipped" 1 "$(j .files_skipped)"

# Past the deadline: negative, and said plainly.
DAVAULT_NOW=2026-12-03T12:00:00Z dv --json pull --account 75555851 --base-url "$BASE_URL" \
  --types engagement "${WINDOW[@]}"
eq "past the deadline" -3 "$(j '.files_failed_details[0].days_left')"
contains "may be gone" "LivePerson may already have deleted it" "$ERR"

# A pull without failures has an empty list.
stop_fake
start_fake "$T/files"
DAVAULT_NOW=2026-11-28T23:00:00Z dvj pull --account 75555851 --base-url "$BASE_URL" \
  --types engagement "${WINDOW[@]}"
eq "no details without failures" 0 "$(j '.files_failed_details | length')"
eq "the failed file now ingested" 1 "$(j .files_ingested)"
finish
