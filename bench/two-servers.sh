#!/usr/bin/env bash
# Two `territoria serve` processes on one PostgreSQL database (issue #15): an import by a
# third process must reach the *other* server's smart-magnet results. Starts the
# throw-away PostgreSQL of .ci/postgres.sh, loads a demo into a fresh database, starts
# two servers, imports one new organisation with a NACE code nobody else has, and
# measures how long server B takes to list it (polled every 10 ms; the bar is 1 s).
# With wrk installed, both servers are under load (64 connections) meanwhile.
#
#   BIN=target/release/territoria N=5000 bench/two-servers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/territoria}
N=${N:-5000}
URL=$(.ci/postgres.sh)
HOST=${URL#*host=}
DB=twoservers
psql "$URL" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null 2>&1
export TERRITORIA_DATABASE="postgres://territoria@/$DB?host=$HOST" TERRITORIA_LOG=warn
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
"$BIN" demo --organisations "$N" >/dev/null 2>&1
"$BIN" serve --listen 127.0.0.1:18181 >"$work/a.log" 2>&1 & pids+=($!)
"$BIN" serve --listen 127.0.0.1:18182 >"$work/b.log" 2>&1 & pids+=($!)
for port in 18181 18182; do
  until curl -sf "http://127.0.0.1:$port/api/health" >/dev/null; do sleep 0.2; done
done
q='nace-bel-2008:01.130'
count() { curl -sf "http://127.0.0.1:18182/api/magnets/search?q=$q&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
before=$(count)
if command -v wrk >/dev/null; then
  wrk -t4 -c64 -d30s "http://127.0.0.1:18181/api/magnets/search?q=nace-bel-2008:C" >"$work/wrk-a" & pids+=($!)
  wrk -t4 -c64 -d30s "http://127.0.0.1:18182/api/magnets/search?q=nace-bel-2008:C" >"$work/wrk-b" & pids+=($!)
  sleep 5
fi
printf 'id;name_fr;nace_2008;source\ntwo-servers-probe;Sonde deux serveurs (test);01.130;bench/two-servers.sh (synthetic)\n' >"$work/one.csv"
"$BIN" import organisations "$work/one.csv" >/dev/null 2>&1
t0=$(date +%s%N)
while [ "$(count)" = "$before" ]; do
  if [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 10000 ]; then echo "server B did not see the import within 10 s"; exit 1; fi
  sleep 0.01
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "server B lists the organisation imported next to server A after ${ms} ms (members $before -> $(count))"
if command -v wrk >/dev/null; then wait "${pids[2]}" "${pids[3]}"; grep -h "Requests/sec\|Non-2xx\|errors" "$work"/wrk-* || true; fi
