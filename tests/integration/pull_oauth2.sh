#!/usr/bin/env bash
# pull --auth oauth2: Bearer tokens from the fake's Sentinel token endpoint, refreshed when the
# server stops accepting one (mid-pull) and before expiry; secrets and tokens never leak.
source "$(dirname "$0")/lib.sh"
export DAVAULT_RETRY_SCALE=0.01

"$GEN" --out "$T/files" --start "$(iso 0)" --hours 1 --types engagement --parts 6 \
  --records-per-file 4 --manifest "$T/manifest.json" >/dev/null
mapfile -t NAMES < <(jq -r '.files | keys[]' "$T/manifest.json" | sort)
RECORDS=$(jq '[.files[].records] | add' "$T/manifest.json")
CLIENT_ID="it-client-id-0042"
CLIENT_SECRET="it-client-secret-Zq9s3cr3t"
printf 'LP_CLIENT_ID=%s\nLP_CLIENT_SECRET=%s\n' "$CLIENT_ID" "$CLIENT_SECRET" >"$T/creds2.env"
chmod 600 "$T/creds2.env"
printf 'LP_CLIENT_ID=%s\nLP_CLIENT_SECRET=%s\n' "$CLIENT_ID" "wrong-secret-value" >"$T/bad2.env"
chmod 600 "$T/bad2.env"

# Each token is good for 3 requests: 1 listing + 6 downloads need at least three tokens.
LP_CLIENT_ID="$CLIENT_ID" LP_CLIENT_SECRET="$CLIENT_SECRET" start_fake "$T/files" --auth oauth2 \
  --token-max-uses 3 --token-file "$T/tokens.txt"
TOKEN_URL="$BASE_URL/sentinel/api/v2/account/75555851/app/token"
dvj init

dv --json pull --account 75555851 --base-url "$BASE_URL" --types engagement --auth oauth2 \
  --auth-url "$TOKEN_URL" --credentials "$T/bad2.env"
cp "$T/.err" "$T/bad.err"; printf '%s' "$OUT" >"$T/bad.out"
eq "wrong client secret exits 1" 1 "$RC"
contains "refusal named" "invalid_client" "$OUT"
eq "nothing ingested" 0 "$(j .files_ingested)"
dv --json pull --account 75555851 --base-url "$BASE_URL" --types engagement --auth oauth3
eq "unknown --auth is a usage error" 2 "$RC"
chmod 644 "$T/creds2.env"
dv --json pull --account 75555851 --base-url "$BASE_URL" --types engagement --auth oauth2 \
  --auth-url "$TOKEN_URL" --credentials "$T/creds2.env"
eq "readable credentials file refused" 2 "$RC"
contains "chmod named" "chmod 600" "$OUT"
chmod 600 "$T/creds2.env"
L0=$(wc -l <"$T/requests.log")

dv --json pull --account 75555851 --base-url "$BASE_URL" --types engagement --auth oauth2 \
  --auth-url "$TOKEN_URL" --credentials "$T/creds2.env" --parallel 2
cp "$T/.err" "$T/run1.err"; printf '%s' "$OUT" >"$T/run1.out"
eq "oauth2 pull exits 0" 0 "$RC"
eq "files ingested" 6 "$(j .files_ingested)"
eq "records ingested" "$RECORDS" "$(j .records_ingested)"
run() { tail -n +"$(( L0 + 1 ))" "$T/requests.log"; }
TOKENS=$(run | jq -s '[ .[] | select(.path | endswith("/app/token")) | select(.status == 200) ] | length')
if [ "$TOKENS" -ge 3 ]; then pass; else fail "expected >= 3 tokens, got $TOKENS"; fi
eq "tokens reported" "$TOKENS" "$(j .tokens_fetched)"
USED_UP=$(run | jq -s '[ .[] | select(.status == 401) | select(.auth_error == "token expired (used up)") ] | length')
if [ "$USED_UP" -ge 1 ]; then pass; else fail "no token expired mid-pull"; fi
eq "no other refusal" 0 "$(run | jq -s '[ .[] | select(.status == 401) | select(.auth_error != "token expired (used up)") ] | length')"
eq "every data request carried a token" 0 \
  "$(run | jq -s '[ .[] | select(.path | endswith("/app/token") | not) | select(.auth == "none") ] | length')"
for f in "${NAMES[@]}"; do
  eq "$f: 200 once" 1 "$(run | jq -s --arg f "$f" '[ .[] | select(.path | endswith("/" + $f)) | select(.status == 200) ] | length')"
  # A refused request is asked again (same path) and then answered.
  eq "$f: last answer 200" 200 "$(run | jq -s --arg f "$f" '[ .[] | select(.path | endswith("/" + $f)) ] | last | .status')"
done
eq "token requests are POSTs with nothing in the query" "POST:" \
  "$(run | jq -r 'select(.path | endswith("/app/token")) | "\(.method):\(.query)"' | sort -u | tr -d '\n')"

# Tokens that expire by time: a 2 s lifetime, slow downloads, one at a time: the pull outlives
# its first token and completes with every file once.
stop_fake
mv "$T/requests.log" "$T/requests-uses.log"
cat "$T/tokens.txt" >>"$T/all-tokens.txt"
cat >"$T/slow.json" <<'JSON'
{"rules": [{"path_contains": "/le/engagement/", "delay_ms": 700}]}
JSON
LP_CLIENT_ID="$CLIENT_ID" LP_CLIENT_SECRET="$CLIENT_SECRET" start_fake "$T/files" --auth oauth2 \
  --token-lifetime-s 2 --token-file "$T/tokens.txt" --faults "$T/slow.json"
TOKEN_URL="$BASE_URL/sentinel/api/v2/account/75555851/app/token"
export DAVAULT_ARCHIVE="$T/archive2"
dvj init
dv --json pull --account 75555851 --base-url "$BASE_URL" --types engagement --auth oauth2 \
  --auth-url "$TOKEN_URL" --credentials "$T/creds2.env" --parallel 1
cp "$T/.err" "$T/run2.err"; printf '%s' "$OUT" >"$T/run2.out"
eq "time-expiry pull exits 0" 0 "$RC"
eq "time-expiry: files ingested" 6 "$(j .files_ingested)"
TOKENS2=$(jq -s '[ .[] | select(.path | endswith("/app/token")) | select(.status == 200) ] | length' "$T/requests.log")
if [ "$TOKENS2" -ge 2 ]; then pass; else fail "token not refreshed in a pull longer than its lifetime ($TOKENS2)"; fi
for f in "${NAMES[@]}"; do
  eq "$f: 200 once (time expiry)" 1 "$(jq -s --arg f "$f" '[ .[] | select(.path | endswith("/" + $f)) | select(.status == 200) ] | length' "$T/requests.log")"
done
dvj status
eq "records in the second archive" "$RECORDS" "$(j .records)"
stop_fake
cat "$T/tokens.txt" >>"$T/all-tokens.txt"

# The client secret and every token handed out: in no log, no output, not in the archive.
eq "tokens recorded" "$(( TOKENS + TOKENS2 ))" "$(wc -l <"$T/all-tokens.txt" | tr -d ' ')"
for secret in "$CLIENT_SECRET" $(cat "$T/all-tokens.txt"); do
  if grep -a -F -q -- "$secret" "$T"/*.log "$T"/*.err "$T"/*.out "$T/fake.out" "$T/fake.err"; then
    fail "a secret or token is in a log or output"
  else pass; fi
  for a in "$T/archive" "$T/archive2"; do
    if grep -r -a -F -q -- "$secret" "$a"; then fail "a secret or token is in $a"; else pass; fi
  done
done
finish
