#!/usr/bin/env bash
# The identifier index is versioned: under other rules (another identifier policy or a new
# normalization version) readers refuse instead of silently missing, and a writer re-indexes.
source "$(dirname "$0")/lib.sh"

dvj init
dvj ingest "$SAMPLES"/files/*.gz
dvj find "customer:Account: 89995382"
eq "customer found under the shipped rules" 1 "$(j .count)"

# A policy without the customerId rule (e.g. a site that decided not to index it).
grep -v 'CustomerInfo.customerId' "$SOURCE_DIR/policies/identifiers.toml" > "$T/rules.toml"
dv --identifiers-policy "$T/rules.toml" find "customer:Account: 89995382"
eq "reader refuses under other rules" 1 "$RC"
contains "says how to rebuild" "davault reindex" "$ERR"
dvj --identifiers-policy "$T/rules.toml" reindex
eq "every record re-indexed" 4 "$(j .records_reindexed)"
dvj --identifiers-policy "$T/rules.toml" find "customer:Account: 89995382"
eq "customer no longer indexed under the new rules" 0 "$(j .count)"
dvj --identifiers-policy "$T/rules.toml" find "email:brooke.fake@example.test"
eq "other identifiers still found" 1 "$(j .count)"
# Back to the shipped rules: a writer re-indexes automatically.
dv find "customer:Account: 89995382"
eq "reader refuses again" 1 "$RC"
dvj ingest "$SAMPLES"/files/Agent.*.gz
dvj find "customer:Account: 89995382"
eq "found again after the automatic re-index" 1 "$(j .count)"
dvj verify --deep
eq "verify" true "$(j .ok)"
finish
