#!/usr/bin/env bash
# Smart-magnet benchmark (issue #3): Territoria's bitmap index vs SQLite (indexed
# junction table) vs PostgreSQL 15 (GIN-indexed concept arrays), same queries, answers
# compared. Generates the data once (N organisations with ~TAGS concepts each), starts a
# throw-away PostgreSQL 15 from the Debian package on a Unix socket (no TCP), runs
# `cargo bench -p territoria-magnet`, and stops it.
#
#   N=1000000 TAGS=25 bench/magnets.sh
# Needs: postgresql-15 (apt-get install postgresql-15); run as root or as a user that
# can run initdb.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
TAGS=${TAGS:-25}
DATA=${DATA:-/tmp/territoria-magnets-$N-$TAGS}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cargo build --release -p territoria
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/territoria}
if [ ! -f "$DATA/territoria.sqlite" ]; then
  TERRITORIA_LOG=warn "$BIN" --data-dir "$DATA" demo --organisations "$N" --tags-per-organisation "$TAGS"
fi

pg=$(mktemp -d)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pg"
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$pg/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$pg"; }
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$pg/data" -A trust -U bench >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$pg/data" -l "$pg/log" -w start \
  -o "-c listen_addresses='' -k $pg -c shared_buffers=2GB -c work_mem=256MB -c effective_cache_size=8GB" >/dev/null
echo "postgresql: $("$PGBIN/postgres" --version)"

TERRITORIA_BENCH_DATA="$DATA" TERRITORIA_BENCH_PG="host=$pg user=bench dbname=postgres" \
  cargo bench -p territoria-magnet --bench magnets
