#!/usr/bin/env bash
# Keys: a wrong key file, a wrong passphrase, a group/world-readable key file, a missing key and
# a key file inside the archive directory each give one clear error line and the contract's exit
# code, and leave the archive byte-for-byte as it was. Then rekey: key file to key file (the old
# key stops working, the new one opens everything, pseudonyms, signing key, suppression list and
# certificates stay valid, no byte of the old key material remains), passphrase to passphrase,
# key file to passphrase, an interrupted rekey opened by both keys and finished by a re-run, and
# the refusals of rekey itself.
source "$(dirname "$0")/lib.sh"

export DAVAULT_NOW="2026-11-02T00:00:00Z"
dvj init
dvj ingest "$SAMPLES"/files/*.gz
RECORDS="$(j .records_ingested)"
BEFORE="$(tree_hash "$DAVAULT_ARCHIVE")"
unchanged() { eq "$1: archive unchanged" "$BEFORE" "$(tree_hash "$DAVAULT_ARCHIVE")"; }
one_line() { eq "$1: one error line" 1 "$(printf '%s\n' "$ERR" | grep -c .)"; }
# refused CASE EXIT NEEDLE CMD...: the command exits EXIT with one line holding NEEDLE.
refused() {
  local what="$1" code="$2" needle="$3"; shift 3
  dv "$@"
  eq "$what: exit" "$code" "$RC"
  contains "$what: message" "$needle" "$ERR"
  one_line "$what"
}
COMMANDS=("find agent:9" "verify --deep" "audit verify" "ingest $SAMPLES/files/Agent.1465992000000.1465995600000.part-00000-0.gz"
          "erase agent:9 --request R-KEYS" "sweep --as-of 2027-01-01 --force" "status")

# Wrong key file, for every kind of command.
printf 'some other key material\n' > "$T/wrong.key"; chmod 600 "$T/wrong.key"
for c in "${COMMANDS[@]}"; do
  # shellcheck disable=SC2086
  DAVAULT_KEY_FILE="$T/wrong.key" refused "wrong key file ($c)" 1 "wrong key: the given key file does not unlock" $c
done
unchanged "wrong key file"
# Group- and world-readable key files are refused before they are read.
cp "$DAVAULT_KEY_FILE" "$T/open.key"; chmod 644 "$T/open.key"
DAVAULT_KEY_FILE="$T/open.key" refused "world-readable key file" 1 "readable by group or others" find agent:9
contains "world-readable key file: says how to fix it" "chmod 600" "$ERR"
chmod 640 "$T/open.key"
DAVAULT_KEY_FILE="$T/open.key" refused "group-readable key file" 1 "readable by group or others" erase agent:9 --request R-KEYS
unchanged "readable key files"
# Missing key: neither variable (a usage error), or a key file that does not exist, or is empty.
SAVED_KEY="$DAVAULT_KEY_FILE"; unset DAVAULT_KEY_FILE
for c in "find agent:9" "erase agent:9 --request R-KEYS" "verify"; do
  # shellcheck disable=SC2086
  refused "missing key ($c)" 2 "no archive key: set DAVAULT_KEY_FILE or DAVAULT_PASSPHRASE" $c
done
export DAVAULT_KEY_FILE="$SAVED_KEY"
DAVAULT_KEY_FILE="$T/nonexistent.key" refused "key file that does not exist" 1 "does not exist" find agent:9
[ ! -e "$T/nonexistent.key" ] && pass || fail "a missing key file is not created outside init"
: > "$T/empty.key"; chmod 600 "$T/empty.key"
DAVAULT_KEY_FILE="$T/empty.key" refused "empty key file" 1 "is empty" find agent:9
# A key file given to a passphrase archive and the reverse are named as such (below, too).
DAVAULT_KEY_FILE="" DAVAULT_PASSPHRASE="a passphrase" refused "passphrase for a key-file archive" 1 \
  "unlocked with a key file" find agent:9
unchanged "missing keys"

# Passphrase archive: the right passphrase opens it, a wrong one fails at open.
PA="$T/pass-archive"
DAVAULT_KEY_FILE="" DAVAULT_PASSPHRASE="correct horse battery staple" DAVAULT_ARCHIVE="$PA" dvj init
eq "passphrase archive" passphrase "$(j .key)"
DAVAULT_KEY_FILE="" DAVAULT_PASSPHRASE="correct horse battery staple" DAVAULT_ARCHIVE="$PA" dvj ingest "$SAMPLES"/files/*.gz
PBEFORE="$(tree_hash "$PA")"
DAVAULT_KEY_FILE="" DAVAULT_PASSPHRASE="correct horse battery stapler" DAVAULT_ARCHIVE="$PA" \
  refused "wrong passphrase" 1 "wrong key: the given passphrase does not unlock" find agent:9
not_contains "wrong passphrase: no passphrase in the message" "horse" "$ERR"
DAVAULT_KEY_FILE="" DAVAULT_PASSPHRASE="correct horse battery stapler" DAVAULT_ARCHIVE="$PA" \
  refused "wrong passphrase (erase)" 1 "wrong key" erase agent:9 --request R-KEYS
DAVAULT_ARCHIVE="$PA" refused "key file for a passphrase archive" 1 "unlocked with a passphrase" find agent:9
eq "passphrase archive unchanged" "$PBEFORE" "$(tree_hash "$PA")"

# init: a key file inside the archive directory is refused and leaves nothing behind, whether
# the directory is new or exists (empty); so is a readable existing key file.
DAVAULT_ARCHIVE="$T/new-archive" DAVAULT_KEY_FILE="$T/new-archive/key" refused "init, key inside the archive" 2 \
  "must not be inside the archive directory" init
[ ! -e "$T/new-archive" ] && pass || fail "init with the key inside left $T/new-archive behind"
mkdir "$T/empty-archive"
DAVAULT_ARCHIVE="$T/empty-archive" DAVAULT_KEY_FILE="$T/empty-archive/sub/../key" refused "init, key inside an existing dir" 2 \
  "must not be inside the archive directory" init
eq "the existing directory stays empty" "" "$(ls -A "$T/empty-archive")"
DAVAULT_ARCHIVE="$T/new-archive" DAVAULT_KEY_FILE="$T/open.key" refused "init with a readable key file" 1 \
  "readable by group or others" init
[ ! -e "$T/new-archive" ] && pass || fail "a refused init left $T/new-archive behind"

# ------------------------------------------------------------------------------------ rekey
dvj audit pubkey; PUBKEY="$(j .public_key)"
"$DAVAULT" audit pubkey > "$T/pubkey"
dvj erase conversation:755558514295254843 --request RTBF-BEFORE-REKEY
CERT="$(j .certificate)"
ERASED="$(j .records_erased)"
[ "$ERASED" -gt 0 ] && pass || fail "the erase before the rekey erased records"
dvj find agent:9; AGENT9="$(j .count)"
[ "$AGENT9" -gt 0 ] && pass || fail "agent 9 has records"
BEFORE="$(tree_hash "$DAVAULT_ARCHIVE")"
# Refusals of rekey change nothing (and create no key file).
refused "rekey without a new key" 2 "DAVAULT_NEW_KEY_FILE or DAVAULT_NEW_PASSPHRASE" rekey
DAVAULT_KEY_FILE="$T/wrong.key" DAVAULT_NEW_KEY_FILE="$T/never.key" refused "rekey with a wrong key" 1 "wrong key" rekey
[ ! -e "$T/never.key" ] && pass || fail "rekey with a wrong key created the new key file"
DAVAULT_NEW_KEY_FILE="$T/open.key" refused "rekey to a readable key file" 1 "readable by group or others" rekey
DAVAULT_NEW_KEY_FILE="$DAVAULT_ARCHIVE/new.key" refused "rekey to a key inside the archive" 2 \
  "must not be inside the archive directory" rekey
[ ! -e "$DAVAULT_ARCHIVE/new.key" ] && pass || fail "rekey created a key file inside the archive"
unchanged "refused rekeys"

# The old key material as stored: sealed secrets and every wrapped record key.
OLD_SECRETS="$(sqlite3 -readonly "$DAVAULT_ARCHIVE/index.db" "SELECT lower(hex(v)) FROM meta WHERE k = 'secrets'")"
mapfile -t OLD_WRAPPED < <(sqlite3 -readonly "$DAVAULT_ARCHIVE/index.db" "SELECT lower(hex(wrapped_key)) FROM records")
eq "one wrapped key per record" "$(sqlite3 -readonly "$DAVAULT_ARCHIVE/index.db" 'SELECT count(*) FROM records')" "${#OLD_WRAPPED[@]}"

# Key file to key file (created 0600).
DAVAULT_NEW_KEY_FILE="$T/key2" dvj rekey
eq "rekey status" completed "$(j .status)"
eq "records re-wrapped" "${#OLD_WRAPPED[@]}" "$(j .records_rewrapped)"
eq "key generation" 2 "$(j .key_generation)"
eq "new key file created" true "$(j .key_file_created)"
eq "new key file mode" 600 "$(stat -c %a "$T/key2")"
OLDKEY="$DAVAULT_KEY_FILE"
refused "old key after rekey" 1 "wrong key" find agent:9
export DAVAULT_KEY_FILE="$T/key2"
dvj find agent:9
eq "the same records under the same pseudonyms" "$AGENT9" "$(j .count)"
dvj export agent:9 --out "$T/agent9.json"
eq "export under the new key" "$AGENT9" "$(j .count)"
dvj verify --deep
eq "verify --deep under the new key" true "$(j .ok)"
dvj audit pubkey
eq "the signing key stays the same" "$PUBKEY" "$(j .public_key)"
dvj certificate verify "$CERT" --pubkey "$T/pubkey"
eq "a certificate from before the rekey still verifies" true "$(j .ok)"
mkdir -p "$T/reissued"
for f in "$SAMPLES"/files/*.gz; do b="$(basename "$f")"; cp "$f" "$T/reissued/${b/part-00000/part-00001}"; done
dvj ingest "$T"/reissued/*.gz
eq "the suppression list still holds after the rekey" "$ERASED" "$(j .records_suppressed)"
dvj audit verify
eq "audit chain across the rekey" true "$(j .ok)"
REKEY_BODY="$(sqlite3 -readonly "$DAVAULT_ARCHIVE/index.db" "SELECT body FROM audit WHERE event = 'rekey'")"
contains "the rekey is in the audit log" '"to_generation":2' "$REKEY_BODY"
not_contains "no key file path in the audit log" "key2" "$REKEY_BODY"
# No byte of the old sealed secrets or of an old wrapped key is left in the index or its WAL.
INDEX_HEX="$(cat "$DAVAULT_ARCHIVE"/index.db* | od -An -tx1 -v | tr -d ' \n')"
found=0
for k in "$OLD_SECRETS" "${OLD_WRAPPED[@]}"; do
  for part in "$k" "${k:0:32}" "${k: -32}"; do [[ "$INDEX_HEX" == *"$part"* ]] && found=1; done
done
eq "old key material left in the index" 0 "$found"

# An interrupted rekey: both keys open the archive, a different new key is refused, an ingest in
# between is fine, and the re-run finishes; then only the new key works.
set +e; { DAVAULT_NEW_KEY_FILE="$T/key3" DAVAULT_CRASH_AT=rekey.after_batch "$DAVAULT" rekey --batch 1 >/dev/null 2>&1; } 2>/dev/null; rc=$?; set -e
eq "rekey killed after its first batch" 137 "$rc"
dvj find agent:9
eq "old key during the rekey" "$AGENT9" "$(j .count)"
DAVAULT_KEY_FILE="$T/key3" dvj find agent:9
eq "new key during the rekey" "$AGENT9" "$(j .count)"
DAVAULT_KEY_FILE="$T/key3" dvj verify --deep
eq "new key reads every record during the rekey" true "$(j .ok)"
MID="$(tree_hash "$DAVAULT_ARCHIVE")"
DAVAULT_NEW_KEY_FILE="$T/wrong.key" refused "another new key while a rekey is in progress" 1 \
  "a rekey to another new key is in progress" rekey
eq "refused resume changed nothing" "$MID" "$(tree_hash "$DAVAULT_ARCHIVE")"
"$GEN" --out "$T/more" --seed 31 --start 2026-11-01T05:00:00Z --hours 1 --types engagement --records-per-file 3 >/dev/null
dvj ingest "$T"/more/*.gz
eq "ingest during the rekey" 3 "$(j .records_ingested)"
DAVAULT_NEW_KEY_FILE="$T/key3" dvj rekey
eq "re-run finishes" completed "$(j .status)"
eq "re-run resumed" true "$(j .resumed)"
eq "re-run key generation" 3 "$(j .key_generation)"
refused "key 2 after the rekey to key 3" 1 "wrong key" find agent:9
export DAVAULT_KEY_FILE="$T/key3"
dvj verify --deep
eq "verify --deep after the resumed rekey" true "$(j .ok)"
DAVAULT_KEY_FILE="$T/key2" DAVAULT_NEW_KEY_FILE="$T/key3" dvj rekey
eq "a second re-run (same old and new key) has nothing to do" already_rekeyed "$(j .status)"
eq "nothing re-wrapped" 0 "$(j .records_rewrapped)"
DAVAULT_KEY_FILE="$T/key2" DAVAULT_NEW_KEY_FILE="$T/wrong.key" refused "a re-run with another new key" 1 "wrong key" rekey

# Key file to passphrase, and passphrase to passphrase.
DAVAULT_NEW_PASSPHRASE="new passphrase one" dvj rekey
eq "to a passphrase" completed "$(j .status)"
refused "key file after the rekey to a passphrase" 1 "unlocked with a passphrase" find agent:9
export DAVAULT_KEY_FILE="" DAVAULT_PASSPHRASE="new passphrase one"
dvj find agent:9
eq "passphrase opens it" "$AGENT9" "$(j .count)"
DAVAULT_NEW_PASSPHRASE="new passphrase two" dvj rekey
eq "passphrase to passphrase" completed "$(j .status)"
refused "old passphrase" 1 "wrong key: the given passphrase" find agent:9
DAVAULT_PASSPHRASE="new passphrase two" dvj verify --deep
eq "verify under the last passphrase" true "$(j .ok)"
finish
