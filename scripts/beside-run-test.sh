#!/usr/bin/env bash
# beside-run-test.sh - proves that the two README commands do not collide:
# scripts/run.sh's stack serves on its own ports while the suite's smoke test
# (and the container packaging checks, which once assumed 8080 was free) run
# on the test command's stack. scripts/test.sh calls it after the normal-build
# tests, with its services running and its environment exported.
#
# A run.sh already answering on its API port is reused (and left running);
# otherwise run.sh is started with its own defaults, in a clean environment,
# and stopped (Ctrl-C, as a user would) at the end. Environment (optional):
#   ESTD_BESIDE_PORT, ESTD_BESIDE_PG_PORT, ESTD_BESIDE_KAFKA_PORT,
#   ESTD_BESIDE_KAFKA_CONTROLLER_PORT: run.sh's ports (default: run.sh's own
#   defaults 8080, 25432, 19092, 19093; override on a shared machine).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
RUN_PORT=${ESTD_BESIDE_PORT:-8080}
RUN_PG=${ESTD_BESIDE_PG_PORT:-25432}
RUN_KAFKA=${ESTD_BESIDE_KAFKA_PORT:-19092}
RUN_KCTL=${ESTD_BESIDE_KAFKA_CONTROLLER_PORT:-19093}
URL=http://127.0.0.1:$RUN_PORT
say() { printf 'beside-run-test: %s\n' "$*"; }
fail() { say "FAILED: $*" >&2; exit 1; }

ready() { [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$URL/readyz")" = 200 ]; }

RUN_PID=
stop_run() {
  [ -n "$RUN_PID" ] || return 0
  # run.sh's own Ctrl-C path: it stops estd and the services it started.
  kill -INT -- "-$RUN_PID" 2>/dev/null || true
  for _ in $(seq 1 120); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$RUN_PID" 2>/dev/null && { say "run.sh did not stop; killing it"; kill -KILL -- "-$RUN_PID" 2>/dev/null; }
  RUN_PID=
}
trap stop_run EXIT

LOG=$REPO/.data/beside-run.log
if ready; then
  say "reusing the run.sh service already serving on $URL"
else
  say "starting scripts/run.sh (API $RUN_PORT, PostgreSQL $RUN_PG, Kafka $RUN_KAFKA; log $LOG)"
  mkdir -p "$REPO/.data"
  # run.sh's environment as a user's shell would give it: none of test.sh's settings.
  env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 ESTD_VENV="${ESTD_VENV:-$REPO/.venv}" \
      ${ESTD_CACHE_DIR:+ESTD_CACHE_DIR="$ESTD_CACHE_DIR"} \
      ESTD_PORT="$RUN_PORT" ESTD_PG_PORT="$RUN_PG" KAFKA_PORT="$RUN_KAFKA" KAFKA_CONTROLLER_PORT="$RUN_KCTL" \
      setsid scripts/run.sh >"$LOG" 2>&1 </dev/null &
  RUN_PID=$!
  for _ in $(seq 1 600); do
    ready && break
    kill -0 "$RUN_PID" 2>/dev/null || { tail -30 "$LOG" >&2; fail "run.sh exited before serving"; }
    sleep 0.5
  done
  ready || { tail -30 "$LOG" >&2; fail "run.sh not ready on $URL after 300 s"; }
  say "run.sh serves on $URL"
fi

# The suite's stack is the test command's own (exported by test.sh).
for p in "$ESTD_PG_PORT" "$KAFKA_PORT"; do
  case " $RUN_PORT $RUN_PG $RUN_KAFKA $RUN_KCTL " in *" $p "*) fail "test.sh's port $p is one of run.sh's" ;; esac
done
export ESTD_BESIDE_URL=$URL ESTD_BESIDE_PG_PORT=$RUN_PG ESTD_BESIDE_KAFKA_PORT=$RUN_KAFKA
# The smoke test, and the compose-defaults check that once expected 8080 to be free.
(cd tests/integration && ESTD_BIN=$REPO/build/estd ESTD_SQL_DIR=$REPO/sql ESTD_REPO=$REPO \
  "${ESTD_VENV:-$REPO/.venv}/bin/pytest" -q -p no:cacheprovider test_smoke.py \
  test_container.py::test_compose_defaults_are_a_valid_estd_configuration)
ready || fail "run.sh's service stopped answering while the tests ran"
say "run.sh kept serving on $URL while the smoke tests passed beside it"
