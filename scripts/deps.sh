#!/usr/bin/env bash
# deps.sh - installs what building, running and testing estd needs on
# Debian 12: Debian packages (as root, only the missing ones), a Python
# virtualenv for the integration tests, and the npm OpenAPI linter.
# Idempotent and quick when everything is present.
#   scripts/deps.sh [--runtime]   --runtime: only what `scripts/run.sh` needs
#   scripts/deps.sh --list [--root DIR] [--runtime]
#                 print what would be installed, one `deb:`/`pip:`/`npm:`/`maven:`
#                 item a line, and install nothing; with --root, judge what is
#                 present by DIR's dpkg status and files (e.g. a bare
#                 debootstrapped Debian 12) instead of this machine's
#   scripts/deps.sh --check       one line per tool or runtime of
#                 scripts/packages/tools.txt that is missing; exit 1 if any
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${ESTD_CACHE_DIR:-$REPO/.cache}
VENV=${ESTD_VENV:-$REPO/.venv}
OGEN_VERSION=7.25.0
OGEN_SHA256=41ce4f6b07f196676439d710759fa1ced7a08066d06ff1bf314681470289efae
OGEN_DIR=${ESTD_CACHE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/estd}/openapi-generator

mode=install runtime=0 root=
while [ $# -gt 0 ]; do
  case $1 in
    --runtime) runtime=1; shift ;;
    --list) mode=list; shift ;;
    --check) mode=check; shift ;;
    --root) root=$(cd "$2" && pwd); shift 2 ;;
    *) echo "usage: scripts/deps.sh [--runtime] [--list [--root DIR]] [--check]" >&2; exit 2 ;;
  esac
done
[ -z "$root" ] || [ "$mode" = list ] || { echo "deps.sh: --root only goes with --list" >&2; exit 2; }

# Every program or runtime file the test command calls, and which item of
# this script provides it (see the file's header).
if [ "$mode" = check ]; then
  PATH=$VENV/bin:$CACHE/npm/node_modules/.bin:$PATH
  rc=0
  while read -r name source _; do
    case $name in ''|'#'*) continue ;; esac
    if [[ $name == /* ]]; then
      compgen -G "$name" >/dev/null && continue
    else
      command -v "$name" >/dev/null && continue
    fi
    echo "deps.sh: missing $name (from $source; run scripts/deps.sh as root)" >&2
    rc=1
  done < "$REPO/scripts/packages/tools.txt"
  exit $rc
fi

# Build and runtime library lists live in scripts/packages/*.txt, which the
# Dockerfile installs too (tests/integration/test_container.py checks it).
pkg_list() { sed -e 's/#.*//' "$REPO/scripts/packages/$1" | xargs; }
BUILD_PKGS="$(pkg_list build.txt) $(pkg_list runtime.txt)"
# gdal-bin: ogr2ogr, which `estd areas import` runs to read GeoPackage/Shapefile/GeoJSON (docs/OPERATIONS.md).
RUNTIME_PKGS="postgresql-15 postgresql-15-postgis-3 postgresql-client-15 maven default-jre-headless glewlwyd rnbyc gdal-bin"
# chromium + poppler-utils + fonts: the browser tests (tests/browser: Playwright drives Debian's chromium, pdftoppm reads the pack).
TEST_PKGS="libcmocka-dev python3 python3-venv wrk valgrind postgresql-contrib nodejs npm clang libclang-rt-14-dev clang-format openssl procps chromium poppler-utils fonts-dejavu-core"
# gdal-bin: GDAL's ogrinfo/ogr2ogr (OAPIF driver) read /ogc/ in tests/integration/test_ogc.py.
TEST_PKGS="$TEST_PKGS gdal-bin"
# The container stage (scripts/container-test.sh): rootful podman on runc,
# netavark networking, and debootstrap for the debian:12-slim base.
CONTAINER_PKGS="podman runc netavark aardvark-dns iptables debootstrap"

installed() { # installed PKG: in the dpkg status of $root (or of this machine)
  dpkg-query --admindir="${root}/var/lib/dpkg" -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
have() { # have COMMAND: on this machine's PATH, or in $root's /usr/bin
  if [ -n "$root" ]; then [ -x "$root/usr/bin/$1" ]; else command -v "$1" >/dev/null; fi
}

missing=()
pkgs="$BUILD_PKGS $RUNTIME_PKGS"
[ "$runtime" = 1 ] || pkgs="$pkgs $TEST_PKGS $CONTAINER_PKGS"
for p in $pkgs; do
  installed "$p" || missing+=("$p")
done
# A machine may already carry Java, Node or Python from elsewhere: skip those packages then.
filtered=()
for p in "${missing[@]}"; do
  case "$p" in
    default-jre-headless) have java && continue ;;
    nodejs|npm) have npm && continue ;;
    python3|python3-venv) if [ -z "$root" ] && python3 -m venv --help >/dev/null 2>&1; then continue; fi ;;
  esac
  filtered+=("$p")
done

if [ "$mode" = list ]; then
  for p in "${filtered[@]}"; do echo "deb:$p"; done | awk '!seen[$0]++'
  [ "$runtime" = 1 ] && exit 0
  if [ -n "$root" ] || [ ! -x "$VENV/bin/pytest" ] || ! cmp -s "$REPO/tests/requirements.txt" "$VENV/.requirements.txt"; then
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e 's/^/pip:/' "$REPO/tests/requirements.txt"
  fi
  if [ -n "$root" ] || [ ! -x "$CACHE/npm/node_modules/.bin/redocly" ]; then echo "npm:@redocly/cli@1.34.5"; fi
  if [ -n "$root" ] || [ ! -f "$CACHE/kafka/lib/.installed" ]; then echo "maven:scripts/kafka/pom.xml"; fi
  if [ -n "$root" ] || [ ! -f "$OGEN_DIR/openapi-generator-cli-$OGEN_VERSION.jar" ]; then
    echo "maven:org.openapitools:openapi-generator-cli:$OGEN_VERSION"; fi
  exit 0
fi

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
# Debian's glewlwyd package may start a system service (on 4593); estd's tests
# and run.sh run their own instance on other ports (scripts/idp.sh).

[ "$runtime" = 1 ] && exit 0

# Python test tools (and podman-compose), pinned.
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

# Kafka broker and tool jars from Maven Central (scripts/kafka/pom.xml, pinned).
"$REPO/scripts/kafka.sh" install

# openapi-generator-cli from Maven Central, pinned by version and SHA-256, into the user's
# cache (tests/integration/test_generated_clients.py runs it with the machine's Java).
OGEN_JAR="$OGEN_DIR/openapi-generator-cli-$OGEN_VERSION.jar"
if ! echo "$OGEN_SHA256  $OGEN_JAR" | sha256sum -c --status 2>/dev/null; then
  mkdir -p "$OGEN_DIR"
  tmp=$(mktemp -d "$OGEN_DIR/fetch.XXXXXX")
  if ! mvn -B -q dependency:copy -Dartifact="org.openapitools:openapi-generator-cli:$OGEN_VERSION" \
      -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"; echo "deps.sh: maven could not fetch openapi-generator-cli" >&2; exit 1
  fi
  rm -f "$tmp.log"
  if ! echo "$OGEN_SHA256  $tmp/openapi-generator-cli-$OGEN_VERSION.jar" | sha256sum -c --status; then
    rm -rf "$tmp"; echo "deps.sh: openapi-generator-cli-$OGEN_VERSION.jar: checksum mismatch" >&2; exit 1
  fi
  mv "$tmp/openapi-generator-cli-$OGEN_VERSION.jar" "$OGEN_JAR"
  rm -rf "$tmp"
fi
