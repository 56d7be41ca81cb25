#!/usr/bin/env bash
# A throw-away PostgreSQL (Debian's, 15 or newer) for the test suite, idempotently:
# installs the package when missing, creates a cluster in a temporary directory the
# first time, starts it when it is not running, and prints the URL of its database:
#
#   export TERRITORIA_TEST_DATABASE=$(.ci/postgres.sh)
#
# The cluster listens on a Unix socket only (no TCP port to collide with), trusts
# local connections (it holds test data only), and runs as the `postgres` user when
# called as root (PostgreSQL refuses to run as root). `.ci/postgres.sh stop` stops it
# and removes its directory. Everything but the URL goes to stderr. For benchmarks,
# TERRITORIA_PG_DURABLE=1 TERRITORIA_PG_DIR=/tmp/bench-pg keeps PostgreSQL durable.
set -euo pipefail

DIR=${TERRITORIA_PG_DIR:-${TMPDIR:-/tmp}/territoria-pg-$(id -u)}
USER_NAME=territoria
DB_NAME=territoria

log() { echo "postgres.sh: $*" >&2; }

pgbin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$bin" ] && [ -x "$bin/initdb" ] && echo "$bin"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-}" = stop ]; then
  if BIN=$(pgbin) && [ -d "$DIR/data" ]; then
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
  fi
  rm -rf "$DIR"
  exit 0
fi

if ! BIN=$(pgbin); then
  log "installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
  BIN=$(pgbin) || { log "no initdb under /usr/lib/postgresql/*/bin after installing postgresql"; exit 1; }
fi
VERSION=$("$BIN/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
if [ "$VERSION" -lt 15 ]; then
  log "PostgreSQL $VERSION found; 15 or newer is needed"
  exit 1
fi

mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
if [ ! -f "$DIR/data/PG_VERSION" ]; then
  rm -rf "$DIR/data"
  log "creating a cluster in $DIR/data (PostgreSQL $VERSION)"
  as_owner "$BIN/initdb" -D "$DIR/data" -A trust -U "$USER_NAME" -E UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  # A cluster left by a killed run keeps a stale pid file; pg_ctl start handles it.
  # Tests need no durability; a benchmark compared with Territoria's durable writes does:
  # TERRITORIA_PG_DURABLE=1 keeps PostgreSQL's defaults (fsync, synchronous_commit).
  FAST="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${TERRITORIA_PG_DURABLE:-}" = 1 ] && FAST=""
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 start \
    -o "-c listen_addresses='' -k $DIR -c max_connections=300 $FAST" >&2 \
    || { log "the server did not start; its log:"; tail -n 30 "$DIR/log" >&2; exit 1; }
fi
if ! as_owner "$BIN/psql" -h "$DIR" -U "$USER_NAME" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
  as_owner "$BIN/createdb" -h "$DIR" -U "$USER_NAME" "$DB_NAME"
fi
echo "postgres://$USER_NAME@/$DB_NAME?host=$DIR"
