#!/usr/bin/env bash
# bench/situation/trickle.sh - the CACHED one-area-one-week picture (GET
# /v1/situation?area_id=<norrby>&week=$WEEK, wrk 32 connections) while idle and
# while a trickle of single-event transactions commits into ANOTHER week
# ($OTHER_WEEK, another area), for two estd binaries in the same run:
#   before  BENCH_BEFORE_BIN (e.g. a Release build of main: cluster-wide data
#           version, pg_current_snapshot())
#   after   this tree (per (area, day) bucket versions, migration 0070)
# Each binary gets its own database (its own migrations), generated with
# bench/situation/gen.sql (BENCH_EVENTS, default 200,000: short runs; the
# cached path does not depend on the event count). Prints JSON lines and a
# Markdown table (bench/situation/trickle_report.py); the ratio that matters
# is trickle p99 / idle p99 within one binary, measured minutes apart.
#
# PostgreSQL: the cluster of scripts/pg.sh at BENCH_PG_PORT / BENCH_PG_DATA
# (started here when it is not running).
#   BENCH_EVENTS (200000)  BENCH_DURATION (8s)  BENCH_WEEK (2024-W20)
#   BENCH_OTHER_WEEK_DAY (2024-07-24)  BENCH_TRICKLE_SLEEP (0.2 = ~5 writes/s)
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
EVENTS=${BENCH_EVENTS:-200000}
DUR=${BENCH_DURATION:-8s}
WEEK=${BENCH_WEEK:-2024-W20}
OTHER_DAY=${BENCH_OTHER_WEEK_DAY:-2024-07-24}
SLEEP=${BENCH_TRICKLE_SLEEP:-0.2}
BEFORE=${BENCH_BEFORE_BIN:?set BENCH_BEFORE_BIN to the estd binary to compare with (e.g. main, Release)}
bench_build
AFTER=$ESTD
psqlq() { "$REPO/scripts/pg.sh" psql -v ON_ERROR_STOP=1 -q "$@"; }
"$REPO/scripts/pg.sh" status >/dev/null 2>&1 || bench_pg_start
ESTD_PID=
TRICKLE_PID=
cleanup() {
  [ -n "$TRICKLE_PID" ] && kill "$TRICKLE_PID" 2>/dev/null
  [ -n "$ESTD_PID" ] && kill "$ESTD_PID" 2>/dev/null && wait "$ESTD_PID" 2>/dev/null
  bench_pg_stop || true
}
trap cleanup EXIT

# gen_db NAME BIN [SQL_DIR]: a database migrated and seeded by BIN, with EVENTS events.
gen_db() {
  local db=$1 bin=$2 sql=$3
  psqlq -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  ESTD_DATABASE_URL=$("$REPO/scripts/pg.sh" url "$db") ESTD_SQL_DIR=$sql ESTD_LOG_LEVEL=warn "$bin" seed --dev >/dev/null
  psqlq -d "$db" -v lo=1 -v hi="$EVENTS" -f "$REPO/bench/situation/gen.sql" >/dev/null
  psqlq -d "$db" -c "INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id, record_key)
                     SELECT e.id, a, e.occurred_at, e.kind, e.category, e.party_id, e.record_key
                     FROM events e, unnest(e.area_ids) a" -c "VACUUM (ANALYZE) events" -c "VACUUM (ANALYZE) event_areas"
}

# measure NAME BIN SQL_DIR: idle, then trickle, one JSON line each.
measure() {
  local name=$1 bin=$2 sql=$3 db=estd_bench_trickle_$1
  gen_db "$db" "$bin" "$sql"
  local url norrby hulta port=${BENCH_PORT:-18291}
  url=$("$REPO/scripts/pg.sh" url "$db")
  norrby=$(psqlq -d "$db" -tAc "SELECT id FROM areas WHERE code = 'norrby'")
  hulta=$(psqlq -d "$db" -tAc "SELECT id FROM areas WHERE code = 'hulta'")
  ESTD_DATABASE_URL=$url ESTD_SQL_DIR=$sql ESTD_PORT=$port ESTD_LOG_LEVEL=warn ESTD_AUTH=off ESTD_DB_POOL_SIZE=8 \
    ESTD_RATE_LIMIT_RPS=0 "$bin" serve >"/tmp/estd-bench-trickle-$name.log" 2>&1 &
  ESTD_PID=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local q="http://127.0.0.1:$port/v1/situation?area_id=$norrby&week=$WEEK"
  wrk -t2 -c32 -d2s "$q" >/dev/null 2>&1 || true # warm-up (fills the cache)
  wrk_json "$name.idle" "$q" "$DUR" --timeout 30s
  # The trickle: one incident per transaction in Hulta on OTHER_DAY (not read by the picture).
  (i=0; while :; do
     i=$((i + 1))
     echo "INSERT INTO events (source, source_event_id, party_id, kind, category, occurred_at, channel, area_ids)
           VALUES ('trickle', 't$i-$RANDOM', 1, 'incident', 'klotter', timestamptz '$OTHER_DAY 12:00+02', 'http',
           ARRAY[$hulta]::bigint[]);"
     sleep "$SLEEP"
   done) | psql -X -q "$url" >/dev/null 2>&1 &
  TRICKLE_PID=$! # psql itself: when it ends, the loop ends on its next write (SIGPIPE)
  sleep 1
  wrk_json "$name.trickle" "$q" "$DUR" --timeout 30s
  kill "$TRICKLE_PID" 2>/dev/null || true
  wait "$TRICKLE_PID" 2>/dev/null || true
  TRICKLE_PID=
  local writes hits
  writes=$(psqlq -d "$db" -tAc "SELECT count(*) FROM events WHERE source = 'trickle'")
  hits=$(curl -fs "http://127.0.0.1:$port/metrics" | awk '/^estd_situation_cache_requests_total/{printf "%s ", $0}' | tr '"' "'")
  echo "{\"name\":\"$name.info\",\"trickle_writes\":$writes,\"cache\":\"$hits\"}"
  kill "$ESTD_PID"; wait "$ESTD_PID" 2>/dev/null || true
  ESTD_PID=
  psqlq -d postgres -c "DROP DATABASE $db WITH (FORCE)"
}

OUT=$(mktemp)
measure before "$BEFORE" "${BENCH_BEFORE_SQL:-$(dirname "$BEFORE")/../sql}" | tee -a "$OUT"
measure after "$AFTER" "$REPO/sql" | tee -a "$OUT"
python3 "$REPO/bench/situation/trickle_report.py" "$OUT" "$EVENTS" "$(nproc)"
rm -f "$OUT"
