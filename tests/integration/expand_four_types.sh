#!/usr/bin/env bash
# One person spread over all four data types under different identifiers (an agent who also
# chatted as a visitor): erase --expand email:... removes exactly that person's records and
# nobody else's, and the rest still decrypt and verify.
source "$(dirname "$0")/lib.sh"

"$GEN" --out "$T/files" --seed 61 --start "2026-11-20T00:00:00Z" --hours 6 --records-per-file 10 \
  --plant "name=erin,email=erin.four@example.test,agent=erin.four@example.test,types=agentActivity,webSession,engagement,survey,count=2" \
  --manifest "$T/m.json" >/dev/null
# The person's records: every (file, record) where any of their identifiers occurs.
PERSON="$(jq '[.planted.erin.identifiers[] | .occurrences[] | "\(.file)#\(.record)"] | unique | length' "$T/m.json")"
for t in agentActivity webSession engagement survey; do
  n="$(jq "[.planted.erin.identifiers[] | .occurrences[] | select(.type == \"$t\") | \"\(.file)#\(.record)\"] | unique | length" "$T/m.json")"
  [ "$n" -gt 0 ] && pass || fail "the planted person has $t records"
done
export DAVAULT_NOW="2026-11-21T00:00:00Z"
dvj init
dvj ingest "$T"/files/*.gz
TOTAL="$(j .records_ingested)"

dvj find email:erin.four@example.test
DIRECT="$(j .count)"
dvj find --expand email:erin.four@example.test
eq "expand finds every record of the person" "$PERSON" "$(j .count)"
[ "$(j '.followed | length')" -gt 0 ] && pass || fail "expand reports what it followed"
[ "$DIRECT" -le "$PERSON" ] && pass || fail "direct find is a subset"
eq "all four types" 4 "$(j '[.matches[].type] | unique | length')"
contains "followed list says why" "found in" "$(j '.followed[0].why')"

dvj erase --expand email:erin.four@example.test --request RTBF-ERIN
eq "erased exactly the person's records" "$PERSON" "$(j .records_erased)"
dvj status
eq "nobody else's records erased" "$((TOTAL - PERSON))" "$(j .records)"
dvj verify --deep
eq "the rest decrypt and verify" true "$(j .ok)"
eq "every remaining payload checked" "$((TOTAL - PERSON))" "$(j .payloads_checked)"
finish
