# bench/lib.sh - shared helpers for the benchmark drivers (sourced).
# Everything runs on loopback against a private PostgreSQL cluster.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ESTD_PG_PORT=${BENCH_PG_PORT:-57432}
export ESTD_PG_DATA=${BENCH_PG_DATA:-$REPO/.data/bench-pg}
PGBIN=/usr/lib/postgresql/15/bin

bench_build() { # release build of estd in build-bench
  cmake -S "$REPO" -B "$REPO/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$REPO/build-bench" estd >/dev/null
  ESTD="$REPO/build-bench/estd"
}

bench_pg_start() {
  "$REPO/scripts/pg.sh" start
  BENCH_PG_STARTED=1
}

bench_pg_stop() { [ -n "${BENCH_PG_STARTED:-}" ] && "$REPO/scripts/pg.sh" stop; }

# wrk_json NAME URL [DURATION] -> prints one JSON line with req/s and latency percentiles.
wrk_json() {
  local name=$1 url=$2 dur=${3:-10s}
  shift 3 || true
  wrk -t2 -c32 -d"$dur" --latency -s "$REPO/bench/wrk_report.lua" "$@" "$url" 2>/dev/null \
    | awk -v name="$name" '/^JSON /{sub(/^JSON /,""); sub(/^\{/, "{\"name\":\"" name "\","); print}'
}

# rss_kib PID -> peak resident set size (VmHWM) in KiB
rss_kib() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
