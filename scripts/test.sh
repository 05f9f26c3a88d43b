#!/usr/bin/env bash
# test.sh - THE test command (README; .ci/run calls exactly this).
#
# On a clean Debian 12 machine it installs what is missing, checks that every
# tool it calls is there, starts a private PostgreSQL (PostGIS) cluster and a
# real single-node Kafka broker, builds estd twice (normal, and ASan+UBSan),
# runs the whole CTest suite against each build, lints openapi.yaml, runs a
# smoke test beside a serving scripts/run.sh, the fuzz targets and the
# container stage (scripts/container-test.sh), and stops what it started.
#
# Its services have their own ports and data directories, distinct from
# run.sh's (25432, 19092/19093, 8080; .data/pg, .data/kafka), so the two
# commands run side by side. Skips: ESTD_SKIP_ASAN=1, ESTD_SKIP_FUZZ=1,
# ESTD_SKIP_BESIDE=1 (the run.sh stage), ESTD_SKIP_CONTAINER=1.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
# Own ports, distinct from run.sh's (25432/19092/8080) and below the kernel's ephemeral
# range (32768-60999), where the free ports the tests pick for estd could take them.
export ESTD_PG_PORT=${ESTD_PG_PORT:-25532}
export ESTD_PG_DATA=${ESTD_PG_DATA:-$REPO/.data/test-pg}
export KAFKA_PORT=${KAFKA_PORT:-19192}
export KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19193}
export KAFKA_DATA_DIR=${KAFKA_DATA_DIR:-$REPO/.data/test-kafka}
export ESTD_TEST_KAFKA=127.0.0.1:$KAFKA_PORT
export ESTD_VENV=${ESTD_VENV:-$REPO/.venv}
export PATH=$ESTD_VENV/bin:$PATH
JOBS=${ESTD_TEST_JOBS:-2}
SKIP_ASAN=${ESTD_SKIP_ASAN:-0}

step() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }

step "dependencies"
scripts/deps.sh
# Fail early, one line per missing tool or runtime (scripts/packages/tools.txt).
scripts/deps.sh --check || exit 1
# The bare debian:12-slim root (cached): the container stage's base, and what
# tests/integration/test_deps.py checks deps.sh's --list against.
scripts/container-test.sh base
export ESTD_BARE_ROOT=${ESTD_BARE_ROOT:-${ESTD_CONTAINER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/estd}/debian-12-slim/rootfs}

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

if [ "${ESTD_SKIP_BESIDE:-0}" != 1 ]; then
  step "beside scripts/run.sh: smoke tests while run.sh serves on its own ports"
  scripts/beside-run-test.sh
fi

if [ "$SKIP_ASAN" != 1 ]; then
  step "build (ASan + UBSan)"
  build build-asan -DESTD_SANITIZE=ON
  template build-asan/estd
  step "tests (ASan + UBSan build)"
  # The strict schemathesis run is long: a short one under ASan (the normal build runs the full one).
  ESTD_SCHEMATHESIS_EXAMPLES=${ESTD_SCHEMATHESIS_EXAMPLES_ASAN:-3} \
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
step "container stage (podman: image, stand-ins, docker-compose.yml)"
scripts/container-test.sh
step "all tests passed"
