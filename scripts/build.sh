#!/usr/bin/env bash
# build.sh - THE build recipe: CMake configure + Ninja build (+ install).
# Used by scripts/test.sh and by the Dockerfile's build stage, so the
# binary under test and the binary in the image are built the same way.
#
#   scripts/build.sh [--type TYPE] [--prefix DIR] [--no-tests] [--quiet] BUILD_DIR [CMAKE_ARGS...]
#
#   --type TYPE   CMAKE_BUILD_TYPE (default: $ESTD_BUILD_TYPE or RelWithDebInfo)
#   --prefix DIR  CMAKE_INSTALL_PREFIX; after building, installs bin/estd and
#                 share/estd/sql there (the binary's default ESTD_SQL_DIR is
#                 DIR/share/estd/sql)
#   --no-tests    do not build the unit tests (no cmocka needed): image builds
#   --quiet       print the tool output only if a step fails
#   --no-web      do not build the web app (ESTD_WEB_BUILD=off does the same)
# The web app (web/README.md) is built into BUILD_DIR/web: `npm ci` from
# web/package-lock.json (only when the lock changed), then esbuild; the
# install step copies it to DIR/share/estd/web (the default ESTD_WEB_DIR).
# Further arguments go to the CMake configure step (e.g. -DESTD_SANITIZE=ON).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

type=${ESTD_BUILD_TYPE:-RelWithDebInfo}
prefix=
tests=ON
quiet=0
web=${ESTD_WEB_BUILD:-on}
while [ $# -gt 0 ]; do
  case $1 in
    --type) type=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --no-tests) tests=OFF; shift ;;
    --quiet) quiet=1; shift ;;
    --no-web) web=off; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "usage: scripts/build.sh [--type T] [--prefix DIR] [--no-tests] [--quiet] BUILD_DIR [CMAKE_ARGS...]" >&2; exit 2; }
dir=$1; shift

args=(-S "$REPO" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DESTD_BUILD_TESTS="$tests")
[ -n "$prefix" ] && args+=(-DCMAKE_INSTALL_PREFIX="$prefix")

run() { # run STEP CMD...: quiet mode keeps the output for when it fails
  if [ "$quiet" = 1 ]; then
    local log; log=$(mktemp)
    if ! "${@:2}" >"$log" 2>&1; then
      echo "build.sh: $1 failed:" >&2; cat "$log" >&2; rm -f "$log"; return 1
    fi
    rm -f "$log"
  else
    "${@:2}"
  fi
}

run configure cmake "${args[@]}" "$@"
run build cmake --build "$dir" --parallel "${ESTD_BUILD_JOBS:-$(nproc)}"
web_build() {
  local stamp="$REPO/web/node_modules/.estd-lock"
  if ! cmp -s "$REPO/web/package-lock.json" "$stamp"; then
    # --ignore-scripts: esbuild's binary comes from its platform package, no install script is needed.
    (cd "$REPO/web" && npm ci --ignore-scripts --no-audit --no-fund) && cp "$REPO/web/package-lock.json" "$stamp"
  fi
  node "$REPO/web/build.mjs" "$dir/web"
}
if [ "$web" != off ]; then
  run web web_build
fi
if [ -n "$prefix" ]; then
  run install cmake --install "$dir" --strip
fi
