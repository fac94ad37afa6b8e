#!/usr/bin/env bash
# The HTML report is one self-contained file that renders in headless Chromium to a PNG, with
# both charts; its counts agree with the JSON and CSV reports (requests_holds.sh checks those).
source "$(dirname "$0")/lib.sh"
CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$CHROMIUM" ] || { echo "chromium is not installed (tools/check.sh installs it)"; exit 1; }

"$GEN" --out "$T/files" --seed 41 --start "2026-11-01T00:00:00Z" --hours 3 --records-per-file 6 \
  --plant "name=zoe,email=zoe.report@example.test,types=webSession,count=1" >/dev/null
export DAVAULT_NOW="2026-11-20T00:00:00Z"
dvj init
dvj ingest "$T"/files/*.gz
dvj erase email:zoe.report@example.test --request RTBF-Z --received 2026-11-15
"$DAVAULT" report --format html --out "$T/report.html"
not_contains "no network resources" "http" "$(grep -o '<link[^>]*>\|<script[^>]*src=[^>]*>\|src="http[^"]*"' "$T/report.html" || true)"
contains "prints the cutoff it used" "retention cutoff used 2026-10-21T00:00:00Z" "$(cat "$T/report.html")"
run_chromium() {
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$T/chrome-profile" "$@" 2>"$T/chrome.err"
}
run_chromium --window-size=1100,1600 --screenshot="$T/report.png" "file://$T/report.html" >/dev/null
[ -s "$T/report.png" ] && pass || fail "no screenshot: $(tail -3 "$T/chrome.err")"
eq "screenshot is a PNG" "89504e47" "$(head -c 4 "$T/report.png" | od -An -tx1 | tr -d ' \n')"
DOM="$(run_chromium --dump-dom "file://$T/report.html")"
contains "age chart rendered" 'id="age-chart"' "$DOM"
contains "requests chart rendered" 'id="requests-chart"' "$DOM"
contains "erasure count in the page" 'data-key="erasure.records_erased">1<' "$DOM"
cp "$T/report.png" "${REPORT_PNG_OUT:-/tmp/davault-report.png}" 2>/dev/null || true
finish
