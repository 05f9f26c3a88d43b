#!/usr/bin/env bash
# test.sh - THE test command (README; .ci/run calls exactly this).
#
# On a clean Debian 12 machine it installs what is missing, starts a private
# PostgreSQL (PostGIS) cluster and a real single-node Kafka broker, builds
# estd twice (normal, and ASan+UBSan), runs the whole CTest suite against
# each build, lints openapi.yaml, and stops what it started.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export ESTD_PG_PORT=${ESTD_PG_PORT:-55432}
export ESTD_PG_DATA=${ESTD_PG_DATA:-$REPO/.data/test-pg}
export KAFKA_PORT=${KAFKA_PORT:-19092}
export KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
export KAFKA_DATA_DIR=${KAFKA_DATA_DIR:-$REPO/.data/test-kafka}
export ESTD_TEST_KAFKA=127.0.0.1:$KAFKA_PORT
export ESTD_VENV=${ESTD_VENV:-$REPO/.venv}
export PATH=$ESTD_VENV/bin:$PATH
JOBS=${ESTD_TEST_JOBS:-2}
SKIP_ASAN=${ESTD_SKIP_ASAN:-0}

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
scripts/deps.sh
scripts/kafka.sh install

started=()
cleanup() {
  for s in "${started[@]}"; do
    case $s in
      pg) scripts/pg.sh stop || true ;;
      kafka) scripts/kafka.sh stop || true ;;
    esac
  done
}
trap cleanup EXIT

step "services: PostgreSQL on 127.0.0.1:$ESTD_PG_PORT, Kafka on $ESTD_TEST_KAFKA"
# Start from a clean slate every run: tests must not depend on leftovers.
scripts/pg.sh wipe; scripts/kafka.sh wipe
scripts/pg.sh status || { scripts/pg.sh start; started+=(pg); }
scripts/kafka.sh status || { scripts/kafka.sh start; started+=(kafka); }

build() { # build DIR [cmake args...]: the one recipe the Dockerfile uses too
  scripts/build.sh --quiet "$@"
}

template() { # template BIN: the migrated, seeded database every test clones
  scripts/pg.sh createdb estd_template >/dev/null 2>&1
  ESTD_DATABASE_URL=$(scripts/pg.sh url estd_template) ESTD_SQL_DIR=$REPO/sql ESTD_LOG_LEVEL=warn "$1" seed --dev >/dev/null
}

step "lint: openapi.yaml"
"$REPO/.cache/npm/node_modules/.bin/redocly" lint --format=stylish openapi.yaml

step "build (RelWithDebInfo, -Werror)"
build build
template build/estd

step "tests (normal build)"
ctest --test-dir build --output-on-failure -j "$JOBS" --timeout 600

if [ "$SKIP_ASAN" != 1 ]; then
  step "build (ASan + UBSan)"
  build build-asan -DESTD_SANITIZE=ON
  template build-asan/estd
  step "tests (ASan + UBSan build)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions=$REPO/tests/lsan.supp:print_suppressions=0 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS" --timeout 900
fi
if [ "${ESTD_SKIP_FUZZ:-0}" != 1 ]; then
  step "fuzz (clang libFuzzer + ASan/UBSan, bounded runs from the seed corpora)"
  CC=clang scripts/build.sh --quiet build-fuzz -DESTD_FUZZ=ON
  ctest --test-dir build-fuzz --output-on-failure -j "$JOBS" --timeout 600
fi
step "all tests passed"
