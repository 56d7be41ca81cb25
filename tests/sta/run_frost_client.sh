#!/usr/bin/env bash
# FROST-Server's own Python client (`frost-sta-client`, PyPI) against a fresh
# `territoria serve` on a free port with a temporary data dir: an editor's write token,
# then tests/sta/frost_client.py (create Things, Datastreams and Observations, $filter,
# $orderby, $top, @iot.nextLink paging, $expand). Installs the client only when it is not
# importable. Called by .ci/run.
#   tests/sta/run_frost_client.sh [path/to/territoria]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cd "$root/.." && pwd)/territoria-target}"
python3 -c 'import frost_sta_client' 2>/dev/null || python3 -m pip install --quiet frost-sta-client
if [ $# -ge 1 ]; then
  bin="$1"
else
  (cd "$root" && cargo build --locked -p territoria)
  bin="$CARGO_TARGET_DIR/debug/territoria"
fi
dir="$(mktemp -d)"
"$bin" --data-dir "$dir" --no-demo admin create-user --login sta-editor --role editor >/dev/null
token="$("$bin" --data-dir "$dir" --no-demo admin create-token --login sta-editor --name frost --scope write | grep -o 'terr_[A-Za-z0-9_-]*' | head -1)"
# The server prints its URL on stdout once it listens: read it from the pipe (blocking
# read with a deadline, no polling).
exec 3< <(exec "$bin" --data-dir "$dir" --no-demo serve --listen 127.0.0.1:0 2>"$dir/serve.err")
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
url=""
while IFS= read -r -t 300 line <&3; do
  case "$line" in
    *http://*) url="$(grep -o 'http://[0-9.:]*' <<<"$line")"; break ;;
  esac
done
[ -n "$url" ] || { echo "the server did not start" >&2; cat "$dir/serve.err" >&2; exit 1; }
echo "== SensorThings API v1.1 with FROST's Python client (frost-sta-client) against $url"
python3 "$here/frost_client.py" "$url/api/sta/v1.1" "$token"
