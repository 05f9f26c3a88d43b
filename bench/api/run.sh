#!/usr/bin/env bash
# bench/api/run.sh - REST read path under wrk (32 connections), beside two
# baselines measured in the same run: estd's own trivial route /livez (the
# HTTP ceiling) and pgbench select-only on the same database server (the
# database ceiling). The single GET is measured on the default instance
# (document cache on) and on a second one with ESTD_DOC_CACHE_ENTRIES=0
# (every GET a statement). PERF=1 adds a system-wide perf profile of the
# cached GET (bench/results/api-perf.txt). Writes bench/results/api.json
# and the "REST API" section of docs/BENCHMARKS.md.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
DUR=${BENCH_DURATION:-10s}
ROWS=${BENCH_COMMITMENTS:-20000}
mkdir -p "$REPO/bench/results"
bench_build
bench_pg_start
ESTD_PID=
ESTD2_PID=
trap '[ -n "$ESTD_PID" ] && kill $ESTD_PID 2>/dev/null && wait $ESTD_PID 2>/dev/null;
      [ -n "$ESTD2_PID" ] && kill $ESTD2_PID 2>/dev/null && wait $ESTD2_PID 2>/dev/null; bench_pg_stop' EXIT

"$REPO/scripts/pg.sh" createdb estd_bench >/dev/null 2>&1
URL=$("$REPO/scripts/pg.sh" url estd_bench)
ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_LOG_LEVEL=warn "$ESTD" seed --dev >/dev/null
# Bulk commitments so lists and lookups work on a realistic table size.
"$REPO/scripts/pg.sh" psql -d estd_bench -c "
  WITH a AS (SELECT id FROM agreements WHERE code = 'boras-polisen-2018-2020'),
       ins AS (
         INSERT INTO commitments (agreement_id, text, status)
         SELECT (SELECT id FROM a), 'Benchmark commitment ' || g,
                (ARRAY['planned','ongoing','fulfilled','partially_fulfilled','not_fulfilled'])[1 + g % 5]
         FROM generate_series(1, $ROWS) g RETURNING id)
  INSERT INTO commitment_parties (commitment_id, party_id)
  SELECT ins.id, (SELECT id FROM parties WHERE code = 'boras-stad') FROM ins;" >/dev/null
"$REPO/scripts/pg.sh" psql -d estd_bench -c "VACUUM ANALYZE" >/dev/null
ID=$("$REPO/scripts/pg.sh" psql -d estd_bench -tAc "SELECT id FROM commitments ORDER BY id OFFSET $((ROWS / 2)) LIMIT 1")
AGR=$("$REPO/scripts/pg.sh" psql -d estd_bench -tAc "SELECT id FROM agreements WHERE code = 'boras-polisen-2018-2020'")

PORT=${BENCH_PORT:-18181}
ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_PORT=$PORT ESTD_LOG_LEVEL=warn ESTD_AUTH=off \
  ESTD_DB_POOL_SIZE=${BENCH_POOL:-8} "$ESTD" serve >/tmp/estd-bench.log 2>&1 &
ESTD_PID=$!
PORT2=$((PORT + 1))
ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_PORT=$PORT2 ESTD_LOG_LEVEL=warn ESTD_AUTH=off \
  ESTD_DB_POOL_SIZE=${BENCH_POOL:-8} ESTD_DOC_CACHE_ENTRIES=0 ESTD_MIGRATE_ON_START=false "$ESTD" serve \
  >/tmp/estd-bench2.log 2>&1 &
ESTD2_PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT2/readyz" >/dev/null && break; sleep 0.1; done
BASE=http://127.0.0.1:$PORT
BASE2=http://127.0.0.1:$PORT2
curl -fs "$BASE/v1/commitments/$ID" >/dev/null
# warm-up
wrk -t2 -c32 -d3s "$BASE/v1/commitments/$ID" >/dev/null 2>&1 || true

RESULTS=$(mktemp)
wrk_json livez "$BASE/livez" "$DUR" >>"$RESULTS"
wrk_json commitment_get "$BASE/v1/commitments/$ID" "$DUR" >>"$RESULTS"
wrk -t2 -c32 -d3s "$BASE2/v1/commitments/$ID" >/dev/null 2>&1 || true
wrk_json commitment_get_nocache "$BASE2/v1/commitments/$ID" "$DUR" >>"$RESULTS"
wrk_json commitments_list "$BASE/v1/commitments?agreement_id=$AGR&status=ongoing&limit=20&sort=-id" "$DUR" >>"$RESULTS"
RSS=$(rss_kib "$ESTD_PID")
CACHE=$(curl -fs "$BASE/metrics" | grep -E '^estd_doc_cache_(requests_total|syncs_total)' | tr '\n' ' ')
if [ "${PERF:-0}" = 1 ]; then
  # Where the time of a cached GET goes: the whole machine by process (shared with other
  # work), and estd's own threads (every thread of the process) by symbol.
  perf record -a -F 499 -o /tmp/estd-api-all.perf -- sleep 5 >/dev/null 2>&1 &
  PERF_ALL=$!
  perf record -g -F 999 -p "$ESTD_PID" -o /tmp/estd-api.perf -- sleep 5 >/dev/null 2>&1 &
  PERF_ESTD=$!
  wrk -t2 -c32 -d6s "$BASE/v1/commitments/$ID" >/dev/null 2>&1
  wait $PERF_ALL $PERF_ESTD || true
  set +o pipefail # head closes the pipes early
  { echo "# perf, cached GET /v1/commitments/{id} under wrk -t2 -c32, 5 s: whole machine (shared), by process"
    perf report -i /tmp/estd-api-all.perf --stdio --sort comm 2>/dev/null | grep -E '^ +[0-9]' | head -12
    echo; echo "# estd (every thread), by shared object (self)"
    perf report -i /tmp/estd-api.perf --stdio --no-children --sort dso -g none 2>/dev/null | grep -E '^ +[0-9]' | head -12
    echo; echo "# estd (every thread), by symbol (self)"
    perf report -i /tmp/estd-api.perf --stdio --no-children --sort dso,sym -g none 2>/dev/null \
      | grep -E '^ +[0-9]' | head -40
    echo; echo "# estd (every thread), by symbol incl. callees (children), top"
    perf report -i /tmp/estd-api.perf --stdio --children --sort sym -g none 2>/dev/null | grep -E '^ +[0-9]' | head -40
  } >"$REPO/bench/results/api-perf.txt"
  set -o pipefail
  rm -f /tmp/estd-api.perf /tmp/estd-api-all.perf
fi

# Database ceiling: pgbench select-only (32 clients, 2 threads) on the same server.
"$REPO/scripts/pg.sh" createdb pgbench >/dev/null 2>&1
"$PGBIN/pgbench" -h 127.0.0.1 -p "$ESTD_PG_PORT" -U postgres -i -s 10 -q pgbench >/dev/null 2>&1
PGB=$("$PGBIN/pgbench" -h 127.0.0.1 -p "$ESTD_PG_PORT" -U postgres -S -c 32 -j 2 -T "${DUR%s}" -M prepared pgbench 2>/dev/null \
      | awk '/^tps/{print $3; exit}')
python3 "$REPO/bench/report.py" api "$RESULTS" "$RSS" "$PGB" "$(nproc)" "$CACHE"
rm -f "$RESULTS"
