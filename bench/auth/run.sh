#!/usr/bin/env bash
# bench/auth/run.sh - GET /v1/commitments/{id} authenticated with a JWT
# (client-credentials token from the development provider, scripts/idp.sh)
# against the same route with an API key, in one run and on one estd
# (wrk 32 connections, alternating rounds to spread the machine's noise).
# Writes bench/results/auth.json and the "JWT vs API key" section of
# docs/BENCHMARKS.md. Target: the JWT path at most 20 % slower.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
DUR=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-2}
mkdir -p "$REPO/bench/results"
bench_build
bench_pg_start
export ESTD_IDP_DATA=${BENCH_IDP_DATA:-$REPO/.data/bench-idp}
export ESTD_IDP_PORT=${BENCH_IDP_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
ESTD_PID=
trap '[ -n "$ESTD_PID" ] && kill $ESTD_PID 2>/dev/null && wait $ESTD_PID 2>/dev/null; "$REPO/scripts/idp.sh" stop; bench_pg_stop' EXIT
"$REPO/scripts/idp.sh" start

"$REPO/scripts/pg.sh" createdb estd_bench_auth >/dev/null 2>&1
URL=$("$REPO/scripts/pg.sh" url estd_bench_auth)
SECRET=bench-key-secret-0123456789abcdef0123456789
ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_LOG_LEVEL=warn "$ESTD" seed >/dev/null
ID=$("$REPO/scripts/pg.sh" psql -d estd_bench_auth -tAc "SELECT min(id) FROM commitments")
KEY=$(ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_KEY_SECRET=$SECRET ESTD_LOG_LEVEL=warn \
      "$ESTD" keys create --party polisen-boras --scopes read --name bench | tail -1)
JWT=$(curl -fsS -u polisen-system:polisen-system-dev-secret -d grant_type=client_credentials -d scope=read \
      -d resource=https://estd.invalid/api "$("$REPO/scripts/idp.sh" url)/token" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

PORT=${BENCH_PORT:-18182}
env $("$REPO/scripts/idp.sh" env | xargs) ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_PORT=$PORT \
  ESTD_LOG_LEVEL=warn ESTD_AUTH=required ESTD_KEY_SECRET=$SECRET ESTD_RATE_LIMIT_RPS=0 \
  ESTD_OIDC_CLIENT_ID= ESTD_OIDC_CLIENT_SECRET= ESTD_OIDC_REDIRECT_URI= \
  ESTD_HTTP_THREADS=${BENCH_HTTP_THREADS:-4} ESTD_DB_POOL_SIZE=${BENCH_POOL:-8} "$ESTD" serve >/tmp/estd-bench-auth.log 2>&1 &
ESTD_PID=$!
# The same with the per-token cache off: what every request would cost without it.
env $("$REPO/scripts/idp.sh" env | xargs) ESTD_DATABASE_URL=$URL ESTD_SQL_DIR=$REPO/sql ESTD_PORT=$((PORT + 1)) \
  ESTD_LOG_LEVEL=warn ESTD_AUTH=required ESTD_KEY_SECRET=$SECRET ESTD_RATE_LIMIT_RPS=0 ESTD_OIDC_TOKEN_CACHE_SIZE=0 \
  ESTD_OIDC_CLIENT_ID= ESTD_OIDC_CLIENT_SECRET= ESTD_OIDC_REDIRECT_URI= \
  ESTD_HTTP_THREADS=${BENCH_HTTP_THREADS:-4} ESTD_DB_POOL_SIZE=${BENCH_POOL:-8} "$ESTD" serve >/tmp/estd-bench-auth-nc.log 2>&1 &
NOCACHE_PID=$!
trap '[ -n "$ESTD_PID" ] && kill $ESTD_PID $NOCACHE_PID 2>/dev/null && wait $ESTD_PID $NOCACHE_PID 2>/dev/null; "$REPO/scripts/idp.sh" stop; bench_pg_stop' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && curl -fs "http://127.0.0.1:$((PORT + 1))/readyz" >/dev/null && break; sleep 0.1; done
BASE=http://127.0.0.1:$PORT
curl -fsS -o /dev/null -H "Authorization: Bearer $KEY" "$BASE/v1/commitments/$ID"
curl -fsS -o /dev/null -H "Authorization: Bearer $JWT" "$BASE/v1/commitments/$ID"
wrk -t2 -c32 -d3s -H "Authorization: Bearer $KEY" "$BASE/v1/commitments/$ID" >/dev/null 2>&1 || true
wrk -t2 -c32 -d3s -H "Authorization: Bearer $JWT" "$BASE/v1/commitments/$ID" >/dev/null 2>&1 || true

kill -STOP $NOCACHE_PID
RESULTS=$(mktemp)
for r in $(seq 1 "$ROUNDS"); do
  wrk_json "key_$r" "$BASE/v1/commitments/$ID" "$DUR" -H "Authorization: Bearer $KEY" >>"$RESULTS"
  wrk_json "jwt_$r" "$BASE/v1/commitments/$ID" "$DUR" -H "Authorization: Bearer $JWT" >>"$RESULTS"
done
kill -CONT $NOCACHE_PID
kill -STOP $ESTD_PID  # only one estd runs during a round
wrk_json "nocache_1" "http://127.0.0.1:$((PORT + 1))/v1/commitments/$ID" "$DUR" -H "Authorization: Bearer $JWT" >>"$RESULTS"
kill -CONT $ESTD_PID
STATUS=$(curl -fsS "$BASE/readyz")
python3 "$REPO/bench/report.py" auth "$RESULTS" "$STATUS" "$(nproc)"
rm -f "$RESULTS"
