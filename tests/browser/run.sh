#!/usr/bin/env bash
# Browser tests of the public dashboard: builds the binary, installs the npm packages
# (playwright-core, axe-core; the browser is the Debian package `chromium`), runs them.
# Screenshots go to $CARGO_TARGET_DIR/browser-artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cd "$root/.." && pwd)/territoria-target}"
command -v chromium >/dev/null || { echo "chromium is missing: apt-get install -y chromium" >&2; exit 1; }
(cd "$root" && cargo build --locked -p territoria)
[ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ] || npm ci --no-audit --no-fund
export TERRITORIA_BIN="$CARGO_TARGET_DIR/debug/territoria"
export ARTIFACTS="$CARGO_TARGET_DIR/browser-artifacts"
rm -rf "$ARTIFACTS" && mkdir -p "$ARTIFACTS"
node --test --test-concurrency=1 dashboard.test.mjs journeys.test.mjs cors.test.mjs govern.test.mjs oidc.test.mjs report.test.mjs digiscore.test.mjs
echo "screenshots: $ARTIFACTS"
