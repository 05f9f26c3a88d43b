#!/usr/bin/env bash
# deps.sh - installs what building, running and testing estd needs on
# Debian 12: Debian packages (as root, only the missing ones), a Python
# virtualenv for the integration tests, and the npm OpenAPI linter.
# Idempotent and quick when everything is present.
#   scripts/deps.sh [--runtime]   --runtime: only what `scripts/run.sh` needs
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${ESTD_CACHE_DIR:-$REPO/.cache}

# Build and runtime library lists live in scripts/packages/*.txt, which the
# Dockerfile installs too (tests/integration/test_container.py checks it).
pkg_list() { sed -e 's/#.*//' "$REPO/scripts/packages/$1" | xargs; }
BUILD_PKGS="$(pkg_list build.txt) $(pkg_list runtime.txt)"
RUNTIME_PKGS="postgresql-15 postgresql-15-postgis-3 postgresql-client-15 maven default-jre-headless"
# chromium + poppler-utils + fonts: the browser tests (tests/browser: Playwright drives Debian's chromium, pdftoppm reads the pack).
TEST_PKGS="libcmocka-dev python3 python3-venv wrk valgrind postgresql-contrib nodejs npm clang libclang-rt-14-dev chromium poppler-utils fonts-dejavu-core"

missing=()
pkgs="$BUILD_PKGS $RUNTIME_PKGS"
[ "${1:-}" = "--runtime" ] || pkgs="$pkgs $TEST_PKGS"
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A machine may already carry Java, Node or Python from elsewhere: skip those packages then.
filtered=()
for p in "${missing[@]}"; do
  case "$p" in
    default-jre-headless) command -v java >/dev/null && continue ;;
    nodejs|npm) command -v npm >/dev/null && continue ;;
    python3|python3-venv) python3 -m venv --help >/dev/null 2>&1 && continue ;;
  esac
  filtered+=("$p")
done
if [ ${#filtered[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing Debian packages (run as root or install them): ${filtered[*]}" >&2; exit 1
  fi
  echo "deps.sh: installing ${filtered[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${filtered[@]}" >/dev/null
fi
# Debian's postgresql package may start a system cluster; estd uses its own.

[ "${1:-}" = "--runtime" ] && exit 0

# Python test tools, pinned.
VENV=${ESTD_VENV:-$REPO/.venv}
if [ ! -x "$VENV/bin/pytest" ] || ! cmp -s "$REPO/tests/requirements.txt" "$VENV/.requirements.txt"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REPO/tests/requirements.txt"
  cp "$REPO/tests/requirements.txt" "$VENV/.requirements.txt"
fi

# The Compose specification's JSON schema, as shipped in the docker-compose
# wheel on PyPI (read by tests/integration/test_container.py, not installed).
if ! ls "$CACHE"/pypi/docker_compose-1.29.2-*.whl >/dev/null 2>&1; then
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$CACHE/pypi" docker-compose==1.29.2
fi

# The web app's npm packages (esbuild, Leaflet; playwright-core and axe-core
# for the browser tests), exactly as web/package-lock.json pins them.
if ! cmp -s "$REPO/web/package-lock.json" "$REPO/web/node_modules/.estd-lock"; then
  (cd "$REPO/web" && npm ci --ignore-scripts --no-audit --no-fund --silent) && cp "$REPO/web/package-lock.json" "$REPO/web/node_modules/.estd-lock"
fi

# OpenAPI linter from npm, pinned, installed under .cache.
if [ ! -x "$CACHE/npm/node_modules/.bin/redocly" ]; then
  mkdir -p "$CACHE/npm"
  npm install --silent --no-audit --no-fund --prefix "$CACHE/npm" @redocly/cli@1.34.5 >/dev/null
fi
