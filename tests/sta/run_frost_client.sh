#!/usr/bin/env bash
# Runs tests/sta/frost_client.py (FROST's Python client) against a fresh `territoria serve`.
#   tests/sta/run_frost_client.sh [path/to/territoria] [path/to/python-with-frost-sta-client]
# The python defaults to .venv-sta/bin/python (python3 -m venv .venv-sta && .venv-sta/bin/pip install frost-sta-client).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-target}/debug/territoria}"
py="${2:-$here/../../.venv-sta/bin/python}"
dir="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
"$bin" --data-dir "$dir" --no-demo admin create-user --login sta-editor --role editor >/dev/null
token="$("$bin" --data-dir "$dir" --no-demo admin create-token --login sta-editor --name frost --scope write | grep -o 'terr_[A-Za-z0-9_-]*' | head -1)"
"$bin" --data-dir "$dir" --no-demo serve --listen 127.0.0.1:0 >"$dir/serve.log" 2>&1 &
pid=$!
# The server prints its address once it listens.
for _ in $(seq 1 600); do
  addr="$(grep -o 'http://127.0.0.1:[0-9]*' "$dir/serve.log" | head -1 || true)"
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/serve.log"; exit 1; }
  read -r -t 0.1 <> <(:) || true
done
[ -n "$addr" ] || { echo "the server did not start"; cat "$dir/serve.log"; exit 1; }
"$py" "$here/frost_client.py" "$addr/api/sta/v1.1" "$token"
