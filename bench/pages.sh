#!/usr/bin/env bash
# Dashboard benchmark (issue #4): server time per page type (sequential requests, time to
# the last byte measured by curl), then a 30 s wrk run at 64 connections on the home page
# and an action page (wrk from the Debian package).
#
#   cargo build --release && bench/pages.sh            # starts its own server on a fresh store
#   BASE=http://127.0.0.1:8080 bench/pages.sh           # or measures a running one
# Options: N (requests per page, default 200), DURATION (wrk, default 30s), PAGES (a
# space-separated list of paths to time instead of the default ones), WRK_PAGES (the same
# for the wrk runs).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200}
DURATION=${DURATION:-30s}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/territoria}
if [ -z "${BASE:-}" ]; then
  work=$(mktemp -d)
  # The server prints its URL on stdout once it listens: a blocking read, no polling.
  exec 3< <(exec "$BIN" --data-dir "$work/data" serve --listen 127.0.0.1:0 2>"$work/err")
  pid=$!
  trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
  while IFS= read -r -t 300 line <&3; do
    case "$line" in *http://*) BASE=$(grep -o 'http://[0-9.:]*' <<<"$line"); break ;; esac
  done
  [ -n "${BASE:-}" ] || { cat "$work/err"; exit 1; }
fi
BASE=${BASE%/}
echo "server: $BASE, $N requests per page"
pages=(
  "/fr/" "/fr/ambitions/innovation-numerique" "/fr/programmes/dw4ai" "/fr/actions"
  "/fr/actions?audience=pme&relance=yes" "/fr/actions/demo-action-001" "/fr/explorer"
  "/fr/explorer?f=nace-bel-2008%3AC&f=rel%3Alabelled%3Dlabel%2Ffactory-of-the-future&f=rel%3Alabelled%3Dlabel%2Fmade-different&f=rel%3Amember_of%3Dorganisation-kind%3Apole-de-competitivite"
  "/fr/map?by=canton" "/fr/map?indicator=dw4citizens-espaces-publics-numeriques-epn-du-reseau&by=canton"
  "/fr/near?postcode=5000" "/fr/actions?format=csv"
  "/fr/strategies/digital-wallonia/a-surveiller" "/fr/?strategy=eu-digital-decade"
)
if [ -n "${PAGES:-}" ]; then read -ra pages <<<"$PAGES"; fi
wrk_pages=("/fr/" "/fr/actions/demo-action-001")
if [ -n "${WRK_PAGES:-}" ]; then read -ra wrk_pages <<<"$WRK_PAGES"; fi
for u in "${pages[@]}"; do
  for _ in 1 2 3 4 5; do curl -s -o /dev/null "$BASE$u"; done
  for _ in $(seq 1 "$N"); do curl -s -o /dev/null -w "%{time_total}\n" "$BASE$u"; done | sort -n |
    awk -v u="$u" '{a[NR]=$1} END {printf "%-50s p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms\n", substr(u,1,50), a[int(NR*0.5)]*1000, a[int(NR*0.99)]*1000, a[NR]*1000}'
done
if command -v wrk >/dev/null; then
  for u in "${wrk_pages[@]}"; do
    echo "== wrk -t2 -c64 -d$DURATION $u"
    wrk -t2 -c64 -d"$DURATION" --latency "$BASE$u" | grep -E "Requests/sec|Non-2xx|Socket errors|50%|99%|requests in"
  done
else
  echo "wrk not installed (apt-get install wrk): throughput skipped"
fi
