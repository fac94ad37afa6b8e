#!/usr/bin/env bash
# PGP-encrypted values (LivePerson's PGP option): transcript lines encrypted to a test RSA-4096
# key made here with gpg. With --pgp-key the encrypted e-mail is found and erased; without it,
# and with a wrong key, the records are stored as they came and reported as unsearchable;
# reindex --pgp-key makes them searchable; a key file others may read is refused.
source "$(dirname "$0")/lib.sh"

# Every GnuPG home davault makes goes under $T/tmp, so the test can see that none is left.
mkdir -m 700 "$T/tmp"
export TMPDIR="$T/tmp"
GH="$T/gnupg"
GH2="$T/gnupg-wrong"
mkdir -m 700 "$GH" "$GH2"
pgp_cleanup() {
  gpgconf --homedir "$GH" --kill gpg-agent 2>/dev/null || true
  gpgconf --homedir "$GH2" --kill gpg-agent 2>/dev/null || true
  cleanup
}
trap pgp_cleanup EXIT
gpgq() { gpg --batch --quiet --pinentry-mode loopback --passphrase '' "$@" 2>>"$T/gpg.err"; }

# The test key as LivePerson asks for it: RSA 4096, no expiry; and an unrelated "wrong" key.
gpgq --homedir "$GH" --quick-gen-key 'davault test <pgp-test@example.test>' rsa4096 cert,sign never
FPR=$(gpg --homedir "$GH" --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
gpgq --homedir "$GH" --quick-add-key "$FPR" rsa4096 encr never
gpgq --homedir "$GH" --armor --export-secret-keys "$FPR" >"$T/pgp.sec.asc"
gpgq --homedir "$GH" --armor --export "$FPR" >"$T/pgp.pub.asc"
chmod 600 "$T/pgp.sec.asc"
gpgq --homedir "$GH2" --quick-gen-key 'wrong key <wrong@example.test>' future-default default never
gpgq --homedir "$GH2" --armor --export-secret-keys >"$T/wrong.sec.asc"
chmod 600 "$T/wrong.sec.asc"
contains "test key is RSA 4096" "pub:u:4096:1:" "$(gpg --homedir "$GH" --with-colons --list-keys 2>/dev/null)"

EMAIL="pia.secret@example.test"
START="2026-11-20T00:00:00Z"
"$GEN" --out "$T/files" --seed 11 --start "$START" --hours 2 --types engagement \
  --records-per-file 4 --plant "name=pia,email=$EMAIL,types=engagement,count=2,forms=exact" \
  --pgp-recipient "$T/pgp.pub.asc" --pgp-fields text --manifest "$T/manifest.json" \
  >/dev/null 2>"$T/gen.err" || { cat "$T/gen.err"; exit 1; }
export DAVAULT_NOW="2026-11-21T12:00:00Z"

# What the files hold: the address only inside PGP messages, never in the clear.
RECORDS=$(jq '.totals.engagement.unique_records' "$T/manifest.json")
EXPECTED=$(jq --arg e "$EMAIL" '[.planted.pia.identifiers[] | select(.kind == "email" and .value == $e)
  | .unique_records[]] | add' "$T/manifest.json")
PGP_VALUES=$(zcat "$T/files"/*.gz | grep -o 'BEGIN PGP MESSAGE' | wc -l | tr -d ' ')
PGP_RECORDS=$(zcat "$T/files"/*.gz | grep -c 'BEGIN PGP MESSAGE')
eq "generated records" 8 "$RECORDS"
eq "every record has encrypted lines" "$RECORDS" "$PGP_RECORDS"
if [ "$EXPECTED" -ge 1 ]; then pass; else fail "no planted record holds the e-mail: $EXPECTED"; fi
contains "generator says how many values it encrypted" "$PGP_VALUES values PGP-encrypted" "$(cat "$T/gen.err")"
eq "address not in the clear in the files" 0 "$(zcat "$T/files"/*.gz | grep -c -i -F "$EMAIL" || true)"
start_fake "$T/files"

# No byte of the archive (index, WAL, segments) and no GnuPG home may hold the address.
no_plaintext() {
  if grep -r -a -i -F -l -- "$EMAIL" "$DAVAULT_ARCHIVE" >/dev/null 2>&1; then
    fail "$1: the address is in the archive"; else pass; fi
  # Key material never enters the archive either (a line from the middle of the secret key).
  local keyline
  keyline=$(sed -n '10p' "$T/pgp.sec.asc")
  if grep -r -a -F -l -- "$keyline" "$DAVAULT_ARCHIVE" >/dev/null 2>&1; then
    fail "$1: secret key material in the archive"; else pass; fi
  eq "$1: no GnuPG home left behind" "" "$(ls -A "$T/tmp")"
}
pull() {
  dv --json pull --account 75555851 --base-url "$BASE_URL" --types engagement --from "$START" \
    --to "2026-11-20T02:00:00Z" "$@"
}

# ---- 1. with the key: found, exported byte-exact, erased -------------------------------------
export DAVAULT_ARCHIVE="$T/with-key"
dvj init
pull --pgp-key "$T/pgp.sec.asc"
eq "with key: pull exits 0" 0 "$RC"
eq "with key: files" 2 "$(j .files_ingested)"
eq "with key: records" "$RECORDS" "$(j .records_ingested)"
eq "with key: values decrypted" "$PGP_VALUES" "$(j .pgp_values_decrypted)"
eq "with key: values left encrypted" 0 "$(j .pgp_values_unindexed)"
eq "with key: unsearchable records" 0 "$(j .unsearchable_records)"
not_contains "with key: key material not on stderr" "$(sed -n '10p' "$T/pgp.sec.asc")" "$ERR"
no_plaintext "with key, after pull"

dvj find "email:$EMAIL"
eq "with key: find count" "$EXPECTED" "$(j .count)"
eq "with key: find unsearchable" 0 "$(j .unsearchable_records)"
eq "with key: matched in the transcript" "transcripts.text" "$(j '[.matches[].fields[]] | unique | join(",")')"
dvj find "email:PIA.Secret@Example.TEST"
eq "with key: normalized query finds the same" "$EXPECTED" "$(j .count)"

dvj export "email:$EMAIL" --out "$T/export.json"
eq "export count" "$EXPECTED" "$(j .count)"
eq "export: address only encrypted" 0 "$(grep -c -i -F "$EMAIL" "$T/export.json" || true)"
# Every exported record is exactly one of the records LivePerson sent (still encrypted).
zcat "$T/files"/*.gz | jq -c . | sort >"$T/source.jsonl"
jq -c '.records[].data' "$T/export.json" | sort >"$T/exported.jsonl"
eq "export: records as they came" "" "$(comm -13 "$T/source.jsonl" "$T/exported.jsonl")"
eq "export: encrypted values kept" "$EXPECTED" "$(grep -c 'BEGIN PGP MESSAGE' "$T/exported.jsonl")"

dvj erase "email:$EMAIL" --request RTBF-PGP-1
eq "with key: erased" "$EXPECTED" "$(j .records_erased)"
eq "with key: erase unsearchable" 0 "$(j .unsearchable_records)"
dvj find "email:$EMAIL"
eq "with key: gone after erase" 0 "$(j .count)"
no_plaintext "with key, after erase"

# ---- 2. without the key: stored as they came, unsearchable, counted ---------------------------
export DAVAULT_ARCHIVE="$T/no-key"
dvj init
pull
eq "no key: pull exits 0" 0 "$RC"
eq "no key: records" "$RECORDS" "$(j .records_ingested)"
eq "no key: values left encrypted" "$PGP_VALUES" "$(j .pgp_values_unindexed)"
eq "no key: nothing decrypted" 0 "$(j .pgp_values_decrypted)"
eq "no key: records stored unsearchable" "$PGP_RECORDS" "$(j .records_unsearchable)"
eq "no key: unsearchable in the archive" "$PGP_RECORDS" "$(j .unsearchable_records)"
contains "no key: note on stderr" "PGP-encrypted values were not decrypted (no --pgp-key given)" "$ERR"
no_plaintext "no key, after pull"

dvj find "email:$EMAIL"
eq "no key: find count" 0 "$(j .count)"
eq "no key: find reports unsearchable" "$PGP_RECORDS" "$(j .unsearchable_records)"
dv find "email:$EMAIL"
contains "no key: human find says so" "unsearchable:     $PGP_RECORDS records in the archive hold PGP-encrypted values" "$OUT"
dvj status
eq "no key: status unsearchable" "$PGP_RECORDS" "$(j .unsearchable_records)"
dvj report --format json
eq "no key: report unsearchable" "$PGP_RECORDS" "$(j .archive.unsearchable_records)"
dv report --format csv
contains "no key: csv report" "archive,unsearchable_records,$PGP_RECORDS" "$OUT"

dvj erase "email:$EMAIL" --request RTBF-PGP-2
eq "no key: nothing erased" 0 "$(j .records_erased)"
eq "no key: erase reports unsearchable" "$PGP_RECORDS" "$(j .unsearchable_records)"
eq "no key: erase lists them" "$PGP_RECORDS" "$(j '.unsearchable | length')"
eq "no key: listed with the encrypted field" "transcripts.text" "$(j '[.unsearchable[].fields[]] | unique | join(",")')"
CERT="$(j .certificate)"
eq "no key: certificate says so" "$PGP_RECORDS" "$(jq .unsearchable_records "$CERT")"

# A later reindex with the key indexes them; the erasure can then be completed.
dvj reindex --pgp-key "$T/pgp.sec.asc"
eq "reindex with key: records" "$RECORDS" "$(j .records_reindexed)"
eq "reindex with key: none unsearchable" 0 "$(j .unsearchable_records)"
dvj find "email:$EMAIL"
eq "after reindex: found" "$EXPECTED" "$(j .count)"
eq "after reindex: unsearchable" 0 "$(j .unsearchable_records)"
no_plaintext "no key, after reindex"
# Without the key, a re-index would lose what the key indexed: refused, index unchanged.
BEFORE=$(tree_hash "$DAVAULT_ARCHIVE")
dv --json reindex
eq "reindex without the key refused" 1 "$RC"
contains "reindex refusal says why" "need the PGP key" "$ERR"
eq "refused reindex: one line" 1 "$(printf '%s\n' "$ERR" | wc -l | tr -d ' ')"
eq "refused reindex: archive unchanged" "$BEFORE" "$(tree_hash "$DAVAULT_ARCHIVE")"
dvj find "email:$EMAIL"
eq "refused reindex: still found" "$EXPECTED" "$(j .count)"
dvj erase "email:$EMAIL" --request RTBF-PGP-2
eq "after reindex: erased" "$EXPECTED" "$(j .records_erased)"
dvj find "email:$EMAIL"
eq "after reindex and erase: gone" 0 "$(j .count)"
no_plaintext "no key, after erase"

# ---- 3. a wrong key: unsearchable, not a crash -------------------------------------------------
export DAVAULT_ARCHIVE="$T/wrong-key"
dvj init
dv --json ingest --pgp-key "$T/wrong.sec.asc" "$T/files"/*.gz
eq "wrong key: ingest exits 0" 0 "$RC"
eq "wrong key: nothing decrypted" 0 "$(j .pgp_values_decrypted)"
eq "wrong key: values left encrypted" "$PGP_VALUES" "$(j .pgp_values_unindexed)"
eq "wrong key: unsearchable" "$PGP_RECORDS" "$(j .unsearchable_records)"
contains "wrong key: note on stderr" "were not decrypted (the given key does not decrypt them)" "$ERR"
dvj find "email:$EMAIL"
eq "wrong key: find count" 0 "$(j .count)"
eq "wrong key: find unsearchable" "$PGP_RECORDS" "$(j .unsearchable_records)"
no_plaintext "wrong key"

# ---- 4. a key file others may read is refused; nothing changes --------------------------------
cp "$T/pgp.sec.asc" "$T/loose.sec.asc"
chmod 644 "$T/loose.sec.asc"
export DAVAULT_ARCHIVE="$T/loose"
dvj init
BEFORE=$(tree_hash "$DAVAULT_ARCHIVE")
dv ingest --pgp-key "$T/loose.sec.asc" "$T/files"/*.gz
eq "0644 key: ingest exit 2" 2 "$RC"
eq "0644 key: one-line message" \
  "davault ingest: PGP key file $T/loose.sec.asc may be read by group or others; chmod 600 it" "$ERR"
DAVAULT_PGP_KEY="$T/loose.sec.asc" pull
eq "0644 key via DAVAULT_PGP_KEY: pull exit 2" 2 "$RC"
eq "0644 key: pull message" \
  "davault pull: PGP key file $T/loose.sec.asc may be read by group or others; chmod 600 it" "$ERR"
dv reindex --pgp-key "$T/loose.sec.asc"
eq "0644 key: reindex exit 2" 2 "$RC"
eq "0644 key: archive unchanged" "$BEFORE" "$(tree_hash "$DAVAULT_ARCHIVE")"
dv ingest --pgp-key "$T/missing.asc" "$T/files"/*.gz
eq "missing key file: exit 2" 2 "$RC"
contains "missing key file named" "PGP key file $T/missing.asc" "$ERR"
chmod 600 "$T/loose.sec.asc"
dvj ingest --pgp-key "$T/loose.sec.asc" "$T/files"/*.gz
eq "after chmod 600: decrypted" "$PGP_VALUES" "$(j .pgp_values_decrypted)"
no_plaintext "after chmod"

# The user's own keyring was never used: GNUPGHOME pointed at an empty home stays empty.
mkdir -m 700 "$T/user-gnupg"
export DAVAULT_ARCHIVE="$T/user-home"
dvj init
GNUPGHOME="$T/user-gnupg" dvj ingest --pgp-key "$T/pgp.sec.asc" "$T/files"/*.gz
eq "GNUPGHOME untouched" "" "$(ls -A "$T/user-gnupg")"
eq "user home: decrypted" "$PGP_VALUES" "$(j .pgp_values_decrypted)"

finish
