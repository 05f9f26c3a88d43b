#!/usr/bin/env bash
# bench/situation/run.sh - the situational picture (GET /v1/situation) under wrk
# (32 connections) on 10 million events over two years, beside the /livez
# baseline in the same run. Writes bench/results/situation.json and the
# "Situational picture" section of docs/BENCHMARKS.md.
#
# Uses a private PostgreSQL cluster of its own (port 57442, .data/bench-situation-pg)
# so the shared test cluster is not loaded; the generated database is kept and
# reused by later runs (BENCH_REGEN=1 regenerates it). Generation: ~10 chunks of
# 1M events with generate_series, secondary indexes dropped during the load and
# rebuilt after it.
#
# Two estd instances on the same database: one with the response cache (default
# ESTD_SITUATION_CACHE_ENTRIES=64) and one with ESTD_SITUATION_CACHE_ENTRIES=0, so the
# uncached path (every request computes the picture) and the cached path (every request
# reads the data version, then serves the stored body) are measured in the same run.
#
#   BENCH_EVENTS (10000000)  BENCH_DURATION (10s, keep <= 15s)  BENCH_WEEK (2024-W20)
set -euo pipefail
export BENCH_PG_PORT=${BENCH_PG_PORT:-57442}
export BENCH_PG_DATA=${BENCH_PG_DATA:-$(cd "$(dirname "$0")/../.." && pwd)/.data/bench-situation-pg}
source "$(dirname "$0")/../lib.sh"
EVENTS=${BENCH_EVENTS:-10000000}
DUR=${BENCH_DURATION:-10s}
WEEK=${BENCH_WEEK:-2024-W20}
CHUNK=1000000
DB=estd_bench_situation
mkdir -p "$REPO/bench/results"
# Release build (bench/lib.sh); if another module does not build warning-free at -O3 yet,
# fall back to a Release build of our own that keeps that warning a warning.
if cmake -S "$REPO" -B "$REPO/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
   ninja -C "$REPO/build-bench" estd >/dev/null 2>&1; then
  ESTD="$REPO/build-bench/estd"
else
  echo "note: build-bench failed; using build-situation-bench with -Wno-error=format-truncation" >&2
  cmake -S "$REPO" -B "$REPO/build-situation-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS=-Wno-error=format-truncation >/dev/null
  ninja -C "$REPO/build-situation-bench" estd >/dev/null
  ESTD="$REPO/build-situation-bench/estd"
fi
bench_pg_start
psqlq() { "$REPO/scripts/pg.sh" psql -v ON_ERROR_STOP=1 -q "$@"; }
trap 'kill $ESTD_PID $ESTD_OFF_PID 2>/dev/null; wait $ESTD_PID $ESTD_OFF_PID 2>/dev/null; bench_pg_stop' EXIT
ESTD_PID=
ESTD_OFF_PID=

# Memory for a 10M-row working set (the machine has far more than this).
if [ "$(psqlq -d postgres -tAc "SHOW shared_buffers")" != "2GB" ]; then
  psqlq -d postgres -c "ALTER SYSTEM SET shared_buffers = '2GB'" -c "ALTER SYSTEM SET effective_cache_size = '8GB'" \
        -c "ALTER SYSTEM SET work_mem = '32MB'" -c "ALTER SYSTEM SET maintenance_work_mem = '1GB'" \
        -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "ALTER SYSTEM SET jit = off"
  "$REPO/scripts/pg.sh" restart
fi

HAVE=$(psqlq -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")
if [ -n "$HAVE" ] && [ -z "${BENCH_REGEN:-}" ]; then
  HAVE=$(psqlq -d $DB -tAc "SELECT count(*) FROM events" 2>/dev/null || echo 0)
  [ "$HAVE" -ge "$EVENTS" ] || HAVE=
fi
URL=$("$REPO/scripts/pg.sh" url $DB)
if [ -z "$HAVE" ] || [ -n "${BENCH_REGEN:-}" ]; then
  T0=$(date +%s)
  psqlq -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_LOG_LEVEL=warn "$ESTD" seed --dev >/dev/null
  # The monthly partitions of gen.sql's two years: migration 0120 makes them from 24 months
  # back only, so on a later date every older row would land in the default partition (one
  # 10 M-row partition: its indexes span all of history, and the week's probes read them all).
  psqlq -d $DB -tAc "SELECT est_event_partitions_ensure('2022-12-01', NULL)" >/dev/null
  # Drop the secondary indexes of events/event_areas during the load; keep their definitions.
  psqlq -d $DB -c "CREATE TABLE bench_indexes AS SELECT indexname, replace(indexdef, ' ON ONLY ', ' ON ') AS indexdef FROM pg_indexes
                   WHERE tablename IN ('events', 'event_areas') AND indexname NOT IN
                   (SELECT conname FROM pg_constraint WHERE conrelid IN ('events'::regclass, 'event_areas'::regclass))"
  for idx in $(psqlq -d $DB -tAc "SELECT indexname FROM bench_indexes"); do psqlq -d $DB -c "DROP INDEX $idx"; done
  for ((lo = 1; lo <= EVENTS; lo += CHUNK)); do
    hi=$((lo + CHUNK - 1)); [ $hi -le "$EVENTS" ] || hi=$EVENTS
    psqlq -d $DB -v lo=$lo -v hi=$hi -f "$REPO/bench/situation/gen.sql" >/dev/null
    echo "events $hi / $EVENTS ($(( $(date +%s) - T0 )) s)"
  done
  # The area rows with the columns they repeat (the intake's way: the fill trigger does not fire).
  psqlq -d $DB -c "INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id, record_key,
                   duration_s, hs_pt) SELECT e.id, a, e.occurred_at, e.kind, e.category, e.party_id, e.record_key,
                   e.duration_s, e.hs_pt FROM events e, unnest(e.area_ids) a"
  echo "event_areas loaded ($(( $(date +%s) - T0 )) s)"
  psqlq -d $DB -tAc "SELECT indexdef FROM bench_indexes" | while read -r def; do
    [ -n "$def" ] && psqlq -d $DB -c "SET maintenance_work_mem = '1GB'" -c "$def"
  done
  psqlq -d $DB -c "DROP TABLE bench_indexes" -c "VACUUM (ANALYZE) events" -c "VACUUM (ANALYZE) event_areas"
  echo "generated in $(( $(date +%s) - T0 )) s"
fi
GEN_S=${T0:+$(( $(date +%s) - T0 ))}

NORRBY=$(psqlq -d $DB -tAc "SELECT id FROM areas WHERE code = 'norrby'")
STATS=$(psqlq -d $DB -tAc "SELECT json_build_object(
  'events', (SELECT count(*) FROM events), 'event_areas', (SELECT count(*) FROM event_areas),
  'norrby_week_incidents', (SELECT count(*) FROM event_areas WHERE area_id = $NORRBY AND kind = 'incident'
     AND occurred_at >= (date '2024-05-13')::timestamp AT TIME ZONE 'Europe/Stockholm'
     AND occurred_at < (date '2024-05-20')::timestamp AT TIME ZONE 'Europe/Stockholm'),
  'all_week_incidents', (SELECT count(*) FROM events WHERE kind = 'incident'
     AND occurred_at >= (date '2024-05-13')::timestamp AT TIME ZONE 'Europe/Stockholm'
     AND occurred_at < (date '2024-05-20')::timestamp AT TIME ZONE 'Europe/Stockholm'),
  'db_size', pg_size_pretty(pg_database_size('$DB')))")
echo "data: $STATS"

PORT=${BENCH_PORT:-18191}
PORT_OFF=$((PORT + 1))
start_estd() { # PORT CACHE_ENTRIES LOG
  ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_PORT=$1 ESTD_LOG_LEVEL=warn ESTD_AUTH=off \
    ESTD_DB_POOL_SIZE=${BENCH_POOL:-8} \
    ESTD_SITUATION_CACHE_ENTRIES=$2 ESTD_DB_STATEMENT_TIMEOUT_MS=60000 "$ESTD" serve >"$3" 2>&1 &
}
start_estd "$PORT" 64 /tmp/estd-bench-situation.log; ESTD_PID=$!
start_estd "$PORT_OFF" 0 /tmp/estd-bench-situation-off.log; ESTD_OFF_PID=$!
for p in "$PORT" "$PORT_OFF"; do
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$p/readyz" >/dev/null && break; sleep 0.1; done
done
BASE=http://127.0.0.1:$PORT
OFF=http://127.0.0.1:$PORT_OFF
Q_ONE="/v1/situation?area_id=$NORRBY&week=$WEEK"
Q_ALL="/v1/situation?week=$WEEK"
# Same body from both instances (the cache changes nothing but the latency).
cmp <(curl -fs "$BASE$Q_ONE") <(curl -fs "$OFF$Q_ONE") && cmp <(curl -fs "$BASE$Q_ALL") <(curl -fs "$OFF$Q_ALL")
# Single-request latency (no concurrency): median of N sequential requests.
single() { for _ in $(seq 1 "$2"); do curl -s -o /dev/null -w '%{time_total}\n' "$1"; done | sort -n | sed -n "$(( ($2 + 1) / 2 ))p"; }
SINGLES=$(printf '{"one_uncached": %s, "all_uncached": %s, "one_cached": %s, "all_cached": %s}' \
  "$(single "$OFF$Q_ONE" 21)" "$(single "$OFF$Q_ALL" 5)" "$(single "$BASE$Q_ONE" 21)" "$(single "$BASE$Q_ALL" 21)")
wrk -t2 -c32 -d3s "$BASE$Q_ONE" >/dev/null 2>&1 || true  # warm-up

# After wrk stops, estd still finishes the requests it had queued (an uncached all-areas
# backlog is ~30 s of CPU): wait until PostgreSQL has no active statement of the benchmark
# database before the next row, so one row's backlog never loads the next one.
idle() {
  for _ in $(seq 1 120); do
    [ "$(psqlq -d postgres -tAc "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DB'
          AND state = 'active' AND pid <> pg_backend_pid()")" = 0 ] && return; sleep 0.5
  done
}
RESULTS=$(mktemp)
wrk_json livez "$BASE/livez" "$DUR" >>"$RESULTS"
# wrk's default 2 s timeout would drop the slow requests from the percentiles: wait 60 s.
idle; wrk_json one_cached "$BASE$Q_ONE" "$DUR" --timeout 60s >>"$RESULTS"
idle; wrk_json all_cached "$BASE$Q_ALL" "$DUR" --timeout 60s >>"$RESULTS"
idle; wrk_json one_uncached "$OFF$Q_ONE" "$DUR" --timeout 60s >>"$RESULTS"
idle; wrk_json all_uncached "$OFF$Q_ALL" "$DUR" --timeout 60s >>"$RESULTS"
CACHE=$(curl -fs "$BASE/metrics" | awk '/^estd_situation_cache_(requests|coalesced)_total/{print}' | tr '\n' ';')
python3 "$REPO/bench/situation/report.py" "$RESULTS" "$STATS" "$SINGLES" "$CACHE" "$(nproc)" "${GEN_S:-}"
rm -f "$RESULTS"
