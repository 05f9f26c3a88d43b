#!/usr/bin/env bash
# idp.sh - a private OpenID Connect provider (Glewlwyd 2.7, Debian package
# `glewlwyd`, sqlite backend) on loopback, for development and tests.
#
#   scripts/idp.sh start     create (first time), start and seed; idempotent
#   scripts/idp.sh stop      stop (idempotent)
#   scripts/idp.sh status    exit 0 when it answers
#   scripts/idp.sh url       prints the issuer URL (http://127.0.0.1:PORT/api/oidc)
#   scripts/idp.sh seed      (re)creates the OIDC plugin, scopes, users and clients
#   scripts/idp.sh rotate    adds a new signing key and makes it the default
#   scripts/idp.sh env       prints the ESTD_OIDC_* settings that match this provider
#   scripts/idp.sh wipe      stop and delete the data directory
#
# Listens on 127.0.0.1:${ESTD_IDP_PORT:-14593} only; data in ${ESTD_IDP_DATA:-.data/idp}
# (glewlwyd.conf, glewlwyd.db, the signing keys keys.jwks and their public
# half keys.pub.jwks, made with rnbyc). Development users and their
# passwords: docs/SECURITY.md ("Development identity provider").
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${ESTD_IDP_DATA:-$REPO/.data/idp}
PORT=${ESTD_IDP_PORT:-14593}
BASE="http://127.0.0.1:$PORT"
ISSUER="$BASE/api/oidc"
GLEWLWYD=${GLEWLWYD_BIN:-/usr/bin/glewlwyd}
SCHEMA=${GLEWLWYD_SCHEMA:-/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3}
WEBAPP_CONFIG=${GLEWLWYD_WEBAPP_CONFIG:-/etc/glewlwyd/config-2.7.json/config.json}
[ -f "$WEBAPP_CONFIG" ] || WEBAPP_CONFIG=/usr/share/glewlwyd/webapp/config.json

running() {
  [ -f "$DATA/pid" ] && kill -0 "$(cat "$DATA/pid")" 2>/dev/null || return 1
  curl -fsS -o /dev/null "$BASE/api/oidc/.well-known/openid-configuration" 2>/dev/null ||
    curl -fsS -o /dev/null "$BASE/config/" 2>/dev/null
}

init() {
  mkdir -p "$DATA"
  if [ ! -s "$DATA/keys.jwks" ]; then
    # One RSA (RS256) and one EC P-256 (ES256) signing key; kids carry a date
    # so a rotation adds a distinct kid.
    local stamp; stamp=$(date -u +%Y%m%d%H%M%S)
    rnbyc -j -g RSA2048 -k "rsa-$stamp" -a RS256 -g EC256 -k "ec-$stamp" -a ES256 -n 0 \
      -o "$DATA/keys.jwks" -p "$DATA/keys.pub.jwks" >/dev/null
    echo "rsa-$stamp" > "$DATA/default-kid"
  fi
  if [ ! -s "$DATA/glewlwyd.db" ]; then
    python3 - "$SCHEMA" "$DATA/glewlwyd.db" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[2])
con.executescript(open(sys.argv[1]).read())
# The user database backend stores extra properties only when they are in
# its data-format: add `groups` (several values), read by the token claims.
import json
row = con.execute("SELECT gumi_parameters FROM g_user_module_instance WHERE gumi_name='database'").fetchone()
p = json.loads(row[0])
p["data-format"]["groups"] = {"multiple": True, "read": True, "write": True, "profile-read": True, "profile-write": False}
con.execute("UPDATE g_user_module_instance SET gumi_parameters=? WHERE gumi_name='database'", (json.dumps(p),))
con.commit()
PY
  fi
  # Glewlwyd's web pages (login, consent). Debian ships webapp/config.json as
  # a link to a directory; serve a copy whose config.json is the real file.
  # A real copy (4.5 MB): Glewlwyd's static file server does not follow
  # symbolic links, so a tree of links serves nothing but 404s.
  if [ ! -f "$DATA/webapp/login.html" ] || [ -L "$DATA/webapp/login.html" ]; then
    rm -rf "$DATA/webapp"
    cp -rL /usr/share/glewlwyd/webapp "$DATA/webapp"
    rm -rf "$DATA/webapp/config.json"
    cp "$WEBAPP_CONFIG" "$DATA/webapp/config.json"
  fi
  cat >"$DATA/glewlwyd.conf" <<CONF
port=$PORT
bind_address="127.0.0.1"
external_url="$BASE"
login_url="login.html"
api_prefix="api"
static_files_path="$DATA/webapp/"
allow_origin="*"
log_mode="file"
log_level="${ESTD_IDP_LOG_LEVEL:-WARNING}"
log_file="$DATA/glewlwyd.log"
cookie_secure=0
session_expiration=3600
session_key="GLEWLWYD2_SESSION_ID"
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
user_middleware_module_path="/usr/lib/glewlwyd/user_middleware"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
hash_algorithm="SHA512"
database = { type = "sqlite3"  path = "$DATA/glewlwyd.db" };
static_files_mime_types = (
  { extension = ".html" mime_type = "text/html" compress = 1 },
  { extension = ".css" mime_type = "text/css" compress = 1 },
  { extension = ".js" mime_type = "application/javascript" compress = 1 },
  { extension = ".json" mime_type = "application/json" compress = 1 },
  { extension = ".png" mime_type = "image/png" compress = 0 },
  { extension = ".ico" mime_type = "image/x-icon" compress = 0 },
  { extension = ".woff" mime_type = "font/woff" compress = 0 },
  { extension = ".woff2" mime_type = "font/woff2" compress = 0 },
  { extension = ".ttf" mime_type = "font/ttf" compress = 0 }
);
CONF
}

start() {
  local fresh=0
  [ -s "$DATA/glewlwyd.db" ] || fresh=1
  init
  if running; then
    [ $fresh = 0 ] && [ "$(cat "$DATA/seeded-port" 2>/dev/null)" = "$PORT" ] || seed
    return 0
  fi
  "$GLEWLWYD" --config-file="$DATA/glewlwyd.conf" >>"$DATA/stdout.log" 2>&1 &
  echo $! > "$DATA/pid"
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$BASE/config/" 2>/dev/null && break
    kill -0 "$(cat "$DATA/pid")" 2>/dev/null || break
    sleep 0.1
  done
  if ! curl -fsS -o /dev/null "$BASE/config/" 2>/dev/null; then
    echo "idp.sh: Glewlwyd did not start; log:" >&2; tail -20 "$DATA/glewlwyd.log" "$DATA/stdout.log" >&2 2>/dev/null; exit 1
  fi
  # (Re-)seed when new, when the plugin is missing, or when the port (and so the issuer) changed.
  if [ $fresh = 1 ] || [ "$(cat "$DATA/seeded-port" 2>/dev/null)" != "$PORT" ] ||
     ! curl -fsS -o /dev/null "$ISSUER/.well-known/openid-configuration"; then seed; fi
}

stop() {
  [ -f "$DATA/pid" ] || return 0
  local pid; pid=$(cat "$DATA/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$DATA/pid"
}

seed() { python3 "$REPO/scripts/idp_seed.py" --base "$BASE" --data "$DATA" "$@" && echo "$PORT" > "$DATA/seeded-port"; }

rotate() {
  local stamp; stamp=$(date -u +%Y%m%d%H%M%S%N)
  rnbyc -j -g RSA2048 -k "rsa-$stamp" -a RS256 -n 0 -o "$DATA/new.jwks" -p "$DATA/new.pub.jwks" >/dev/null
  python3 - "$DATA" <<'PY'
import json, sys
d = sys.argv[1]
for name in ("keys.jwks", "keys.pub.jwks"):
    old = json.load(open(f"{d}/{name}"))
    new = json.load(open(f"{d}/{name.replace('keys', 'new')}"))
    old["keys"] = new["keys"] + old["keys"]
    json.dump(old, open(f"{d}/{name}", "w"))
PY
  rm -f "$DATA/new.jwks" "$DATA/new.pub.jwks"
  echo "rsa-$stamp" > "$DATA/default-kid"
  seed --plugin-only
  echo "rsa-$stamp"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) running ;;
  url) echo "$ISSUER" ;;
  seed) seed ;;
  rotate) rotate ;;
  env) python3 "$REPO/scripts/idp_seed.py" --base "$BASE" --data "$DATA" --print-env ;;
  wipe) stop; rm -rf "$DATA" ;;
  *) echo "usage: $0 start|stop|status|url|seed|rotate|env|wipe" >&2; exit 2 ;;
esac
