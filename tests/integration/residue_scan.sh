#!/usr/bin/env bash
# verify --deep scans every byte the archive owns for residue of erased subjects using only the
# keyed fingerprints on the suppression list: an erased person's e-mail, phone and visitor id
# planted in free pages of the index (where a careless SQLite client leaves deleted rows) are
# found and named by file and kind, never by value; a person not erased is not flagged; after
# the free pages are cleared the archive verifies again.
source "$(dirname "$0")/lib.sh"

export DAVAULT_NOW="2026-11-26T00:00:00Z"
"$GEN" --out "$T/files" --seed 41 --start "2026-11-25T00:00:00Z" --hours 2 --records-per-file 5 \
  --plant "name=ivy,email=ivy.scan@example.test,phone=+44 20 7946 0555,visitor=IvyScanVisitor0051,types=engagement,count=2" \
  --plant "name=kit,email=kit.kept@example.test,customer=CUST-KIT-6262,types=engagement,count=2" \
  >/dev/null
dvj init
dvj ingest "$T"/files/*.gz
dvj erase --expand "email:ivy.scan@example.test" --request RTBF-IVY
[ "$(j .records_erased)" -ge 2 ] && pass || fail "ivy's records erased ($(j .records_erased))"

dvj verify --deep
eq "clean archive verifies" true "$(j .ok)"
scanned="$(j .bytes_scanned_for_residue)"
size="$(du -sb --apparent-size "$DAVAULT_ARCHIVE" | cut -f1)"
[ "$scanned" -ge "$size" ] && pass ||
  fail "bytes_scanned_for_residue covers the whole archive ($scanned of $size)"

# Plant the erased person's values (and a kept person's) in rows that are then deleted with
# secure_delete off: their bytes stay in free pages of index.db.
DB="$DAVAULT_ARCHIVE/index.db"
sqlite3 "$DB" "PRAGMA secure_delete=OFF; CREATE TABLE scratch(v TEXT);
  INSERT INTO scratch VALUES('call back ivy.scan@example.test about order');
  INSERT INTO scratch VALUES('tel +44 20 7946 0555');
  INSERT INTO scratch VALUES('{\"visitorId\":\"IvyScanVisitor0051\"}');
  INSERT INTO scratch VALUES('kit.kept@example.test CUST-KIT-6262');
  DROP TABLE scratch;" >/dev/null
grep -a -q -F 'ivy.scan@example.test' "$DB" "$DB-wal" 2>/dev/null && pass ||
  fail "the planted residue is in the index files"
dv --json verify --deep
eq "residue in free pages: verify exits 3" 3 "$RC"
eq "verify reports not ok" false "$(j .ok)"
problems="$(j '.problems | join("\n")')"
contains "e-mail residue named by file and kind" "residue of an erased subject (email) in index.db" "$problems"
contains "phone residue found" "residue of an erased subject (phone) in index.db" "$problems"
contains "visitor id residue found" "residue of an erased subject (visitor) in index.db" "$problems"
eq "exactly three findings (the kept person is not flagged)" 3 \
  "$(j '[.problems[] | select(startswith("residue of an erased subject"))] | length')"
not_contains "no value in the report" "ivy.scan" "$OUT$ERR"
not_contains "no value in the report (visitor)" "IvyScanVisitor" "$OUT$ERR"
contains "one-line error names the first finding" "residue of an erased subject" "$ERR"

# Clearing the free pages removes the residue.
sqlite3 "$DB" "VACUUM;" >/dev/null
dvj verify --deep
eq "after VACUUM the archive verifies" true "$(j .ok)"
finish
