#!/usr/bin/env bash
# The audit log cannot be quietly edited: with the sqlite3 shell, edit an entry's body (and,
# separately, edit it and recompute every hash of the chain, which anyone can do), delete a
# middle entry, reorder two entries, and truncate the newest entries (detected through the
# DAVAULT_AUDIT_ANCHOR file). `davault audit verify` exits 3 for each and names the entry.
# Only coreutils (b2sum for BLAKE2b-256), sqlite3 and jq are used.
source "$(dirname "$0")/lib.sh"

export DAVAULT_NOW="2026-11-02T00:00:00Z"
export DAVAULT_AUDIT_ANCHOR="$T/anchor"
PREP="$T/prep"
export DAVAULT_ARCHIVE="$PREP"
dvj init
for f in "$SAMPLES"/files/*.gz; do dvj ingest "$f"; done
dvj export agent:9 --out "$T/agent9.json" --request SAR-1
dvj erase conversation:755558514295254843 --request RTBF-1
dvj verify
N="$("$DAVAULT" --json audit verify | jq .entries)"
[ "$N" -ge 8 ] && pass || fail "the prepared log has at least 8 entries ($N)"
eq "anchor lines" "$N" "$(wc -l < "$DAVAULT_AUDIT_ANCHOR")"
dvj audit verify
eq "untouched log verifies" true "$(j .ok)"
eq "the anchor was checked" true "$(j .anchor_checked)"
HEAD_BEFORE="$(j .head.hash)"

fresh() {
  rm -rf "$T/run"; cp -a "$PREP" "$T/run"; export DAVAULT_ARCHIVE="$T/run"
  cp "$T/anchor.prep" "$DAVAULT_AUDIT_ANCHOR"
}
cp "$DAVAULT_AUDIT_ANCHOR" "$T/anchor.prep"
sql() { sqlite3 "$DAVAULT_ARCHIVE/index.db" "$1"; }

# expect_caught CASE ENTRY...: audit verify and verify exit 3; the problems name every ENTRY.
expect_caught() {
  local what="$1"; shift
  dv --json audit verify
  local verr="$ERR"
  eq "$what: audit verify exit" 3 "$RC"
  eq "$what: audit verify ok" false "$(j .ok)"
  local problems; problems="$(j '.problems[]')"
  for want in "$@"; do contains "$what: names $want" "$want" "$problems"; done
  eq "$what: one error line" 1 "$(printf '%s\n' "$verr" | grep -c 'davault audit verify:')"
  contains "$what: the error line names an entry" "entry" "$verr"
  dv --json verify
  eq "$what: verify exit" 3 "$RC"
}

# 1. An entry's body edited.
fresh; sql "UPDATE audit SET body = replace(body, '\"records\":1', '\"records\":7') WHERE seq = 3"
eq "the edit was applied" 1 "$(sql "SELECT count(*) FROM audit WHERE seq = 3 AND body LIKE '%\"records\":7%'")"
expect_caught "edited body" "audit entry 3: content does not match its hash"
# Its time and its event, too.
fresh; sql "UPDATE audit SET time = time + 1 WHERE seq = 4"
expect_caught "edited time" "audit entry 4:"
fresh; sql "UPDATE audit SET event = 'export' WHERE seq = 2"
expect_caught "edited event" "audit entry 2:"

# 2. An entry edited and the whole chain recomputed (BLAKE2b is public): only the signature,
# made with the archive's key, gives it away.
le64() { local v="$1" i out=""; for i in 0 1 2 3 4 5 6 7; do out+="$(printf '\\x%02x' $(( (v >> (8 * i)) & 255 )))"; done; printf "$out"; }
hexbytes() { printf "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }
entry_hash() {  # PREV_HEX SEQ TIME EVENT_HEX BODY_HEX -> hex
  { printf 'davault/audit/v1'; le64 $(( ${#1} / 2 )); hexbytes "$1"; le64 "$2"; le64 "$3"
    le64 $(( ${#4} / 2 )); hexbytes "$4"; le64 $(( ${#5} / 2 )); hexbytes "$5"; } | b2sum -l 256 | cut -d' ' -f1
}
fresh
IFS='|' read -r p h s t e b <<<"$(sql "SELECT lower(hex(prev)), lower(hex(hash)), seq, time, lower(hex(event)), lower(hex(body)) FROM audit WHERE seq = 2")"
eq "the shell recomputes an entry hash" "$h" "$(entry_hash "$p" "$s" "$t" "$e" "$b")"
sql "UPDATE audit SET body = replace(body, '\"records\":1', '\"records\":9') WHERE seq = 3"
prev="$(sql "SELECT lower(hex(hash)) FROM audit WHERE seq = 2")"
for seq in $(seq 3 "$N"); do
  IFS='|' read -r s t e b <<<"$(sql "SELECT seq, time, lower(hex(event)), lower(hex(body)) FROM audit WHERE seq = $seq")"
  nh="$(entry_hash "$prev" "$s" "$t" "$e" "$b")"
  sql "UPDATE audit SET prev = X'$prev', hash = X'$nh' WHERE seq = $seq"
  prev="$nh"
done
dv --json audit verify
not_contains "rechained: hashes and links all recomputed" "does not match its hash" "$(j '.problems[]')"
not_contains "rechained: the chain links" "does not chain" "$(j '.problems[]')"
expect_caught "edited and rechained" "audit entry 3: signature does not verify"

# 3. A middle entry deleted.
fresh; sql "DELETE FROM audit WHERE seq = 4"
expect_caught "deleted middle entry" "audit entry 5: expected sequence 4" "audit entry 5: does not chain"

# 4. Two entries reordered (their sequence numbers swapped).
fresh; sql "UPDATE audit SET seq = -1 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = -1"
expect_caught "reordered entries" "audit entry 3:" "audit entry 4:"

# 5. The newest entries truncated: the chain that is left is intact, the anchor is not.
fresh; sql "DELETE FROM audit WHERE seq > $((N - 2))"
expect_caught "truncated newest entries" "entry $((N - 1)), which the log no longer has" \
  "entry $N, which the log no longer has"
# Without the anchor the shortened chain is self-consistent; that is what the anchor is for.
DAVAULT_AUDIT_ANCHOR="" dv --json audit verify
eq "truncation without an anchor is not detectable from the log alone" 0 "$RC"

# The prepared archive itself was never touched.
export DAVAULT_ARCHIVE="$PREP"; cp "$T/anchor.prep" "$DAVAULT_AUDIT_ANCHOR"
dvj audit verify
eq "untouched log still verifies" true "$(j .ok)"
eq "untouched head" "$HEAD_BEFORE" "$(j .head.hash)"
finish
