#!/usr/bin/env bash
# run.sh - THE run command (README): estd on an embedded default.
#
# Installs what is missing, builds estd, starts a private PostgreSQL+PostGIS
# cluster (.data/pg, 127.0.0.1:25432) and a real single-node Kafka broker
# (.data/kafka, 127.0.0.1:19092) with one intake topic per party, each bound
# to its party (ESTD_KAFKA_TOPIC_PARTIES), migrates and seeds the Borås
# agreement and the development sources (seed --dev: sql/seed-dev),
# creates a development admin API key (printed once, kept in .data/), starts
# the development OpenID Connect provider (scripts/idp.sh, 127.0.0.1:14593) and
# points estd's JWT bearer and web sign-in at it, feeds
# a small realistic sample stream of events through Kafka, and serves the API
# on http://127.0.0.1:8080 until Ctrl-C, then stops everything it started.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export ESTD_PG_PORT=${ESTD_PG_PORT:-25432}
export ESTD_PG_DATA=${ESTD_PG_DATA:-$REPO/.data/pg}
export KAFKA_PORT=${KAFKA_PORT:-19092}
export KAFKA_DATA_DIR=${KAFKA_DATA_DIR:-$REPO/.data/kafka}
# One topic per party: PREFIX.<party code>, bound to that party.
PREFIX=${ESTD_RUN_TOPIC_PREFIX:-est.events}
PARTIES="polisen-boras boras-stad ab-bostader"

scripts/deps.sh
scripts/build.sh --quiet build
ESTD=$REPO/build/estd

started=()
cleanup() {
  set +e
  [ -n "${ESTD_PID:-}" ] && kill -TERM "$ESTD_PID" 2>/dev/null && wait "$ESTD_PID"
  for s in "${started[@]}"; do
    case $s in pg) scripts/pg.sh stop ;; kafka) scripts/kafka.sh stop ;; idp) scripts/idp.sh stop ;; esac
  done
}
trap cleanup EXIT
trap 'exit 0' INT TERM

scripts/pg.sh status || { scripts/pg.sh start; started+=(pg); }
scripts/kafka.sh status || { scripts/kafka.sh start; started+=(kafka); }
TOPICS=""
BINDINGS=""
for p in $PARTIES; do
  scripts/kafka.sh create-topic "$PREFIX.$p" 3
  TOPICS="$TOPICS${TOPICS:+,}$PREFIX.$p"
  BINDINGS="$BINDINGS${BINDINGS:+,}$PREFIX.$p=$p"
done
export ESTD_IDP_REDIRECT_URIS=${ESTD_IDP_REDIRECT_URIS:-http://127.0.0.1:${ESTD_PORT:-8080}/auth/callback}
scripts/idp.sh status || { scripts/idp.sh start; started+=(idp); }

if ! scripts/pg.sh psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'estd'" | grep -q 1; then
  scripts/pg.sh createdb estd
fi
export ESTD_DATABASE_URL=${ESTD_DATABASE_URL:-$(scripts/pg.sh url estd)}
export ESTD_SQL_DIR=$REPO/sql
export ESTD_KAFKA_BROKERS=${ESTD_KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}
export ESTD_KAFKA_TOPICS=${ESTD_KAFKA_TOPICS:-$TOPICS}
export ESTD_KAFKA_TOPIC_PARTIES=${ESTD_KAFKA_TOPIC_PARTIES:-$BINDINGS}
export ESTD_PORT=${ESTD_PORT:-8080}
# The web app built by scripts/build.sh, and the public medborgarlöfte page.
export ESTD_WEB_DIR=${ESTD_WEB_DIR:-$REPO/build/web}
export ESTD_PUBLIC_PAGE=${ESTD_PUBLIC_PAGE:-on}
# A development server secret, generated once and kept with the data.
if [ ! -s .data/key-secret ]; then head -c 32 /dev/urandom | base64 | tr -d '\n=' > .data/key-secret; fi
export ESTD_KEY_SECRET=${ESTD_KEY_SECRET:-$(cat .data/key-secret)}

"$ESTD" seed --dev
# JWT bearer tokens and web sign-in against the development provider.
while IFS='=' read -r k v; do [ -n "${!k:-}" ] || export "$k=$v"; done < <(ESTD_PORT=$ESTD_PORT scripts/idp.sh env)
if [ ! -s .data/dev-admin-key ] && "$ESTD" keys --help >/dev/null 2>&1; then
  "$ESTD" keys create --party boras-stad --scopes admin --name "run.sh development key" | tail -1 > .data/dev-admin-key
fi

"$ESTD" serve &
ESTD_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$ESTD_PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
if [ -f scripts/sample_events.py ]; then
  "$REPO/.venv/bin/python" scripts/sample_events.py --bootstrap "$ESTD_KAFKA_BROKERS" --topic-per-party "$PREFIX" --count 300 \
    || echo "run.sh: sample stream failed (see above); the API still serves" >&2
fi
cat >&2 <<MSG

estd is serving on http://127.0.0.1:$ESTD_PORT  (Ctrl-C stops it and the services it started)
Web app: http://127.0.0.1:$ESTD_PORT/app/   public page: http://127.0.0.1:$ESTD_PORT/app/public/
$( [ -s .data/dev-admin-key ] && echo "Development admin key: $(cat .data/dev-admin-key)" )
Try:  curl -s -H "Authorization: Bearer \$(cat .data/dev-admin-key)" http://127.0.0.1:$ESTD_PORT/v1/commitments | head -c 600
Sign in (browser): http://127.0.0.1:$ESTD_PORT/auth/login?return_to=/app/  as polis.samordnare, abb.omradeschef,
  stad.strateg or estd.admin, password estd-dev-password (docs/SECURITY.md lists every development user).
System token:  curl -s -u polisen-system:polisen-system-dev-secret -d grant_type=client_credentials \\
  -d 'scope=read write-events' -d resource=https://estd.invalid/api $(scripts/idp.sh url)/token

MSG
wait "$ESTD_PID"
