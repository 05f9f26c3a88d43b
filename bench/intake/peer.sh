#!/usr/bin/env bash
# bench/intake/peer.sh SRC_DB - the peer of bench/intake/run.sh: Kafka Connect standalone
# (connect-runtime of the broker's version, scripts/kafka/pom.xml) with Debezium's JDBC sink
# connector (3.6.0.Final, upsert on (source, source_event_id), 2 tasks), writing the same
# events into a fresh database of the same PostgreSQL.
#
# The events are the ones estd stored in SRC_DB (the last configuration of run.sh), produced
# to a new topic in the form the sink can read (Connect's JSON converter with a schema: one
# flat struct per event; the sink writes flat rows, no areas, keys or foreign keys). The rate
# is measured like estd's: rows over the span between the first and the last sink
# transaction (received_at DEFAULT now()), plus one mean interval. Jars: mvn into
# $ESTD_CACHE_DIR/peer/lib (bench/intake/peer/pom.xml; settings.xml sends every repository
# to Maven Central).
# Environment: as run.sh (KAFKA, ESTD_PG_PORT, TEMPLATE_DB, PARTITIONS, PY, OUT: appended to).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC_DB=$1
KAFKA=${KAFKA:-127.0.0.1:19092}
PG_PORT=${ESTD_PG_PORT:-25432}
TEMPLATE_DB=${TEMPLATE_DB:-estd_template}
PARTITIONS=${PARTITIONS:-4}
PY=${PY:-$REPO/.venv/bin/python}
OUT=${OUT:-/dev/null}
LIB=${ESTD_CACHE_DIR:-$REPO/.cache}/peer/lib
PGURL() { echo "postgresql://postgres@127.0.0.1:$PG_PORT/$1"; }
psql_q() { psql "$(PGURL "$1")" -X -Atq -v ON_ERROR_STOP=1 -c "$2"; }
log() { echo "peer: $*" >&2; }

if [[ ! -f "$LIB/.installed" ]]; then
  log "fetching Kafka Connect + Debezium JDBC sink into $LIB"
  rm -rf "$LIB" && mkdir -p "$LIB"
  mvn -B -q -s "$REPO/bench/intake/peer/settings.xml" -f "$REPO/bench/intake/peer/pom.xml" \
    dependency:copy-dependencies -DoutputDirectory="$LIB" >/dev/null
  touch "$LIB/.installed"
fi
WORK=$(mktemp -d /tmp/estd-bench-peer.XXXXXX)
DB=bench_peer_$$
CPID=
cleanup() {
  [[ -n "$CPID" ]] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null || true
  psql_q postgres "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql_q postgres "CREATE DATABASE \"$DB\" TEMPLATE \"$TEMPLATE_DB\""
psql_q "$DB" "CREATE TABLE peer_events (source text NOT NULL, source_event_id text NOT NULL, party_id bigint,
  kind text, category text, activity_type text, occurred_at text, duration_s integer, lon double precision,
  lat double precision, place_name text, description text, attributes text, received_at timestamptz DEFAULT now(),
  PRIMARY KEY (source, source_event_id))"
TOPIC=bench.peer.$(date -u +%Y%m%dT%H%M%SZ).$RANDOM
N=$("$PY" - "$KAFKA" "$TOPIC" "$PARTITIONS" "$(PGURL "$SRC_DB")" <<'PYEOF'
import json, sys
import psycopg
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap, topic, parts, url = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
admin = AdminClient({"bootstrap.servers": bootstrap})  # kept: the future fails once its client is gone
admin.create_topics([NewTopic(topic, parts, 1)])[topic].result(30)
F = [("source", "string", False), ("source_event_id", "string", False), ("party_id", "int64", True),
     ("kind", "string", True), ("category", "string", True), ("activity_type", "string", True),
     ("occurred_at", "string", True), ("duration_s", "int32", True), ("lon", "double", True),
     ("lat", "double", True), ("place_name", "string", True), ("description", "string", True),
     ("attributes", "string", True)]
schema = {"type": "struct", "name": "estd.event", "optional": False,
          "fields": [{"field": f, "type": t, "optional": o} for f, t, o in F]}
p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "queue.buffering.max.messages": 500000})
n = 0
with psycopg.connect(url) as c:
    cur = c.cursor(name="peer")
    cur.execute("SELECT source, source_event_id, party_id, kind, category, activity_type, "
                "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), duration_s, "
                "ST_X(geom), ST_Y(geom), place_name, description, attributes::text FROM events ORDER BY id")
    for row in cur:
        payload = {f: v for (f, _t, _o), v in zip(F, row)}
        while True:
            try:
                p.produce(topic, key=f"{row[0]}|{row[1]}".encode(),
                          value=json.dumps({"schema": schema, "payload": payload}).encode())
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
        n += 1
assert p.flush(120) == 0
print(n)
PYEOF
)
log "produced $N messages into $TOPIC"
CPORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/worker.properties" <<PROPS
bootstrap.servers=$KAFKA
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=true
offset.storage.file.filename=$WORK/connect.offsets
listeners=http://127.0.0.1:$CPORT
plugin.path=
consumer.auto.offset.reset=earliest
PROPS
cat >"$WORK/sink.properties" <<PROPS
name=estd-peer-sink
connector.class=io.debezium.connector.jdbc.JdbcSinkConnector
tasks.max=2
topics=$TOPIC
connection.url=jdbc:postgresql://127.0.0.1:$PG_PORT/$DB
connection.username=postgres
connection.password=
insert.mode=upsert
primary.key.mode=record_value
primary.key.fields=source,source_event_id
schema.evolution=none
collection.name.format=peer_events
PROPS
java -Xms256m -Xmx1g -cp "$LIB/*" \
  org.apache.kafka.connect.cli.ConnectStandalone "$WORK/worker.properties" "$WORK/sink.properties" \
  >"$WORK/connect.log" 2>&1 &
CPID=$!
deadline=$((SECONDS + 900))
while :; do
  c=$(psql_q "$DB" "SELECT count(*) FROM peer_events" 2>/dev/null || echo 0)
  [[ "$c" -ge "$N" ]] && break
  ((SECONDS < deadline)) || { log "timeout at $c rows"; break; }
  kill -0 "$CPID" || { log "Kafka Connect died"; tail -20 "$WORK/connect.log" >&2; exit 1; }
  sleep 0.5
done
rss_kib=$(awk '/VmHWM/{print $2}' "/proc/$CPID/status")
read -r cnt span txs < <(psql_q "$DB" "SELECT count(*), extract(epoch FROM max(received_at) - min(received_at)), count(DISTINCT received_at) FROM peer_events" | tr '|' ' ')
rate=$("$PY" -c "n=$cnt; s=$span; b=$txs; print(round(n / (s * b / max(b - 1, 1))) if s > 0 else 0)")
echo "peer=kafka-connect-standalone+debezium-jdbc-sink-3.6.0.Final tasks=2 mode=upsert rows=$cnt transactions=$txs rate_rows_per_s=$rate commit_span_s=$span peak_rss_mib=$((rss_kib / 1024))" | tee -a "$OUT"
