#!/usr/bin/env bash
# The compliance officer's day: deadlines (month ends, extension, overdue exit code), legal
# holds through sweep and erasure, dry-run byte-for-byte, plan refusal, certificates, reports.
source "$(dirname "$0")/lib.sh"

"$GEN" --out "$T/files" --seed 31 --start "2027-01-10T00:00:00Z" --hours 4 --records-per-file 10 \
  --plant "name=hana,email=hana.held@example.test,visitor=HanaHeldVisitor0000001,types=webSession,engagement,count=2" \
  --plant "name=ivan,email=ivan.erased@example.test,types=webSession,engagement,count=2" \
  --manifest "$T/m.json" >/dev/null
# Two extra records for ivan that arrive later (new data of the person after a plan was made).
"$GEN" --out "$T/late" --seed 32 --start "2027-01-20T00:00:00Z" --hours 1 --records-per-file 5 \
  --plant "name=ivan,email=ivan.erased@example.test,types=webSession,count=1" >/dev/null

export DAVAULT_NOW="2027-01-31T10:00:00Z"
dvj init
dvj ingest "$T"/files/*.gz
TOTAL="$(j .records_ingested)"

# Deadline: received 31 January -> due 28 February (2027 is not a leap year).
dvj erase email:nobody@example.test --request REQ-JAN31 --received 2027-01-31
eq "deadline clamps to the month's end" "2027-02-28T00:00:00Z" \
  "$("$DAVAULT" --json requests REQ-JAN31 | jq -r '.requests[0].deadline')"
DAVAULT_NOW="2028-01-31T00:00:00Z" dvj erase email:nobody2@example.test --request REQ-LEAP --received 2028-01-31
eq "leap-year deadline" "2028-02-29T00:00:00Z" \
  "$("$DAVAULT" --json requests REQ-LEAP | jq -r '.requests[0].deadline')"

# An access request still open: record it, then look at it with a later clock.
dvj export email:ivan.erased@example.test --out "$T/ivan.json" --request SAR-1 --received 2027-01-31
dvj hold add email:hana.held@example.test --reason "litigation hold L-7" --until 2099-01-01
HOLD="$(j .hold)"
HANA="$(j .records)"
[ "$HANA" -gt 0 ] && pass || fail "the hold covers hana's records"

# Held person survives a sweep far in the future...
dvj sweep --as-of 2098-06-01 --force
eq "held records kept by the sweep" "$HANA" "$(j .records_held)"
contains "the sweep reports the hold" "hold $HOLD" "$(j '.held[0].reason')"
dvj status
eq "only hana is left" "$HANA" "$(j .records)"
# ...and an erasure: it completes except the held records.
dvj erase email:hana.held@example.test --request RTBF-HANA
eq "erasure of a held person" held "$(j .status)"
eq "held count" "$HANA" "$(j .records_held)"
eq "nothing erased" 0 "$(j .records_erased)"
dvj requests RTBF-HANA
eq "request shows held" held "$(j '.requests[0].status')"
contains "request shows the hold reason" "litigation hold L-7" "$(j '.requests[0].held[0].reason')"
dvj report --format json
eq "report counts held records of erasures" "$HANA" "$(j .erasure.records_held)"

# Release: the next sweep removes them and completes the pending erasure.
dvj hold release "$HOLD"
dvj hold list
eq "hold released" released "$(j '.holds[0].state')"
dvj report --format json
SWEPT_BEFORE="$(j .sweep.records_deleted)"
ERASURES_BEFORE="$(j .erasure.erasures)"; ERASED_BEFORE="$(j .erasure.records_erased)"
dvj sweep
eq "pending erasure completed by the sweep" "$HANA" "$(j .records_deleted)"
eq "the sweep issued the erasure's certificate" 1 "$(j '.certificates | length')"
CERT="$(j '.certificates[0]')"
eq "certificate: completed by the sweep" sweep "$(jq -r .completed_by "$CERT")"
eq "certificate: status" completed "$(jq -r .status "$CERT")"
eq "certificate: records erased" "$HANA" "$(jq -r .records_erased "$CERT")"
eq "certificate: nothing answers" true "$(jq -r .residue_scan.ok "$CERT")"
"$DAVAULT" audit pubkey > "$T/hana.pub"
dv certificate verify "$CERT" --pubkey "$T/hana.pub"
eq "the sweep's certificate verifies" 0 "$RC"
dvj find email:hana.held@example.test
eq "hana gone after release" 0 "$(j .count)"
dvj requests RTBF-HANA
eq "request completed" completed "$(j '.requests[0].status')"
# The completion is evidenced like any erasure: its own erase entry and signed certificate,
# and the report counts those records under the erasure, not under the retention sweep.
dvj report --format json
eq "the completion is not counted as another erasure" "$ERASURES_BEFORE" "$(j .erasure.erasures)"
eq "the held records count as erased for the request" "$HANA" "$(j ".erasure.records_erased - $ERASED_BEFORE")"
eq "and not as swept by retention" 0 "$(j '.sweep.records_deleted - '"$SWEPT_BEFORE")"

# Fresh archive for plans and the mass-deletion guard.
export DAVAULT_ARCHIVE="$T/archive2"
dvj init
dvj ingest "$T"/files/*.gz
BEFORE="$(tree_hash "$DAVAULT_ARCHIVE")"
dvj erase email:ivan.erased@example.test --request RTBF-IVAN --dry-run --save-plan "$T/plan.json"
PLAN="$(j .plan)"
eq "dry run status" planned "$(j .status)"
eq "dry run changes no byte of the archive" "$BEFORE" "$(tree_hash "$DAVAULT_ARCHIVE")"
eq "saved plan has the hash" "$PLAN" "$(jq -r .plan "$T/plan.json")"
# New data of ivan arrives: the plan no longer matches and is refused.
dvj ingest "$T"/late/*.gz
BEFORE="$(tree_hash "$DAVAULT_ARCHIVE")"
dv --json erase email:ivan.erased@example.test --request RTBF-IVAN --plan "$PLAN"
eq "changed plan refused" 4 "$RC"
eq "refused status" refused "$(j .status)"
dvj find email:ivan.erased@example.test
[ "$(j .count)" -gt 0 ] && pass || fail "nothing erased by the refused plan"
# The current plan applies.
dvj erase email:ivan.erased@example.test --request RTBF-IVAN --dry-run
dvj erase email:ivan.erased@example.test --request RTBF-IVAN --plan "$(j .plan)"
eq "matching plan applied" completed "$(j .status)"
CERT="$(j .certificate)"
"$DAVAULT" audit pubkey > "$T/pubkey"
dv certificate verify "$CERT" --pubkey "$T/pubkey"
eq "certificate verifies with the public key alone" 0 "$RC"
sed '0,/"records_erased": \([0-9]*\)/s//"records_erased": 9\1/' "$CERT" > "$T/tampered.json"
dv certificate verify "$T/tampered.json" --pubkey "$T/pubkey"
eq "one changed character fails" 3 "$RC"
sed 's/"davault_certificate": 1,/"davault_certificate": 1 ,/' "$CERT" > "$T/tampered2.json"
dv certificate verify "$T/tampered2.json" --pubkey "$T/pubkey"
eq "even whitespace fails" 3 "$RC"

# 90% of the archive: refused.
dv --json sweep --as-of 2027-12-01
eq "90% deletion refused" 4 "$RC"
contains "refusal says why" "more than the policy's limit" "$(j .refusal)"

# Deadlines as time passes: an erasure kept open by a hold is flagged due soon, then overdue
# (exit 6 from requests and status), and an extension (once) moves the deadline two months.
DAVAULT_NOW="2027-01-31T12:00:00Z" dvj hold add email:hana.held@example.test --reason "audit hold"
DAVAULT_NOW="2027-01-31T12:00:00Z" dvj erase email:hana.held@example.test --request OPEN-1 --received 2027-01-31
eq "open request" held "$(j .status)"
DAVAULT_NOW="2027-02-25T00:00:00Z" dv --json requests OPEN-1
eq "due within 7 days: not yet attention" 0 "$RC"
eq "due soon flagged" true "$(j '.requests[0].due_soon')"
eq "days left" 3 "$(j '.requests[0].days_left')"
DAVAULT_NOW="2027-03-01T00:00:00Z" dv --json requests
eq "overdue: attention exit code" 6 "$RC"
eq "overdue flagged" true "$(j '.requests[] | select(.ref == "OPEN-1") | .overdue')"
DAVAULT_NOW="2027-03-01T00:00:00Z" dv --json status
eq "status exits 6 too" 6 "$RC"
eq "status lists the overdue request" 1 "$(j .overdue_requests)"
DAVAULT_NOW="2027-02-20T00:00:00Z" dvj requests extend OPEN-1 --reason "complex request, person told on 2027-02-20"
eq "extended deadline: two more months" "2027-04-28T00:00:00Z" "$(j '.requests[0].deadline')"
DAVAULT_NOW="2027-03-01T00:00:00Z" dv --json requests
eq "after the extension: not overdue" 0 "$RC"
dv --json requests extend OPEN-1 --reason "again"
eq "a second extension is refused" 4 "$RC"
dvj report --format json
REPORT_JSON="$OUT"
dvj report --format csv
CSV="$(j .rendered)"
"$DAVAULT" report --format csv --out "$T/report.csv"
"$DAVAULT" report --format html --out "$T/report.html"
for key in requests.received requests.open erasure.records_held sweep.records_deleted ingest.records; do
  section="${key%%.*}"; metric="${key#*.}"
  json_value="$(printf '%s' "$REPORT_JSON" | jq -r ".$key")"
  csv_value="$(grep "^$section,$metric," "$T/report.csv" | cut -d, -f3)"
  html_value="$(grep -o "data-key=\"$key\">[^<]*" "$T/report.html" | cut -d'>' -f2)"
  eq "csv agrees with json on $key" "$json_value" "$csv_value"
  eq "html agrees with json on $key" "$json_value" "$html_value"
done
finish
