#!/usr/bin/env bash
# ODSQL against DuckDB on the same rows (issue #11): a store of N demo organisations
# (default 1,000,000; reused when DATA already holds one), `territoria serve` on it, the
# organisations dataset exported as CSV and loaded into DuckDB (PyPI, in a venv), then
# bench/odsql_vs_duckdb.py runs each query RUNS times (default 15) on both, compares the
# answers and prints the medians.
#
#   cargo build --release -p territoria && bench/odsql-vs-duckdb.sh
#   N=20000 RUNS=5 bench/odsql-vs-duckdb.sh        # a quick smoke run
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cd .. && pwd)/territoria-target}"
bin="${BIN:-$CARGO_TARGET_DIR/release/territoria}"
n="${N:-1000000}"
data="${DATA:-/tmp/territoria-odbench-$n}"
venv="${VENV:-/tmp/territoria-odbench-venv}"
runs="${RUNS:-15}"

[ -x "$bin" ] || { echo "no release binary at $bin: cargo build --release -p territoria" >&2; exit 1; }
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import duckdb' 2>/dev/null || "$venv/bin/pip" install --quiet duckdb

if [ ! -f "$data/territoria.sqlite" ]; then
  echo "== generating $n demo organisations into $data"
  "$bin" --data-dir "$data" demo --organisations "$n" >/dev/null
fi

work="$(mktemp -d)"
exec 3< <(exec "$bin" --data-dir "$data" serve --listen 127.0.0.1:0 2>"$work/serve.err")
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
url=""
while IFS= read -r -t 600 line <&3; do
  case "$line" in
    *http://*) url="$(grep -o 'http://[0-9.:]*' <<<"$line")"; break ;;
  esac
done
[ -n "$url" ] || { echo "the server did not start" >&2; cat "$work/serve.err" >&2; exit 1; }
# The server answers once its open-data catalogue is built (503 until then).
api="$url/api/explore/v2.1/catalog/datasets/organisations"
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/records?limit=0")" = 200 ]; do sleep 1; done

echo "== exporting the organisations dataset as CSV from $url"
curl -sf -o "$work/organisations.csv" "$api/exports/csv?delimiter=%3B"
echo "   $(($(wc -l <"$work/organisations.csv") - 1)) rows, $(du -h "$work/organisations.csv" | cut -f1)"
echo "== $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $runs runs per query"
"$venv/bin/python" bench/odsql_vs_duckdb.py "$url" "$work/organisations.csv" "$runs"

# The parquet export of every organisation: time, the server's resident memory before,
# during (sampled every 0.2 s) and after, and DuckDB reading it back (row count, types).
echo "== parquet export of the organisations dataset"
rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status"; }
before="$(rss)"
( peak=0; while kill -0 "$pid" 2>/dev/null && [ ! -f "$work/done" ]; do
    r="$(rss)"; [ "$r" -gt "$peak" ] && peak="$r" && echo "$peak" >"$work/peak"; sleep 0.2
  done ) &
sampler=$!
start="$(date +%s.%N)"
curl -sf -o "$work/organisations.parquet" "$api/exports/parquet"
end="$(date +%s.%N)"
touch "$work/done"; wait "$sampler" 2>/dev/null || true
echo "   $(du -h "$work/organisations.parquet" | cut -f1) in $(echo "$end - $start" | bc) s;" \
  "server VmRSS ${before} MiB before, $(cat "$work/peak" 2>/dev/null || echo "$before") MiB at most during, $(rss) MiB after"
"$venv/bin/python" - "$work/organisations.parquet" <<'PY'
import sys, duckdb
path = sys.argv[1]
n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0]
types = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
print(f"   DuckDB reads {n} rows;", ", ".join(f"{c} {t}" for c, t, *_ in types))
PY
