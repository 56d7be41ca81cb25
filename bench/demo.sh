#!/usr/bin/env bash
# Demo benchmark: generate and load N synthetic organisations into a fresh store
# (reference data + strategy + demo, one transaction), timed by /usr/bin/time.
#
#   cargo build --release && N=1000000 bench/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/territoria}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TERRITORIA_LOG=warn
for run in 1 2 3; do
  rm -rf "$work/data"
  /usr/bin/time -f "run $run: %e s wall, %U s user, %M KiB max RSS" \
    "$BIN" --data-dir "$work/data" demo --organisations "$N" 2>&1 | grep -E "^run|Store created"
done
du -sh "$work/data"
