#!/usr/bin/env bash
# pg.sh - a private PostgreSQL 15 (+PostGIS) cluster for development and tests.
#
#   scripts/pg.sh start      initdb (first time) and start; prints nothing else
#   scripts/pg.sh stop       fast shutdown (idempotent)
#   scripts/pg.sh restart    stop + start (used by the restart tests)
#   scripts/pg.sh status     exit 0 when the cluster runs
#   scripts/pg.sh url [DB]   prints the libpq URL for database DB (default estd)
#   scripts/pg.sh createdb DB [TEMPLATE]
#   scripts/pg.sh wipe       stop and delete the data directory
#
# Streaming replica (tests/integration/test_replica.py; ESTD_DATABASE_READ_URL):
#   ESTD_PG_PRIMARY_PORT=P scripts/pg.sh replica-start
#       first time: pg_basebackup of the primary on 127.0.0.1:P into this
#       call's ESTD_PG_DATA (-R: standby.signal + primary_conninfo; a physical
#       replication slot estd_replica_<port> keeps the WAL it still needs),
#       then start it as a hot standby on ESTD_PG_PORT. Later calls just start it.
#   ESTD_PG_PRIMARY_PORT=P scripts/pg.sh replica-wipe
#       stop, delete the data directory, drop the slot on the primary.
# stop/status/psql/url work on a replica as on any cluster.
#
# Listens on 127.0.0.1:${ESTD_PG_PORT:-25432} only. PostgreSQL refuses to run
# as root, so as root the server runs as the 'postgres' OS user.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DATA=${ESTD_PG_DATA:-$REPO/.data/pg}
PORT=${ESTD_PG_PORT:-25432}
SOCK=${ESTD_PG_SOCKDIR:-$DATA/run}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_running() { [ -f "$DATA/db/postmaster.pid" ] && as_owner "$PGBIN/pg_ctl" -D "$DATA/db" status >/dev/null 2>&1; }

init() {
  [ -f "$DATA/db/PG_VERSION" ] && return 0
  mkdir -p "$DATA/db" "$SOCK"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    chown -R postgres: "$DATA"
    # The data dir's parents must be traversable by the postgres user.
    d=$DATA; while [ "$d" != / ]; do d=$(dirname "$d"); chmod o+x "$d" 2>/dev/null || true; done
  fi
  as_owner "$PGBIN/initdb" -D "$DATA/db" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$DATA/initdb.log" 2>&1
  cat >>"$DATA/db/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
max_connections = 200
shared_buffers = 256MB
fsync = on
synchronous_commit = on
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
log_min_messages = warning
log_min_error_statement = panic
# JIT off for every client, not only estd's pool (src/store/pool.c): on the partitioned
# events tables the summed partition costs pass jit_above_cost, and compiling a short
# statement's expressions costs seconds (a rollup check of tests/integration/test_rollups.py
# took 4.6 s of JIT per run, the whole test 30x its time on unpartitioned tables).
jit = off
CONF
}

replica_init() {
  [ -f "$DATA/db/PG_VERSION" ] && return 0
  local primary=${ESTD_PG_PRIMARY_PORT:?ESTD_PG_PRIMARY_PORT must name the primary port}
  local slot=estd_replica_$PORT
  mkdir -p "$DATA" "$SOCK"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    chown -R postgres: "$DATA"
    d=$DATA; while [ "$d" != / ]; do d=$(dirname "$d"); chmod o+x "$d" 2>/dev/null || true; done
  fi
  # A slot left by an earlier replica of this port would make -C fail.
  "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$primary" -U postgres -d postgres -c \
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$slot' AND NOT active" >/dev/null
  as_owner "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$DATA/db" -X stream -C -S "$slot" -R \
    -c fast >"$DATA/basebackup.log" 2>&1 || { cat "$DATA/basebackup.log" >&2; exit 1; }
  # The copy carries the primary's port and socket directory: this one's win (last setting counts).
  cat >>"$DATA/db/postgresql.conf" <<CONF
port = $PORT
unix_socket_directories = '$SOCK'
hot_standby = on
hot_standby_feedback = on
CONF
}

start() {
  ${1:-init}
  pg_running && return 0
  # -p: the port of this call's environment wins over the one written at initdb.
  as_owner "$PGBIN/pg_ctl" -D "$DATA/db" -l "$DATA/postgres.log" -o "-p $PORT" -w -t 60 start >/dev/null
  for _ in $(seq 1 50); do
    "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && return 0
    sleep 0.2
  done
  echo "pg.sh: PostgreSQL did not become ready; log:" >&2; tail -20 "$DATA/postgres.log" >&2; exit 1
}

stop() {
  pg_running || return 0
  as_owner "$PGBIN/pg_ctl" -D "$DATA/db" -m fast -w -t 60 stop >/dev/null
}

psql_admin() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) pg_running ;;
  url) echo "postgresql://postgres@127.0.0.1:$PORT/${2:-estd}" ;;
  createdb)
    db=$2; tmpl=${3:-template1}
    psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\" TEMPLATE \"$tmpl\"" ;;
  psql) shift; psql_admin "$@" ;;
  wipe) stop; rm -rf "$DATA" ;;
  replica-start) start replica_init ;;
  replica-wipe)
    stop; rm -rf "$DATA"
    "$PGBIN/psql" -X -q -h 127.0.0.1 -p "${ESTD_PG_PRIMARY_PORT:?}" -U postgres -d postgres -c \
      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'estd_replica_$PORT'" \
      >/dev/null 2>&1 || true ;;
  *) echo "usage: $0 start|stop|restart|status|url [DB]|createdb DB [TEMPLATE]|psql ARGS|wipe|replica-start|replica-wipe" >&2; exit 2 ;;
esac
