#!/usr/bin/env bash
# Open-data conformance against a running server: the DCAT-AP 3.0.1 SHACL shapes (pyshacl),
# the CKAN client `ckanapi`, and Opendatasoft's own clients (odsclient, pandas, geopandas,
# @opendatasoft/api-client). Installs both (PyPI) only when they are not importable,
# starts `territoria serve` on a free port with a temporary data dir, runs
# tests/opendata/validate_dcat.py and tests/opendata/ckan_client.py, stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cd .. && pwd)/territoria-target}"

python3 -c 'import pyshacl, ckanapi' 2>/dev/null || python3 -m pip install --quiet pyshacl ckanapi
# --- CKAN clients and harvesters (issue #11): pandas reads the DataStore; the `ckanapi`
# CLI (installed with the package) dumps datasets and groups.
python3 -c 'import pandas' 2>/dev/null || python3 -m pip install --quiet pandas
# --- end of CKAN clients
# --- Opendatasoft's own clients (issue #11): odsclient, pandas, geopandas (pyogrio bundles
# GDAL in its wheels) from PyPI, @opendatasoft/api-client from npm (tests/opendata/js).
python3 -c 'import odsclient, pandas, geopandas' 2>/dev/null ||
  python3 -m pip install --quiet odsclient pandas geopandas
[ -d tests/opendata/js/node_modules/@opendatasoft/api-client ] ||
  (cd tests/opendata/js && npm ci --no-audit --no-fund)
# --- end of Opendatasoft's clients
# --- parquet and xlsx exports (issue #11): pyarrow, DuckDB, openpyxl (PyPI).
python3 -c 'import pyarrow, duckdb, openpyxl' 2>/dev/null ||
  python3 -m pip install --quiet pyarrow duckdb openpyxl
# --- end of parquet and xlsx

cargo build --locked -p territoria
bin="$CARGO_TARGET_DIR/debug/territoria"
data="$(mktemp -d)"
# The server prints its URL on stdout once it listens: read it from the pipe (blocking
# read with a deadline, no polling).
exec 3< <(exec "$bin" --data-dir "$data/store" serve --listen 127.0.0.1:0 --organisations 2000 2>"$data/serve.err")
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

url=""
while IFS= read -r -t 300 line <&3; do
  case "$line" in
    *http://*) url="$(grep -o 'http://[0-9.:]*' <<<"$line")"; break ;;
  esac
done
[ -n "$url" ] || { echo "the server did not start" >&2; cat "$data/serve.err" >&2; exit 1; }

echo "== DCAT-AP 3.0.1 (pyshacl) against $url"
python3 tests/opendata/validate_dcat.py "$url"
echo "== CKAN (ckanapi) against $url"
python3 tests/opendata/ckan_client.py "$url"
# --- CKAN clients and harvesters (issue #11)
echo "== CKAN harvester (ckanext-harvest's gather requests, replayed) against $url"
python3 tests/opendata/harvest_replay.py "$url"
echo "== CKAN DataStore (datastore_search) read with pandas against $url"
python3 tests/opendata/datastore_pandas.py "$url"
# --- end of CKAN clients
# --- Opendatasoft's own clients (issue #11)
echo "== Opendatasoft's Python clients (odsclient, pandas, geopandas) against $url"
python3 tests/opendata/ods_python_clients.py "$url"
echo "== parquet (pyarrow, pandas, DuckDB), xlsx (pandas/openpyxl), compressed=true against $url"
python3 tests/opendata/exports_parquet_xlsx.py "$url"
echo "== Opendatasoft's JavaScript client (@opendatasoft/api-client) against $url"
(cd tests/opendata/js && TERRITORIA_URL="$url" node --test ods_client.test.mjs)
# --- end of Opendatasoft's clients
