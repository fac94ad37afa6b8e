#!/usr/bin/env bash
# Tamper evidence of the storage: one byte flipped in turn in a payload's ciphertext, tag, nonce
# and entry header, in a segment header; a segment truncated and extended; two payloads of the
# same length swapped. Every case: verify exits 3 naming the damaged record (or segment), and
# every other record still decrypts (verify names nothing else; another person's export works).
# Only coreutils, sqlite3 and jq are used to edit and read bytes.
source "$(dirname "$0")/lib.sh"

export DAVAULT_NOW="2026-11-02T00:00:00Z"
"$GEN" --out "$T/files" --seed 9 --start 2026-11-01T00:00:00Z --hours 2 --records-per-file 4 \
  --plant "name=gus,email=gus.tamper@example.test,types=engagement,count=1" \
  --manifest "$T/manifest.json" >/dev/null
# The engagement file that holds gus, plus two twins of another of its records: the same bytes
# with another conversationId of the same length, so that their sealed entries have one length.
GUSFILE="$(jq -r '.planted.gus.occurrences[] | select(.type == "engagement") | .file' "$T/manifest.json" | head -1)"
GUSLINE="$(jq -r '.planted.gus.occurrences[] | select(.type == "engagement") | .record' "$T/manifest.json" | head -1)"
OTHER=$(( GUSLINE == 0 ? 1 : 0 ))
LINE="$(zcat "$T/files/$GUSFILE" | sed -n "$((OTHER + 1))p")"
CID="$(printf '%s' "$LINE" | grep -o '"conversationId":{"string":"[0-9]*"}' | head -1 | grep -o '[0-9]\{6,\}')"
TWIN1="${CID:0:${#CID}-3}901"
TWIN2="${CID:0:${#CID}-3}902"
mkdir -p "$T/in"
for f in "$T"/files/*.gz; do [ "$(basename "$f")" = "$GUSFILE" ] || cp "$f" "$T/in/"; done
{ zcat "$T/files/$GUSFILE"; printf '%s\n' "${LINE//$CID/$TWIN1}" "${LINE//$CID/$TWIN2}"; } \
  | gzip -n > "$T/in/$GUSFILE"

PREP="$T/prep"
export DAVAULT_ARCHIVE="$PREP"
dvj init
dvj ingest "$T"/in/*.gz
TOTAL="$(j .records_ingested)"
dvj find "conversation:$TWIN1"; R1="$(j '.matches[0].record')"
dvj find "conversation:$TWIN2"; R2="$(j '.matches[0].record')"
dvj find "email:gus.tamper@example.test"; GUS="$(j '.matches[0].record')"
eq "gus is one record" 1 "$(j .count)"
dvj verify --deep
eq "prepared archive verifies" true "$(j .ok)"

sql() { sqlite3 -readonly "$DAVAULT_ARCHIVE/index.db" "$1"; }
# Where a record's payload lies: segment id, offset and length of its whole entry.
read -r SEG OFF1 LEN1 <<<"$(sql "SELECT segment, offset, length FROM payloads WHERE record_id = $R1" | tr '|' ' ')"
read -r SEG2 OFF2 LEN2 <<<"$(sql "SELECT segment, offset, length FROM payloads WHERE record_id = $R2" | tr '|' ' ')"
eq "twins share a segment" "$SEG" "$SEG2"
eq "twins have one entry length" "$LEN1" "$LEN2"
eq "gus is in the same segment" "$SEG" "$(sql "SELECT segment FROM payloads WHERE record_id = $GUS")"
SEGFILE="segments/$(printf '%016x' "$SEG").seg"
LAST="$(sql "SELECT record_id FROM payloads WHERE segment = $SEG ORDER BY offset DESC LIMIT 1")"
[ "$LAST" != "$GUS" ] && pass || fail "gus must not be the last entry of the segment"

fresh() { rm -rf "$T/run"; cp -a "$PREP" "$T/run"; export DAVAULT_ARCHIVE="$T/run"; F="$T/run/$SEGFILE"; }
flip() {  # FILE OFFSET: xor one byte with 0x5a
  local v
  v="$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')"
  printf "\\$(printf '%03o' $((v ^ 0x5a)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
bytes() { dd if="$1" bs=1 skip="$2" count="$3" status=none; }  # FILE OFFSET COUNT
put() { dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }   # FILE OFFSET < data

# expect_damage CASE WANT...: verify exits 3; every WANT ("record N", "segment S") is named;
# no problem names a record outside the WANTs; gus still exports (unless SKIP_EXPORT=1).
expect_damage() {
  local what="$1"; shift
  dv --json verify
  local verr="$ERR"
  eq "$what: verify exit" 3 "$RC"
  eq "$what: verify ok" false "$(j .ok)"
  local problems; problems="$(j '.problems[]')"
  for want in "$@"; do contains "$what: names $want" "$want" "$problems"; done
  # Every "record N" in the problems is one of the damaged ones.
  local named; named="$(printf '%s\n' "$problems" | grep -o 'record [0-9]\+' | sort -u || true)"
  while read -r rec; do
    [ -z "$rec" ] && continue
    local ok=0
    for want in "$@"; do [ "$rec" = "$want" ] && ok=1; done
    [ "$ok" -eq 1 ] && pass || fail "$what: verify also names $rec: $problems"
  done <<<"$named"
  eq "$what: one error line" 1 "$(printf '%s\n' "$verr" | grep -c 'davault verify:')"
  local named_one=0
  for want in "$@"; do [[ "$verr" == *"$want"* ]] && named_one=1; done
  eq "$what: the error line names the damage ($verr)" 1 "$named_one"
  if [ -z "${SKIP_EXPORT:-}" ]; then
    dv --json export "email:gus.tamper@example.test" --out "$T/gus-$RANDOM.json"
    eq "$what: another person's record still exports" 0 "$RC"
    eq "$what: export count" 1 "$(j .count)"
  fi
}

# Entry layout: length u32 | record id u64 | seq u32 | nonce (24) | ciphertext | tag (16).
fresh; flip "$F" $((OFF1 + 16 + 24 + 20))
expect_damage "ciphertext byte" "record $R1"
fresh; flip "$F" $((OFF1 + LEN1 - 5))
expect_damage "tag byte" "record $R1"
fresh; flip "$F" $((OFF1 + 16 + 3))
expect_damage "nonce byte" "record $R1"
fresh; flip "$F" $((OFF1 + 5))
expect_damage "entry header byte (record id)" "record $R1" "$(basename "$SEGFILE")"
fresh; flip "$F" $((OFF1 + 13))
expect_damage "entry header byte (payload seq)" "record $R1"
fresh; flip "$F" $((OFF1 + 1))
expect_damage "entry header byte (length)" "record $R1" "$(basename "$SEGFILE")"
fresh; flip "$F" 12
expect_damage "segment header byte (archive id)" "$(basename "$SEGFILE")"
fresh; flip "$F" 2
expect_damage "segment header byte (magic)" "$(basename "$SEGFILE")"

# Truncated: the last entry loses its tag; extended: junk after the last entry, or a second copy
# of a whole entry that the index does not know.
fresh; truncate -s -7 "$F"
expect_damage "truncated segment" "record $LAST" "$(basename "$SEGFILE")"
fresh; head -c 100 /dev/urandom >> "$F"
expect_damage "extended segment (junk)" "$(basename "$SEGFILE")"
fresh; bytes "$F" "$OFF1" "$LEN1" >> "$F"
expect_damage "extended segment (a copied entry)" "record $R1"
# A deleted segment: every record in it is named, and only those.
IN_SEG=()
while read -r r; do IN_SEG+=("record $r"); done < <(sql "SELECT record_id FROM payloads WHERE segment = $SEG ORDER BY record_id")
fresh; rm -f "$F"
SKIP_EXPORT=1 expect_damage "deleted segment" "segment $SEG" "${IN_SEG[@]}"
dv --json find "email:gus.tamper@example.test"
eq "deleted segment: the index still finds gus" 1 "$(j .count)"

# Swapped: the two twins' sealed payloads (entry headers left in place), then whole entries.
fresh
bytes "$F" $((OFF1 + 16)) $((LEN1 - 16)) > "$T/p1"; bytes "$F" $((OFF2 + 16)) $((LEN2 - 16)) > "$T/p2"
put "$F" $((OFF1 + 16)) < "$T/p2"; put "$F" $((OFF2 + 16)) < "$T/p1"
expect_damage "swapped payloads" "record $R1" "record $R2"
fresh
bytes "$F" "$OFF1" "$LEN1" > "$T/e1"; bytes "$F" "$OFF2" "$LEN2" > "$T/e2"
put "$F" "$OFF1" < "$T/e2"; put "$F" "$OFF2" < "$T/e1"
expect_damage "swapped entries" "record $R1" "record $R2"

# A payload moved to another record's index row: the index points R1 at R2's entry.
fresh
sqlite3 "$DAVAULT_ARCHIVE/index.db" "UPDATE payloads SET offset = $OFF2 WHERE record_id = $R1"
expect_damage "index row pointing at another record's payload" "record $R1"

# The undamaged archive still verifies, and tampering was never repaired silently by a reader.
fresh; dvj verify --deep
eq "undamaged copy verifies" true "$(j .ok)"
eq "records in the undamaged copy" "$TOTAL" "$("$DAVAULT" --json status | jq .records)"
finish
