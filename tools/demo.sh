#!/usr/bin/env bash
# The main job as a demo: set up and build (tools/setup.sh), start the fake Data Access server
# on loopback with LivePerson's sample files and a generated day of data, create an archive in a
# scratch directory, pull all four types, find and export one person, erase them, sweep, verify,
# and print the report.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${DAVAULT_BUILD_DIR:-$ROOT/build}"
"$ROOT/tools/setup.sh"

DV="$BUILD/src/cli/davault"
FAKE="$BUILD/tools/fakeserver/davault-fakeserver"
GEN="$BUILD/tools/gen/davault-gen"
SCRATCH="$(mktemp -d /tmp/davault-demo.XXXXXX)"
echo "== scratch directory: $SCRATCH"

export DAVAULT_ARCHIVE="$SCRATCH/archive"
export DAVAULT_KEY_FILE="$SCRATCH/archive.key"
# Demo credentials, shared by the fake server and the client (the real ones come from LiveEngage).
export LP_APP_KEY="demo-app-key" LP_APP_SECRET="demo-app-secret"
export LP_ACCESS_TOKEN="demo-access-token" LP_ACCESS_TOKEN_SECRET="demo-token-secret"

# A generated day of data (yesterday, UTC), with one planted person spread over all four types.
YESTERDAY="$(date -u -d 'yesterday 00:00' +%Y-%m-%dT%H:00:00Z)"
mkdir -p "$SCRATCH/files"
"$GEN" --out "$SCRATCH/files" --seed 2026 --start "$YESTERDAY" --hours 24 --records-per-file 10 \
  --plant "name=dana,email=Dana.Demo@example.test,phone=+44 20 7946 0123,visitor=DemoVisitor0000000000a,types=webSession,engagement,survey,count=2" \
  --marker "purple elephant tango" --manifest "$SCRATCH/manifest.json" >/dev/null
cp "$ROOT"/tests/data/samples/files/*.gz "$SCRATCH/files/"
echo "== $(ls "$SCRATCH/files" | wc -l) Data Access files ready (4 LivePerson samples + generated)"

"$FAKE" --dir "$SCRATCH/files" --port 0 --port-file "$SCRATCH/port" >"$SCRATCH/fake.log" 2>&1 &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$SCRATCH/port" ] && break; sleep 0.05; done
BASE="http://127.0.0.1:$(cat "$SCRATCH/port")"
echo "== fake Data Access server at $BASE"

step() { echo; echo "== davault $*"; "$DV" "$@"; }
step init
step pull --account 75555851 --base-url "$BASE"
step pull --account 75555851 --base-url "$BASE" --from 2016-06-01 --to 2016-08-01
step status
step find email:dana.demo@example.test
step find email:dana.demo@example.test --expand
step export email:dana.demo@example.test --expand --out "$SCRATCH/dana-export.json" --request SAR-DEMO-1
echo "   export holds $(jq '.records | length' "$SCRATCH/dana-export.json") records"
step erase email:dana.demo@example.test --expand --request RTBF-DEMO-1 --dry-run
step erase email:dana.demo@example.test --expand --request RTBF-DEMO-1
step find email:dana.demo@example.test --expand
step sweep --dry-run
step sweep
step verify --deep
step audit verify
step requests
step report
if grep -r -a -q -F "purple elephant tango" "$DAVAULT_ARCHIVE"; then
  echo "!! the demo's marker phrase was found in the archive" >&2
  exit 1
fi
echo
echo "== done: the archive and all files are in $SCRATCH"
