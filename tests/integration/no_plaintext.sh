#!/usr/bin/env bash
# Greps every byte of the archive directory (index, WAL, storage, anything else) for each
# planted identifier and a distinctive transcript phrase, after ingest and after erase.
source "$(dirname "$0")/lib.sh"

MARKER="ultraviolet pangolin orchestra"
"$GEN" --out "$T/files" --seed 11 --start "2026-11-25T00:00:00Z" --hours 3 --records-per-file 8 \
  --plant "name=carol,email=carol.secret@example.test,phone=+44 20 7946 0456,visitor=CarolSecretVisitor0001,customer=CUST-CAROL-77,consumer=consumer-carol-77,ip=198.51.100.23,types=webSession,engagement,survey,count=2" \
  --marker "$MARKER" --manifest "$T/manifest.json" >/dev/null
export DAVAULT_NOW="2026-11-26T00:00:00Z"

mapfile -t VALUES < <(jq -r '.planted.carol.identifiers[] | .value' "$T/manifest.json")
[ "${#VALUES[@]}" -ge 7 ] && pass || fail "the manifest lists carol's identifiers"
scan() {  # LABEL
  local found=0
  for v in "${VALUES[@]}" "$MARKER" "carol.secret" "CarolSecretVisitor0001"; do
    if archive_holds "$v"; then fail "$1: '$v' found in the archive in the clear"; found=1; fi
  done
  # Any transcript text at all (the generator's lines share words like these).
  [ "$found" -eq 0 ] && pass
}

dvj init
dvj ingest "$T"/files/*.gz
dvj find "email:carol.secret@example.test"
[ "$(j .count)" -gt 0 ] && pass || fail "carol is found after ingest"
# Before any checkpoint the WAL may hold index pages: scan with it in place.
scan "after ingest"
dvj erase --expand "email:carol.secret@example.test" --request RTBF-CAROL
scan "after erase"
# Record keys of the erased records are gone: only live records keep wrapped keys.
dvj verify --deep
eq "verify after erase" true "$(j .ok)"
# The exported file is a deliberate export: the only place the plaintext may appear.
dvj export "email:carol.secret@example.test" --out "$T/export.json"
eq "nothing left to export" 0 "$(j .count)"
# Errors and logs never carry values.
dv find "email:"
not_contains "no value in usage errors" "carol" "$ERR"
dv ingest "$T/nonexistent-carol.secret@example.test.gz"
eq "missing file exit" 1 "$RC"
finish
