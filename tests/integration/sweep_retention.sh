#!/usr/bin/env bash
# sweep --as-of deletes exactly the records past 30 days and keeps the rest; dry runs change
# nothing; the guard refuses a sweep that would delete most of the archive.
source "$(dirname "$0")/lib.sh"

"$GEN" --out "$T/old" --seed 21 --start "2026-10-01T00:00:00Z" --hours 2 --records-per-file 10 \
  --manifest "$T/old.json" >/dev/null
"$GEN" --out "$T/new" --seed 22 --start "2026-11-20T00:00:00Z" --hours 3 --records-per-file 10 \
  --manifest "$T/new.json" >/dev/null
OLD="$(jq .totals.all.unique_records "$T/old.json")"
NEW="$(jq .totals.all.unique_records "$T/new.json")"

dvj init
dvj ingest "$T"/old/*.gz "$T"/new/*.gz
eq "all ingested" "$((OLD + NEW))" "$(j .records_ingested)"

BEFORE="$(tree_hash "$DAVAULT_ARCHIVE")"
dvj sweep --dry-run --as-of 2026-11-25T00:00:00Z
eq "dry run plans the old records" "$OLD" "$(j .records_to_delete)"
eq "dry run deletes nothing" 0 "$(j .records_deleted)"
eq "dry run status" planned "$(j .status)"
eq "dry run leaves the archive byte-for-byte" "$BEFORE" "$(tree_hash "$DAVAULT_ARCHIVE")"

dvj sweep --as-of 2026-11-25T00:00:00Z
eq "sweep status" completed "$(j .status)"
eq "as_of printed in UTC" "2026-11-25T00:00:00Z" "$(j .as_of)"
eq "cutoff is 30 days before" "2026-10-26T00:00:00Z" "$(j .cutoff)"
eq "deleted exactly the old records" "$OLD" "$(j .records_deleted)"
eq "files emptied" "$(jq '.files | length' "$T/old.json")" "$(j .files_deleted)"
dvj status
eq "the rest kept" "$NEW" "$(j .records)"
dvj verify --deep
eq "verify after sweep" true "$(j .ok)"

# Far in the future everything would go: refused (more than half), nothing changes.
BEFORE="$(tree_hash "$DAVAULT_ARCHIVE")"
dv --json sweep --as-of 2027-06-01
eq "mass deletion refused" 4 "$RC"
eq "refusal status" refused "$(j .status)"
dvj status
eq "nothing deleted by the refused sweep" "$NEW" "$(j .records)"
dvj report --format json
eq "the refusal is in the report" 1 "$(j .refusals.count)"
eq "report counts the sweep" "$OLD" "$(j .sweep.records_deleted)"
dvj sweep --as-of 2027-06-01 --force
eq "forced sweep deletes the rest" "$NEW" "$(j .records_deleted)"

# An undatable batch: records without any time, from a file without a Data Access scope.
zcat "$SAMPLES"/files/Survey.*.gz \
  | sed -e 's/"startTime":{"long":[0-9]*}/"startTime":null/' -e 's/"endTime":{"long":[0-9]*}/"endTime":null/' \
  > "$T/undatable-export.json"
"$GEN" --out "$T/fresh" --seed 23 --start "2026-11-22T00:00:00Z" --hours 2 --records-per-file 10 --manifest "$T/fresh.json" >/dev/null
dvj ingest "$T/undatable-export.json" "$T"/fresh/*.gz
BEFORE="$(tree_hash "$DAVAULT_ARCHIVE")"
dv --json sweep --as-of 2026-11-25T00:00:00Z
eq "undatable batch: sweep refuses" 4 "$RC"
eq "undatable count reported" 1 "$(j .records_undatable)"
contains "refusal names the reason" "undatable" "$(j .refusal)"
eq "refused sweep deleted nothing" 81 "$("$DAVAULT" --json status | jq .records)"
dvj sweep --as-of 2026-11-25T00:00:00Z --force
eq "forced: undatable records are kept, never guessed" 1 "$(j .records_undatable)"
dvj status
eq "the undatable record is still there" "$(( $(jq .totals.all.unique_records "$T/fresh.json" 2>/dev/null || echo 20) + 1 ))" "$(j .records)"
finish
