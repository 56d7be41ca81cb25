#!/usr/bin/env bash
# Import benchmark: Territoria's fully validated CSV import of organisations against the
# sqlite3 shell's `.import` of the same file (no validation, one text table), side by side.
#
#   cargo build --release && ROWS=100000 bench/import.sh
#
# Needs the sqlite3 shell (Debian package sqlite3).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-100000}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/territoria}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TERRITORIA_LOG=warn
TIMEFORMAT='%R'

echo "== preparing a ${ROWS}-row organisations CSV (exported from a demo store)"
"$BIN" --data-dir "$work/src" demo --organisations "$ROWS" 2>/dev/null
"$BIN" --data-dir "$work/src" export organisations --output "$work/orgs.csv" 2>/dev/null
echo "file: $(wc -l <"$work/orgs.csv") lines, $(du -h "$work/orgs.csv" | cut -f1)"
# The target store holds the reference data, the strategy and the demo's fixed entities
# (missions, poles) that rows point to, but no demo organisation.
"$BIN" --data-dir "$work/dst" demo --organisations 0 2>/dev/null

for run in 1 2 3; do
  rm -f "$work/raw.db"
  t_sqlite=$( { time sqlite3 "$work/raw.db" ".mode csv" ".separator ;" ".import $work/orgs.csv orgs" >/dev/null; } 2>&1 )
  cp -r "$work/dst" "$work/run"
  t_terr=$( { time "$BIN" --data-dir "$work/run" import organisations "$work/orgs.csv" 2>/dev/null; } 2>&1 )
  rm -rf "$work/run"
  echo "run $run: sqlite3 .import ${t_sqlite} s | territoria import ${t_terr} s | ratio $(echo "scale=2; $t_terr / $t_sqlite" | bc)"
done
