#!/usr/bin/env bash
# bench/intake/run.sh - sustained Kafka intake rate of estd vs. raw COPY.
#
# 1. preloads a fresh topic with N realistic events (scripts/sample_events.py,
#    mixed structured/binary CloudEvents, points inside the seeded areas);
# 2. for each batch size in SWEEP: a fresh database (clone of the seeded
#    template), one estd consuming the topic with a new group id; measures
#    events/s from the first to the last batch commit (received_at is the
#    batch transaction's start; synchronous_commit=on, fsync=on), wall time,
#    estd's peak RSS (VmHWM), CPU of estd and PostgreSQL (top samples) and
#    optionally a perf profile of estd (PERF=1);
# 3. baseline in the same run: the rows estd stored, exported to CSV and
#    loaded with psql \copy into a fresh events table (LIKE events INCLUDING
#    ALL: same indexes and checks) in a fresh database.
#
# Usage: bench/intake/run.sh   (N=200000 SWEEP="500:2 2000:1 2000:2 5000:2", entries are
#                                 ESTD_KAFKA_BATCH_MAX:ESTD_KAFKA_WRITERS)
#        N=50000 SWEEP=2000:2 PERF=1 bench/intake/run.sh
# Environment: ESTD_BIN (default: builds build-bench, RelWithDebInfo),
#   ESTD_PG_PORT (25432), KAFKA (127.0.0.1:19092), PARTITIONS (4),
#   TEMPLATE_DB (estd_template), OUT (bench/results/intake-<time>.txt),
#   TOPIC (reuse a topic already preloaded with exactly N events by an earlier
#   run, so that before/after runs consume the same messages; default: a new one),
#   KEEP_DB=1 (keep the last configuration's database for EXPLAIN ANALYZE),
#   SQL_DIR (migrations estd applies at start; default sql/: a "before" run uses
#   an old binary, a TEMPLATE_DB and a SQL_DIR without the newer migrations),
#   PEER=1 (then the same events through Kafka Connect + Debezium's JDBC sink,
#   bench/intake/peer.sh, into the same PostgreSQL: both rates side by side).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
N=${N:-200000}
SWEEP=${SWEEP:-"500:2 2000:1 2000:2 5000:2"}   # batch size:writers
PARTITIONS=${PARTITIONS:-4}
KAFKA=${KAFKA:-127.0.0.1:19092}
PG_PORT=${ESTD_PG_PORT:-25432}
TEMPLATE_DB=${TEMPLATE_DB:-estd_template}
PY=${PY:-$REPO/.venv/bin/python}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$REPO/bench/results/intake-$STAMP.txt}
mkdir -p "$(dirname "$OUT")"
WORK=$(mktemp -d /tmp/estd-bench-intake.XXXXXX)
PGURL() { echo "postgresql://postgres@127.0.0.1:$PG_PORT/$1"; }
psql_q() { psql "$(PGURL "$1")" -X -Atq -v ON_ERROR_STOP=1 -c "$2"; }
log() { echo "bench: $*" >&2; }

if [[ -z "${ESTD_BIN:-}" ]]; then
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DESTD_BUILD_TESTS=OFF >/dev/null
  ninja -C build-bench estd >/dev/null
  ESTD_BIN=$REPO/build-bench/estd
fi

ESTD_PID=
DBS=()
LAST_DB=
cleanup() {
  [[ -n "$ESTD_PID" ]] && kill "$ESTD_PID" 2>/dev/null && wait "$ESTD_PID" 2>/dev/null || true
  for d in "${DBS[@]}"; do
    [[ "${KEEP_DB:-0}" == 1 && "$d" == "$LAST_DB" ]] && { log "kept database $d"; continue; }
    psql_q postgres "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fresh_db() { DBS+=("$1"); psql_q postgres "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"; psql_q postgres "CREATE DATABASE \"$1\" TEMPLATE \"$TEMPLATE_DB\""; }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [[ -n "${TOPIC:-}" ]]; then
  log "reusing topic $TOPIC (must hold exactly $N events)"
else
  TOPIC=bench.intake.$STAMP.$RANDOM
  log "preloading $N events into $TOPIC ($PARTITIONS partitions)"
  "$PY" scripts/sample_events.py --bootstrap "$KAFKA" --topic "$TOPIC" --count "$N" --create-topic "$PARTITIONS" \
    --database-url "$(PGURL "$TEMPLATE_DB")" --seed 42 --run-id bench >"$WORK/produce.json"
  log "produced: $(cat "$WORK/produce.json") topic=$TOPIC"
fi

{
  echo "# estd intake benchmark $STAMP"
  echo "# host: $(nproc) cores, $(free -m | awk '/Mem:/{print $2}') MiB RAM; $(psql --version | head -1)"
  echo "# PostgreSQL: synchronous_commit=$(psql_q postgres 'SHOW synchronous_commit') fsync=$(psql_q postgres 'SHOW fsync') shared_buffers=$(psql_q postgres 'SHOW shared_buffers')"
  echo "# events: $N on $PARTITIONS partitions (topic $TOPIC); estd: $ESTD_BIN"
  echo "# load before the run: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared)"
} >"$OUT"

for ENTRY in $SWEEP; do
  BATCH=${ENTRY%%:*}
  WRITERS=${ENTRY#*:}
  [[ "$WRITERS" == "$ENTRY" ]] && WRITERS=2
  DB=bench_intake_${BATCH}_${WRITERS}_$$
  fresh_db "$DB"
  PORT=$(free_port)
  log "batch $BATCH, writers $WRITERS: consuming into $DB"
  ESTD_DATABASE_URL=$(PGURL "$DB") ESTD_SQL_DIR=${SQL_DIR:-$REPO/sql} ESTD_PORT=$PORT ESTD_AUTH=off ESTD_LOG_LEVEL=warn \
    ESTD_KAFKA_BROKERS=$KAFKA ESTD_KAFKA_TOPICS=$TOPIC ESTD_KAFKA_GROUP_ID=bench-$BATCH-$WRITERS-$STAMP-$RANDOM \
    ESTD_KAFKA_BATCH_MAX=$BATCH ESTD_KAFKA_WRITERS=$WRITERS ESTD_KAFKA_BATCH_WAIT_MS=200 "$ESTD_BIN" serve >"$WORK/estd-$BATCH-$WRITERS.log" 2>&1 &
  ESTD_PID=$!
  t0=$(date +%s.%N)
  top -b -d 1 >"$WORK/top-$BATCH-$WRITERS.txt" 2>/dev/null &
  TOP_PID=$!
  PERF_PID=
  if [[ "${PERF:-0}" == 1 ]] && command -v perf >/dev/null; then
    perf record -F 499 -g -p "$ESTD_PID" -o "$WORK/perf-$BATCH-$WRITERS.data" >/dev/null 2>&1 &
    PERF_PID=$!
  fi
  deadline=$((SECONDS + 600))
  while :; do
    c=$(psql_q "$DB" "SELECT count(*) FROM events" 2>/dev/null || echo 0)
    [[ "$c" -ge "$N" ]] && break
    ((SECONDS < deadline)) || { log "timeout at $c events"; break; }
    kill -0 "$ESTD_PID" || { log "estd died"; tail "$WORK/estd-$BATCH-$WRITERS.log"; exit 1; }
    sleep 0.2
  done
  t1=$(date +%s.%N)
  rss_kib=$(awk '/VmHWM/{print $2}' "/proc/$ESTD_PID/status")
  [[ -n "$PERF_PID" ]] && { kill -INT "$PERF_PID"; wait "$PERF_PID" || true; }
  kill "$TOP_PID" 2>/dev/null; wait "$TOP_PID" 2>/dev/null || true
  kill -TERM "$ESTD_PID"; wait "$ESTD_PID" || true
  ESTD_PID=
  read -r cnt span dl ea < <(psql_q "$DB" "SELECT count(*), extract(epoch FROM max(received_at) - min(received_at)), (SELECT count(*) FROM dead_letters), (SELECT count(*) FROM event_areas) FROM events" | tr '|' ' ')
  # The span runs from the first to the last batch's start; add one mean batch interval.
  batches=$(( (cnt + BATCH - 1) / BATCH ))
  rate=$("$PY" -c "n=$cnt; s=$span; b=$batches; print(round(n / (s * b / max(b - 1, 1))) if s > 0 else 0)")
  wall=$("$PY" -c "print(round($t1 - $t0, 2))")
  # mean CPU% of estd and of all postgres processes over the run (top samples with activity)
  cpu=$("$PY" - "$WORK/top-$BATCH-$WRITERS.txt" <<'EOF'
import sys
est, pg, frames, cur = [], [], 0, None
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("top -"):
        if cur: est.append(cur[0]); pg.append(cur[1])
        cur = [0.0, 0.0]
        continue
    f = line.split()
    if cur is None or len(f) < 12 or not f[0].isdigit():
        continue
    try:
        v = float(f[8].replace(",", "."))
    except ValueError:
        continue
    if f[11] == "estd": cur[0] += v
    elif f[11] == "postgres": cur[1] += v
if cur: est.append(cur[0]); pg.append(cur[1])
busy = [(e, p) for e, p in zip(est, pg) if e + p > 20]
if busy:
    print(f"estd {sum(e for e, _ in busy) / len(busy):.0f}% postgres {sum(p for _, p in busy) / len(busy):.0f}%")
else:
    print("n/a")
EOF
)
  echo "batch=$BATCH writers=$WRITERS events=$cnt dead_letters=$dl event_areas=$ea rate_events_per_s=$rate commit_span_s=$span wall_s=$wall peak_rss_mib=$((rss_kib / 1024)) cpu=[$cpu]" | tee -a "$OUT"
  if [[ -n "$PERF_PID" ]]; then
    perf report -i "$WORK/perf-$BATCH-$WRITERS.data" --stdio --no-children --sort dso,sym -g none --percent-limit 1.5 2>/dev/null |
      grep -E '^ +[0-9.]+%' | head -25 | sed 's/^/  perf: /' | tee -a "$OUT" || true
  fi
  LAST_DB=$DB
done

# ---- baseline: COPY of the same rows -------------------------------------------
COLS="source, source_event_id, party_id, kind, activity_type, category, occurred_at, received_at, duration_s, geom, track, place_name, area_ids, description, attributes, flags, channel"
log "exporting the stored rows for the COPY baseline"
psql "$(PGURL "$LAST_DB")" -X -q -v ON_ERROR_STOP=1 -c "\\copy (SELECT $COLS FROM events ORDER BY id) TO '$WORK/events.csv' WITH (FORMAT csv)"
CDB=bench_copy_$$
fresh_db "$CDB"
psql_q "$CDB" "CREATE TABLE events_copy (LIKE events INCLUDING ALL)"
c0=$(date +%s.%N)
psql "$(PGURL "$CDB")" -X -q -v ON_ERROR_STOP=1 -c "\\copy events_copy ($COLS) FROM '$WORK/events.csv' WITH (FORMAT csv)"
c1=$(date +%s.%N)
ccount=$(psql_q "$CDB" "SELECT count(*) FROM events_copy")
copy_rate=$("$PY" -c "print(round($ccount / ($c1 - $c0)))")
csv_mib=$(( $(stat -c %s "$WORK/events.csv") / 1048576 ))
echo "copy_baseline rows=$ccount csv_mib=$csv_mib seconds=$("$PY" -c "print(round($c1 - $c0, 2))") rate_rows_per_s=$copy_rate" | tee -a "$OUT"
best=$(grep -o 'rate_events_per_s=[0-9]*' "$OUT" | cut -d= -f2 | sort -n | tail -1)
echo "best_estd_rate=$best ratio_to_copy=$("$PY" -c "print(round($best / $copy_rate, 3))")" | tee -a "$OUT"

# ---- the peer: Kafka Connect + Debezium JDBC sink on the same events (PEER=1) -----
if [[ "${PEER:-0}" == 1 ]]; then
  log "peer: Kafka Connect standalone + Debezium JDBC sink"
  KAFKA=$KAFKA ESTD_PG_PORT=$PG_PORT TEMPLATE_DB=$TEMPLATE_DB PARTITIONS=$PARTITIONS PY=$PY OUT=$OUT \
    "$REPO/bench/intake/peer.sh" "$LAST_DB"
  peer=$(grep -o 'rate_rows_per_s=[0-9]*' "$OUT" | tail -1 | cut -d= -f2)
  echo "estd_to_peer=$("$PY" -c "print(round($best / max($peer, 1), 2))") peer_to_copy=$("$PY" -c "print(round($peer / $copy_rate, 3))")" | tee -a "$OUT"
fi
log "results in $OUT"
