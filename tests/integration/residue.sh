#!/usr/bin/env bash
# Residue after erase, to the byte: ingest a person with unique markers, note their wrapped
# record keys and sealed payloads, erase them, copy the index, its WAL and every storage file
# the moment erase returns, and search the copies for the markers, every planted identifier
# value (in every form the generator wrote), the wrapped keys and the ciphertext. Done twice:
# with erase the only user of the index (SQLite removes the WAL on close), and with a second,
# idle SQLite connection open so the WAL file outlives erase and must have been checkpointed
# and truncated.
source "$(dirname "$0")/lib.sh"

MARKER1="tangerine obelisk 90417"
export DAVAULT_NOW="2026-11-26T00:00:00Z"
"$GEN" --out "$T/files" --seed 23 --start "2026-11-25T00:00:00Z" --hours 3 --records-per-file 6 \
  --plant "name=hal,email=hal.residue@example.test,phone=+44 20 7946 0777,visitor=HalResidueVisitor0042,customer=CUST-HAL-4242,consumer=consumer-hal-4242,ip=198.51.100.42,types=webSession,engagement,survey,count=2" \
  --marker "$MARKER1" --manifest "$T/manifest.json" >/dev/null
mapfile -t VALUES < <(jq -r '.planted.hal.identifiers[] | .value, (.occurrences[].forms[]?)' "$T/manifest.json" | sort -u)
[ "${#VALUES[@]}" -ge 7 ] && pass || fail "the manifest lists hal's identifiers"

hex_of() { od -An -tx1 -v "$1" | tr -d ' \n'; }  # FILE: its bytes as one hex string
# scan DIR LABEL: none of hal's values, markers, wrapped keys or ciphertext in any file of DIR.
scan() {
  local dir="$1" label="$2" f v k found=0
  for v in "${VALUES[@]}" "$MARKER1" "hal.residue" "HalResidueVisitor0042"; do
    if grep -r -a -i -F -l -- "$v" "$dir" >/dev/null 2>&1; then
      fail "$label: an identifier value or marker ('$v') found in the copies"; found=1
    fi
  done
  while IFS= read -r -d '' f; do
    local h; h="$(hex_of "$f")"
    for k in "${SECRETS[@]}"; do
      # The whole value, and its first and last 16 bytes (partial residue).
      for part in "$k" "${k:0:32}" "${k: -32}"; do
        if [[ "$h" == *"$part"* ]]; then
          fail "$label: key or ciphertext bytes of an erased record in ${f#$dir/}"; found=1; break 2
        fi
      done
    done
  done < <(find "$dir" -type f -print0)
  [ "$found" -eq 0 ] && pass
}

run_case() {  # LABEL [idle]: one archive, one erase, one scan
  local label="$1" idle="${2:-}"
  export DAVAULT_ARCHIVE="$T/$label"
  dvj init
  dvj ingest "$T"/files/*.gz
  dvj find --expand "email:hal.residue@example.test"
  local n; n="$(j .count)"
  [ "$n" -ge 6 ] && pass || fail "$label: hal is found after ingest ($n records)"
  local ids; ids="$(j '[.matches[].record] | join(",")')"
  local db="$DAVAULT_ARCHIVE/index.db"
  # Before the erase: the wrapped keys and every sealed payload (entry header excluded) of hal.
  SECRETS=()
  mapfile -t SECRETS < <(sqlite3 -readonly "$db" "SELECT lower(hex(wrapped_key)) FROM records WHERE id IN ($ids)")
  eq "$label: one wrapped key per record" "$n" "${#SECRETS[@]}"
  while IFS='|' read -r seg off len; do
    local segfile; segfile="$DAVAULT_ARCHIVE/segments/$(printf '%016x' "$seg").seg"
    SECRETS+=("$(dd if="$segfile" bs=1 skip=$((off + 16)) count=$((len - 16)) status=none | od -An -tx1 -v | tr -d ' \n')")
  done < <(sqlite3 -readonly "$db" "SELECT segment, offset, length FROM payloads WHERE record_id IN ($ids)")
  [ "${#SECRETS[@]}" -gt "$n" ] && pass || fail "$label: payloads of hal read"
  # The searches can find what is there: the live archive holds every one of them now.
  local all=""; for f in "$db" "$DAVAULT_ARCHIVE"/segments/*.seg; do all+="$(hex_of "$f")"; done
  local missing=0; for k in "${SECRETS[@]}"; do [[ "$all" == *"$k"* ]] || missing=1; done
  eq "$label: the scan sees the keys and ciphertext before the erase" 0 "$missing"

  local fifo="" holder=""
  if [ -n "$idle" ]; then
    fifo="$T/$label.fifo"; mkfifo "$fifo"
    sqlite3 "$db" < "$fifo" >/dev/null 2>&1 &
    holder=$!
    exec 3>"$fifo"
    echo "SELECT count(*) FROM records;" >&3
    sleep 0.2
  fi
  dvj erase --expand "email:hal.residue@example.test" --request "RTBF-HAL-$label"
  eq "$label: erased" "$n" "$(j .records_erased)"
  # The moment erase returns: copy the index, the WAL and every storage file.
  local copy="$T/$label.copy"; mkdir -p "$copy/segments"
  cp "$db" "$copy/"
  [ -e "$db-wal" ] && cp "$db-wal" "$copy/"
  cp "$DAVAULT_ARCHIVE"/segments/* "$copy/segments/"
  if [ -n "$idle" ]; then
    [ -e "$copy/index.db-wal" ] && pass || fail "$label: the WAL should outlive erase with a second connection open"
    eq "$label: WAL truncated by the checkpoint" 0 "$(stat -c %s "$copy/index.db-wal")"
    exec 3>&-
    wait "$holder" || true
  fi
  scan "$copy" "$label: copies taken when erase returned"
  scan "$DAVAULT_ARCHIVE" "$label: the whole archive directory"
  # No free page keeps old content: secure_delete zeroes what it frees.
  local freelist; freelist="$(sqlite3 -readonly "$copy/index.db" 'PRAGMA freelist_count')"
  echo "$label: $freelist free pages in the index after the erase" >&2
  dvj verify --deep
  eq "$label: verify --deep" true "$(j .ok)"
}

run_case plain
run_case idle idle
finish
