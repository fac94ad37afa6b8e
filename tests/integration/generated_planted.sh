#!/usr/bin/env bash
# Generated files with planted people: find counts for every planted identifier kind agree with
# the generator's manifest; erase removes exactly the person; a re-pull brings none back.
source "$(dirname "$0")/lib.sh"

START="2026-11-20T00:00:00Z"
"$GEN" --out "$T/files" --seed 7 --start "$START" --hours 6 --records-per-file 12 --dup-file \
  --plant "name=alice,email=Alice.Planted@example.test,phone=+44 20 7946 0991,visitor=AlicePlantedVisitor001,customer=CUST-ALICE-1,consumer=consumer-alice-1,ip=203.0.113.77,types=webSession,engagement,survey,count=3" \
  --plant "name=bob,email=bob.planted@example.test,agent=bob.agent@example.test,types=agentActivity,engagement,count=2" \
  --marker "zebra quantum marmalade" --manifest "$T/manifest.json" >/dev/null 2>"$T/gen.err" \
  || { cat "$T/gen.err"; exit 1; }
start_fake "$T/files"
export DAVAULT_NOW="2026-11-21T12:00:00Z"

dvj init
dvj pull --account 75555851 --base-url "$BASE_URL"
eq "no failures" 0 "$(j '.files_failed | length')"
eq "every generated file ingested" "$(jq '.files | length' "$T/manifest.json")" "$(j .files_ingested)"
for type in agentActivity webSession engagement survey; do
  expected="$(jq ".totals.$type.unique_records" "$T/manifest.json")"
  api_to_name() { case "$1" in agentActivity) echo AgentActivity;; webSession) echo WebSession;;
                  engagement) echo Engagement;; survey) echo Survey;; esac; }
  got="$(j ".records_per_type.$(api_to_name $type) // 0")"
  eq "records of $type (re-issued duplicate file counted once)" "$expected" "$got"
done

# Every planted identifier of every kind: find's count is the manifest's distinct record count.
while IFS=$'\t' read -r kind value count; do
  dvj find "$kind:$value"
  eq "find $kind (planted) count" "$count" "$(j .count)"
done < <(jq -r '.planted[] | .identifiers[] |
  [.kind, .value, ([.unique_records[]] | add)] | @tsv' "$T/manifest.json")

# find --json says which kind and field matched.
dvj find "email:alice.planted@example.test"
eq "matched kind is email" email "$(j '.matches[0].matched[0]')"
contains "a field is named" "." "$(j '.matches[].fields[]' | head -1)"

TOTAL_BEFORE="$("$DAVAULT" --json status | jq .records)"
dvj find --expand "email:alice.planted@example.test"
ALICE="$(j .count)"
dvj erase --expand "email:alice.planted@example.test" --request RTBF-ALICE
eq "erased exactly alice's linked records" "$ALICE" "$(j .records_erased)"
dvj find --expand "email:alice.planted@example.test"
eq "alice gone" 0 "$(j .count)"
dvj status
eq "nobody else's records went" "$((TOTAL_BEFORE - ALICE))" "$(j .records)"
dvj find "email:bob.planted@example.test"
BOB="$(j .count)"
[ "$BOB" -gt 0 ] && pass || fail "bob should still be found"

# A re-issued copy of every file (new names, same content) brings none of alice back.
mkdir -p "$T/reissued"
for b in $(jq -r '.files | to_entries[] | select(.value.duplicate_of == null) | .key' "$T/manifest.json"); do
  cp "$T/files/$b" "$T/reissued/${b/part-0000/part-0090}"
done
stop_fake; start_fake "$T/reissued"
dvj pull --account 75555851 --base-url "$BASE_URL" --from "$START" --to "2026-11-20T06:00:00Z"
eq "no new records from re-issued copies" 0 "$(j .records_ingested)"
eq "alice's records suppressed" "$ALICE" "$(j .records_suppressed)"
dvj find --expand "email:alice.planted@example.test"
eq "alice still gone" 0 "$(j .count)"
dvj verify --deep
eq "verify passes" true "$(j .ok)"
finish
