#!/usr/bin/env bash
# Pulls LivePerson's four sample files from the fake server and checks counts, find, erase,
# suppression on re-pull, and verify.
source "$(dirname "$0")/lib.sh"

mkdir -p "$T/files"
cp "$SAMPLES"/files/*.gz "$T/files/"
start_fake "$T/files"

dvj init
dvj pull --account 75555851 --base-url "$BASE_URL" --from 2016-06-01 --to 2016-08-01
eq "files ingested" 4 "$(j .files_ingested)"
# The Agent file holds the same record twice: one record, one duplicate copy.
eq "records ingested" 4 "$(j .records_ingested)"
eq "duplicate copies" 1 "$(j .records_duplicate)"
eq "agent records" 1 "$(j .records_per_type.AgentActivity)"
eq "web session records" 1 "$(j .records_per_type.WebSession)"
eq "engagement records" 1 "$(j .records_per_type.Engagement)"
eq "survey records" 1 "$(j .records_per_type.Survey)"
eq "no failures" 0 "$(j '.files_failed | length')"

# A second pull of the same window downloads nothing new.
dvj pull --account 75555851 --base-url "$BASE_URL" --from 2016-06-01 --to 2016-08-01
eq "re-pull ingests no file" 0 "$(j .files_ingested)"
eq "re-pull skips all four" 4 "$(j .files_skipped)"

# find: one record for each planted identifier of the samples.
check_find() {  # SUBJECT COUNT TYPE FIELD
  dvj find "$1"
  eq "find $1 count" "$2" "$(j .count)"
  if [ "$2" -gt 0 ]; then
    eq "find $1 type" "$3" "$(j '.matches[0].type')"
    contains "find $1 fields" "$4" "$(j '.matches[0].fields | join(",")')"
  fi
}
check_find "agent:9" 1 AgentActivity agentID
check_find "agent:cr.agent@example.test" 1 AgentActivity agentLoginname
check_find "email:cr.agent@example.test" 1 AgentActivity agentLoginname
check_find "email:Brooke.Fake@Example.test" 1 WebSession surname
check_find "visitor:pKytlMTwSPCwpJS-RQqtlQ" 1 WebSession visitorId
check_find "visit:AjvT6hLKTEi3AXgGnYu_mQ.606c99c686cbe0d422d558a5005b3ec2275dc20a" 1 WebSession visitId
check_find "customer:Account: 89995382" 1 WebSession customerId
check_find "conversation:755558514295264942" 1 Engagement conversationId
check_find "conversation:755558514295254843" 1 Survey conversationId
check_find "visitor:pKytlMTwSPCwpJS-RQqtlq" 0
dvj find "agent:9"
eq "agent record lists its file" "Agent.1465992000000.1465995600000.part-00000-0.gz" "$(j '.matches[0].file[0]')"
eq "agent record time" "2016-06-15T12:03:22.047Z" "$(j '.matches[0].time')"

# Export the web session visitor: exact bytes come back.
dvj export visitor:pKytlMTwSPCwpJS-RQqtlQ --out "$T/export.json"
eq "export count" 1 "$(j .count)"
eq "exported record is the sample line" "$(zcat "$SAMPLES"/files/WebSession.*.gz | jq -c .)" \
  "$(jq -c '.records[0].data' "$T/export.json")"

# Erase the web session visitor by e-mail; find returns 0; a re-pull brings nothing back.
dvj erase email:brooke.fake@example.test --request RTBF-1
eq "erase status" completed "$(j .status)"
eq "records erased" 1 "$(j .records_erased)"
eq "storage files rewritten" 1 "$(j .files_rewritten)"
dvj find email:brooke.fake@example.test
eq "find after erase" 0 "$(j .count)"
dvj find visitor:pKytlMTwSPCwpJS-RQqtlQ
eq "other ids of the erased record are gone too" 0 "$(j .count)"
dvj find agent:9
eq "other people untouched" 1 "$(j .count)"

# Forget the file names (as if LivePerson re-issued them) by pulling into a fresh listing:
# the suppression list keeps the person out.
mkdir -p "$T/files2"
zcat "$SAMPLES"/files/WebSession.*.gz | gzip -n > "$T/files2/WebSession.1467291600000.1467295200000.part-00001-0.gz"
stop_fake
start_fake "$T/files2"
dvj pull --account 75555851 --base-url "$BASE_URL" --from 2016-06-01 --to 2016-08-01
eq "re-issued file ingested as a file" 1 "$(j .files_ingested)"
eq "its record is suppressed" 1 "$(j .records_suppressed)"
eq "no record comes back" 0 "$(j .records_ingested)"
dvj find visitor:pKytlMTwSPCwpJS-RQqtlQ
eq "still erased after re-pull" 0 "$(j .count)"

dvj verify --deep
eq "verify ok" true "$(j .ok)"
dvj status
eq "status records" 3 "$(j .records)"
dvj audit verify
eq "audit ok" true "$(j .ok)"

# The credentials never reach the archive or the output.
for secret in "$LP_APP_SECRET" "$LP_ACCESS_TOKEN_SECRET"; do
  if archive_holds "$secret"; then fail "credential found in the archive"; else pass; fi
done
finish
