#!/usr/bin/env bash
# bench/scale/run.sh - the cost of one situation request (one area, one week, uncached) as
# history grows (issue 13, "cost that stays flat as history grows").
#
# One database; history is added back in time at a constant density (DENSITY events/day,
# bench/situation/gen.sql with -v t0/-v days), so the benchmarked week (the last full
# Stockholm week before today) always holds the same events while the total grows to each
# entry of POINTS. At each point: VACUUM ANALYZE, a fresh estd with the picture cache off
# (every request computes it), the median of 21 sequential requests of
# /v1/situation?area_id=<Norrby>&week=<that week> and of the same for all areas, plus the
# number of partitions. Loading drops the secondary indexes of events/event_areas and builds
# them again (as bench/situation/run.sh does).
#
# Usage: POINTS="1000000 10000000 30000000" bench/scale/run.sh
# Environment: ESTD_PG_PORT (25432), DENSITY (13700 events/day: the 10 M / two years of
#   bench/situation), CHUNK (500000), ESTD_BIN (default build-bench/estd), OUT.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
POINTS=${POINTS:-"1000000 10000000 30000000"}
DENSITY=${DENSITY:-13700}
CHUNK=${CHUNK:-500000}
PG_PORT=${ESTD_PG_PORT:-25432}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$REPO/bench/results/scale-$STAMP.txt}
mkdir -p "$(dirname "$OUT")"
DB=bench_scale_$$
URL="postgresql://postgres@127.0.0.1:$PG_PORT/$DB"
psqlq() { psql "postgresql://postgres@127.0.0.1:$PG_PORT/$1" -X -q -v ON_ERROR_STOP=1 "${@:2}"; }
if [[ -z "${ESTD_BIN:-}" ]]; then
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DESTD_BUILD_TESTS=OFF >/dev/null
  ninja -C build-bench estd >/dev/null
  ESTD_BIN=$REPO/build-bench/estd
fi
ESTD_PID=
cleanup() {
  [[ -n "$ESTD_PID" ]] && kill "$ESTD_PID" 2>/dev/null && wait "$ESTD_PID" 2>/dev/null || true
  [[ "${KEEP_DB:-0}" == 1 ]] || psqlq postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

psqlq postgres -c "CREATE DATABASE $DB"
ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_LOG_LEVEL=warn "$ESTD_BIN" seed --dev >/dev/null
NORRBY=$(psqlq "$DB" -tAc "SELECT id FROM areas WHERE code = 'norrby'")
# The data ends at the start of today (Stockholm); the benchmarked week is the last full one.
END=$(psqlq "$DB" -tAc "SELECT date_trunc('day', now() AT TIME ZONE 'Europe/Stockholm') AT TIME ZONE 'Europe/Stockholm'")
WEEK=$(psqlq "$DB" -tAc "SELECT to_char((now() AT TIME ZONE 'Europe/Stockholm')::date - 7, 'IYYY-\"W\"IW')")
{
  echo "# estd scale benchmark $STAMP: one situation request, one area (Norrby) and all areas, week $WEEK, uncached"
  echo "# host: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg) (shared machine); density $DENSITY events/day"
} >"$OUT"
have=0
for target in $POINTS; do
  add=$((target - have))
  days_before=$(python3 -c "print($have / $DENSITY)")
  days=$(python3 -c "print($add / $DENSITY)")
  T0=$(psqlq "$DB" -tAc "SELECT timestamptz '$END' - make_interval(secs => ($days_before + $days) * 86400)")
  psqlq "$DB" -tAc "SELECT est_event_partitions_ensure((timestamptz '$T0' AT TIME ZONE 'Europe/Stockholm')::date, NULL)" >/dev/null
  t_load=$(date +%s)
  psqlq "$DB" -c "CREATE TABLE IF NOT EXISTS bench_indexes AS SELECT indexname, replace(indexdef, ' ON ONLY ', ' ON ') AS indexdef FROM pg_indexes
                  WHERE tablename IN ('events', 'event_areas') AND indexname NOT IN
                  (SELECT conname FROM pg_constraint WHERE conrelid IN ('events'::regclass, 'event_areas'::regclass))"
  for idx in $(psqlq "$DB" -tAc "SELECT indexname FROM bench_indexes"); do psqlq "$DB" -c "DROP INDEX IF EXISTS $idx"; done
  first=$(psqlq "$DB" -tAc "SELECT COALESCE(max(id), 0) FROM events")
  for ((lo = have + 1; lo <= target; lo += CHUNK)); do
    hi=$((lo + CHUNK - 1)); [ $hi -le "$target" ] || hi=$target
    psqlq "$DB" -v lo=$lo -v hi=$hi -v t0="$T0" -v days="$days" -f "$REPO/bench/situation/gen.sql" >/dev/null
    echo "bench: events $hi / $target ($(( $(date +%s) - t_load )) s)" >&2
  done
  psqlq "$DB" -c "INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id, record_key,
                  duration_s, hs_pt) SELECT e.id, a, e.occurred_at, e.kind, e.category, e.party_id, e.record_key,
                  e.duration_s, e.hs_pt FROM events e, unnest(e.area_ids) a WHERE e.id > $first"
  psqlq "$DB" -tAc "SELECT indexdef FROM bench_indexes" | while read -r def; do
    [ -n "$def" ] && psqlq "$DB" -c "SET maintenance_work_mem = '512MB'" -c "$def"
  done
  psqlq "$DB" -c "VACUUM (ANALYZE) events" -c "VACUUM (ANALYZE) event_areas"
  have=$target
  load_s=$(( $(date +%s) - t_load ))
  read -r n parts week_one <<<"$(psqlq "$DB" -tAc "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM event_months),
      (SELECT count(*) FROM event_areas WHERE area_id = $NORRBY AND kind = 'incident' AND occurred_at >= timestamptz '$END' - interval '14 days')" | tr '|' ' ')"
  PORT=$(free_port)
  ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_PORT=$PORT ESTD_LOG_LEVEL=warn ESTD_AUTH=off \
    ESTD_SITUATION_CACHE_ENTRIES=0 ESTD_DB_STATEMENT_TIMEOUT_MS=60000 ESTD_DB_QUERY_TIMEOUT_MS=60000 "$ESTD_BIN" serve >/tmp/estd-bench-scale.log 2>&1 &
  ESTD_PID=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  single() { for _ in $(seq 1 "$2"); do curl -s -o /dev/null -w '%{time_total}\n' "$1"; done | sort -n | sed -n "$(( ($2 + 1) / 2 ))p"; }
  base="http://127.0.0.1:$PORT/v1/situation?week=$WEEK"
  curl -fs "$base&area_id=$NORRBY" >/dev/null; curl -fs "$base" >/dev/null || true  # warm PostgreSQL's cache
  one=$(single "$base&area_id=$NORRBY" 21)
  all=$(single "$base" 7)
  kill "$ESTD_PID"; wait "$ESTD_PID" || true; ESTD_PID=
  echo "events=$n month_partitions=$parts norrby_incidents_last_2_weeks=$week_one one_area_ms=$(python3 -c "print(round($one * 1000, 1))") all_areas_ms=$(python3 -c "print(round($all * 1000, 1))") load_s=$load_s" | tee -a "$OUT"
done
echo "bench: results in $OUT" >&2
