#!/usr/bin/env bash
# bench/situation/intake_load.sh - the situational picture while events keep
# arriving (issue 13), in one run, rollups vs. the raw-event recount:
#
#   rollup   this tree (counts from the rollups of migration 0090, hot spots
#            recomputed only when their buckets changed, at most
#            ESTD_HOTSPOT_MAX_STALENESS_S stale)
#   raw      the same binary and database with ESTD_SITUATION_SOURCE=raw (every
#            count recounted from the raw events, hot spots always recomputed:
#            the computation of main before this change), the same-run baseline
#
# Rows: wrk 2 threads / 32 connections on one area and one week (Norrby,
# $WEEK) and on all areas and that week, idle and under continuous intake of
# $RATE incidents/s into Norrby in that week (bench/situation/writer.py, HTTP
# batch intake, through a third estd so the writer does not share the measured
# instance); single uncached requests (ESTD_SITUATION_CACHE_ENTRIES=0, median of
# sequential requests) for both sources. The bodies of the two sources are
# compared byte for byte first. A profile (EXPLAIN ANALYZE of the counts of
# both sources, perf of the measured estd when available) goes to the output.
#
# PostgreSQL: the cluster of scripts/pg.sh at ESTD_PG_PORT (the caller's test
# cluster is fine: one database, estd_bench_load, kept for reruns).
#   BENCH_EVENTS (2000000)  BENCH_DURATION (8s)  BENCH_WEEK (2024-W20)  BENCH_RATE (2000)  ESTD_BIN
#   BENCH_RAW=0 skips the wrk rows of the raw source (its single requests stay)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
EVENTS=${BENCH_EVENTS:-2000000}
DUR=${BENCH_DURATION:-8s}
DUR_S=${DUR%s}
WEEK=${BENCH_WEEK:-2024-W20}
MONDAY=${BENCH_WEEK_MONDAY:-2024-05-13}
RATE=${BENCH_RATE:-2000}
DB=estd_bench_load
CHUNK=500000
PY=${PY:-$REPO/.venv/bin/python}
psqlq() { "$REPO/scripts/pg.sh" psql -v ON_ERROR_STOP=1 -q "$@"; }
wrk_json() { # NAME URL: one JSON line
  wrk -t2 -c32 -d"$DUR" --latency --timeout 60s -s "$REPO/bench/wrk_report.lua" "$2" 2>/dev/null |
    awk -v name="$1" '/^JSON /{sub(/^JSON /,""); sub(/^\{/, "{\"name\":\"" name "\","); print}'
}
# RelWithDebInfo (-O2 -g: symbols for perf), as bench/intake/run.sh; ESTD_BIN: another build
# (e.g. an earlier commit's, for a before/after pair on the same database)
if [ -n "${ESTD_BIN:-}" ]; then
  ESTD=$ESTD_BIN
else
  cmake -S "$REPO" -B "$REPO/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DESTD_BUILD_TESTS=OFF >/dev/null
  ninja -C "$REPO/build-bench" estd >/dev/null
  ESTD="$REPO/build-bench/estd"
fi
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT

HAVE=$(psqlq -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")
[ -n "$HAVE" ] && HAVE=$(psqlq -d $DB -tAc "SELECT count(*) >= $EVENTS FROM events WHERE source = 'bench'" 2>/dev/null || true)
URL=$("$REPO/scripts/pg.sh" url $DB)
GEN_S=
if [ "$HAVE" != t ]; then
  T0=$(date +%s)
  psqlq -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_LOG_LEVEL=warn "$ESTD" seed --dev >/dev/null
  # the monthly partitions of gen.sql's two years (migration 0120 makes them from 24 months
  # back only; older rows would all land in the default partition)
  psqlq -d $DB -tAc "SELECT est_event_partitions_ensure('2022-12-01', NULL)" >/dev/null
  for ((lo = 1; lo <= EVENTS; lo += CHUNK)); do
    first=$(psqlq -d $DB -tAc "SELECT COALESCE(max(id), 0) FROM events")
    hi=$((lo + CHUNK - 1)); [ $hi -le "$EVENTS" ] || hi=$EVENTS
    psqlq -d $DB -v lo=$lo -v hi=$hi -f "$REPO/bench/situation/gen.sql" >/dev/null
    # the area rows of the chunk with the columns they repeat (the intake's way: no fill trigger)
    psqlq -d $DB -c "INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id, record_key,
                       duration_s, hs_pt) SELECT e.id, a, e.occurred_at, e.kind, e.category, e.party_id, e.record_key,
                       e.duration_s, e.hs_pt FROM events e, unnest(e.area_ids) a
                     WHERE e.id > $first"
    echo "events $hi / $EVENTS ($(( $(date +%s) - T0 )) s)" >&2
  done
  psqlq -d $DB -c "VACUUM (ANALYZE) events" -c "VACUUM (ANALYZE) event_areas" -c "VACUUM (ANALYZE) situation_hourly" \
        -c "VACUUM (ANALYZE) situation_daily"
  GEN_S=$(( $(date +%s) - T0 ))
  echo "generated in $GEN_S s" >&2
fi
psqlq -d $DB -c "INSERT INTO event_sources (party_id, source, description) SELECT id, 'urn:bench:writer', 'bench'
                 FROM parties ON CONFLICT DO NOTHING"
NORRBY=$(psqlq -d $DB -tAc "SELECT id FROM areas WHERE code = 'norrby'")
read -r NLON NLAT < <(psqlq -d $DB -tAc "SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM areas WHERE id = $NORRBY" | tr '|' ' ')
STATS=$(psqlq -d $DB -tAc "SELECT json_build_object(
  'events', (SELECT count(*) FROM events), 'event_areas', (SELECT count(*) FROM event_areas),
  'rollup_hourly_rows', (SELECT count(*) FROM situation_hourly), 'rollup_daily_rows', (SELECT count(*) FROM situation_daily),
  'norrby_week_incidents', (SELECT sum(n) FROM situation_daily WHERE area_id = $NORRBY AND kind = 'incident'
     AND day >= date '$MONDAY' AND day < date '$MONDAY' + 7),
  'all_week_incidents', (SELECT sum(n) FROM situation_daily WHERE area_id = 0 AND kind = 'incident'
     AND day >= date '$MONDAY' AND day < date '$MONDAY' + 7),
  'db_size', pg_size_pretty(pg_database_size('$DB')))")
echo "{\"name\":\"data\",\"stats\":$STATS,\"generated_s\":\"${GEN_S}\",\"nproc\":$(nproc),\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # NAME CACHE_ENTRIES SOURCE -> sets PORT_<NAME>
  local port; port=$(free_port)
  ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_PORT=$port ESTD_LOG_LEVEL=warn ESTD_AUTH=off ESTD_DB_POOL_SIZE=8 \
    ESTD_RATE_LIMIT_RPS=0 ESTD_SITUATION_CACHE_ENTRIES=$2 ESTD_SITUATION_SOURCE=$3 ESTD_DB_STATEMENT_TIMEOUT_MS=60000 \
    ESTD_DB_QUERY_TIMEOUT_MS=60000 ESTD_EVENTS_BATCH_MAX=1000 "$ESTD" serve >"/tmp/estd-bench-load-$1.log" 2>&1 &
  PIDS+=($!)
  eval "PORT_$1=$port"
  eval "PID_$1=$!"
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.1; done
}
start rollup 64 rollup
start raw 64 raw
start rollupoff 0 rollup
start rawoff 0 raw
start intake 0 rollup
Q_ONE="/v1/situation?area_id=$NORRBY&week=$WEEK"
Q_ALL="/v1/situation?week=$WEEK"
# byte-identical documents from both sources (uncached, idle)
for q in "$Q_ONE" "$Q_ALL"; do
  cmp <(curl -fs "http://127.0.0.1:$PORT_rollupoff$q") <(curl -fs "http://127.0.0.1:$PORT_rawoff$q")
done
echo '{"name":"identical","value":true}'
single() { for _ in $(seq 1 "$2"); do curl -s -o /dev/null -w '%{time_total}\n' "$1"; done | sort -n | sed -n "$(( ($2 + 1) / 2 ))p"; }
echo "{\"name\":\"single\",\"one_rollup\":$(single "http://127.0.0.1:$PORT_rollupoff$Q_ONE" 21),\
\"one_raw\":$(single "http://127.0.0.1:$PORT_rawoff$Q_ONE" 21),\
\"all_rollup\":$(single "http://127.0.0.1:$PORT_rollupoff$Q_ALL" 11),\
\"all_raw\":$(single "http://127.0.0.1:$PORT_rawoff$Q_ALL" 5)}"

idle() { # no active statement of the benchmark database (a previous row's backlog is done)
  for _ in $(seq 1 240); do
    [ "$(psqlq -d postgres -tAc "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DB'
          AND state = 'active' AND pid <> pg_backend_pid()")" = 0 ] && return; sleep 0.5
  done
}
misses() { curl -fs "http://127.0.0.1:$1/metrics" | awk -F' ' '/^estd_situation_cache_requests_total\{result="miss"\}/{print $2}'; }
row() { # NAME PORT QUERY WRITE(0|1)
  idle
  curl -fs -o /dev/null "http://127.0.0.1:$2$3"  # warm (fills the cache)
  local m0 w=
  m0=$(misses "$2")
  if [ "$4" = 1 ]; then
    "$PY" "$REPO/bench/situation/writer.py" "http://127.0.0.1:$PORT_intake" urn:bench:writer "$NLON" "$NLAT" \
      "$MONDAY" "$RATE" "$((DUR_S + 1))" >/tmp/estd-bench-load-writer.json &
    w=$!
    sleep 0.5
  fi
  local j; j=$(wrk_json "$1" "http://127.0.0.1:$2$3")
  [ -n "$w" ] && wait "$w"
  local wr='null'; [ -n "$w" ] && wr=$(cat /tmp/estd-bench-load-writer.json)
  echo "${j%\}},\"writer\":$wr,\"misses\":$(( $(misses "$2") - m0 ))}"
}
row livez "$PORT_rollup" /livez 0
for src in rollup $([ "${BENCH_RAW:-1}" = 1 ] && echo raw); do
  eval "p=\$PORT_$src"
  row "one.$src.idle" "$p" "$Q_ONE" 0
  row "one.$src.intake" "$p" "$Q_ONE" 1
  row "all.$src.idle" "$p" "$Q_ALL" 0
  row "all.$src.intake" "$p" "$Q_ALL" 1
done
# the writer alone (nothing reads): the intake rate it reaches on this machine now
idle
"$PY" "$REPO/bench/situation/writer.py" "http://127.0.0.1:$PORT_intake" urn:bench:writer "$NLON" "$NLAT" "$MONDAY" \
  "$RATE" "$DUR_S" | sed 's/^{/{"name":"writer_alone",/'

# ---- profile ------------------------------------------------------------------------------
# Server-side time of each statement of one uncached picture (auto_explain is not needed:
# log_min_duration_statement for this database, read back from the server log is not
# portable here, so EXPLAIN ANALYZE of the counts statements as estd runs them).
prof() { # NAME SQL-FILE-ARGS...
  psqlq -d $DB -c "SET max_parallel_workers_per_gather = 0" -c "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) $2" |
    awk -v n="$1" '/Execution Time|Planning Time/{printf "{\"name\":\"explain.%s\",\"what\":\"%s\",\"ms\":%s}\n", n, $1, $3}'
}
TS() { echo "(date '$1'::timestamp AT TIME ZONE 'Europe/Stockholm')"; }
prof rollup.one "SELECT sum(n) FROM situation_daily WHERE area_id = $NORRBY AND kind = 'incident' AND day >= '$MONDAY' AND day < date '$MONDAY' + 7"
prof raw.one "SELECT count(*) FROM event_areas WHERE area_id = $NORRBY AND kind = 'incident' AND occurred_at >= $(TS $MONDAY) AND occurred_at < $(TS 2024-05-20)"
prof rollup.all "SELECT sum(n) FROM situation_daily WHERE area_id = 0 AND kind = 'incident' AND day >= '$MONDAY' AND day < date '$MONDAY' + 7"
prof raw.all "SELECT count(*) FROM events WHERE kind = 'incident' AND occurred_at >= $(TS $MONDAY) AND occurred_at < $(TS 2024-05-20)"
prof points.one "SELECT hs_xy, record_key FROM event_areas WHERE area_id = $NORRBY AND kind = 'incident' AND hs_xy IS NOT NULL AND occurred_at >= $(TS $MONDAY) AND occurred_at < $(TS 2024-05-20)"
prof points_raw.one "SELECT ST_X(ST_Transform(e.geom, 3006)), ST_Y(ST_Transform(e.geom, 3006)), e.record_key FROM event_areas ea JOIN events e ON e.id = ea.event_id WHERE ea.area_id = $NORRBY AND ea.kind = 'incident' AND e.geom IS NOT NULL AND ea.occurred_at >= $(TS $MONDAY) AND ea.occurred_at < $(TS 2024-05-20)"
prof points.all "SELECT hs_xy, record_key FROM events WHERE hs_xy IS NOT NULL AND occurred_at >= $(TS $MONDAY) AND occurred_at < $(TS 2024-05-20)"
if [ "${BENCH_PERF:-1}" = 1 ] && command -v perf >/dev/null && perf record -o /dev/null true >/dev/null 2>&1; then
  perf record -F 499 -g -o /tmp/estd-bench-load.perf -p "$PID_rollupoff" -- sleep 6 >/dev/null 2>&1 &
  pp=$!
  wrk -t2 -c8 -d5s "http://127.0.0.1:$PORT_rollupoff$Q_ALL" >/dev/null 2>&1 || true
  wait $pp || true
  perf report -i /tmp/estd-bench-load.perf --stdio --no-children --sort dso -g none --percent-limit 2 2>/dev/null |
    awk '/^ +[0-9.]+%/{gsub(/%/,"",$1); printf "{\"name\":\"perf.estd\",\"dso\":\"%s\",\"pct\":%s}\n", $2, $1}' | head -8
fi
