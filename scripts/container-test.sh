#!/usr/bin/env bash
# container-test.sh - the container stage of the test command (scripts/test.sh
# calls it; it runs on its own too). With Debian's podman on runc only:
#
#   1. base      debootstrap a debian:12-slim equivalent (minbase, slimmed like
#                the real image), cached outside the checkout, `podman import`ed
#   2. image     `podman build --format docker --pull=never` of the real Dockerfile;
#                size, HEALTHCHECK, non-root, no build tools or docs
#   3. run       --version, healthcheck, read-only root filesystem, SIGTERM drain
#                exits 0 (against the stack's PostgreSQL, step 5)
#   4. stand-ins images tagged as docker-compose.yml's postgis/postgis and apache/kafka,
#                built from the Debian packages and Maven Central jars the tests use
#   5. compose   the whole docker-compose.yml with podman-compose: seed, API key,
#                events pushed into the Kafka container read back through the API,
#                /readyz; torn down always, on failure too
#
#   scripts/container-test.sh          all steps
#   scripts/container-test.sh base     only step 1 (test.sh runs it before CTest:
#                                      tests/integration/test_deps.py reads the bare root)
#
# Skipped, with the reason on one line, when the machine cannot run containers
# (podman missing, no user namespaces, or a trivial `podman run` fails), or when
# ESTD_SKIP_CONTAINER=1. Environment:
#   ESTD_CONTAINER_CACHE   cache: base rootfs, podman storage (default
#                          ${XDG_CACHE_HOME:-$HOME/.cache}/estd; CI starts from a fresh clone)
#   ESTD_BASE_MAX_AGE_DAYS rebuild the base after this many days (default 7: security updates)
#   ESTD_CACHE_DIR         the checkout's download cache (Kafka jars; default .cache)
#   ESTD_CONTAINER_KEEP=1  leave the compose project up at the end (debugging)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
CDIR=${ESTD_CONTAINER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/estd}
BASE=$CDIR/debian-12-slim
JARS=${ESTD_CACHE_DIR:-$REPO/.cache}/kafka/lib
VENV=${ESTD_VENV:-$REPO/.venv}
PROJECT=estd            # docker-compose.yml's `name:`
ESTD_IMAGE=estd:local   # docker-compose.yml's default ${IMAGE:-estd:local}
what=${1:-all}

say() { printf 'container-test: %s\n' "$*"; }
skip() { say "SKIPPED: $*"; exit 0; }
fail() { say "FAILED: $*" >&2; exit 1; }
ok() { say "ok: $*"; }
T0=$SECONDS
lap() { say "[$(( SECONDS - T0 ))s] $*"; }

[ "${ESTD_SKIP_CONTAINER:-0}" = 1 ] && skip "ESTD_SKIP_CONTAINER=1"
[ "$(id -u)" = 0 ] || skip "needs root (rootful podman and debootstrap); run as root"
command -v podman >/dev/null || skip "podman is not installed (scripts/deps.sh installs it)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (scripts/deps.sh installs it)"

mkdir -p "$CDIR"
# One container stage at a time per cache: the compose project name is fixed.
exec 9>"$CDIR/lock"
flock -w 1800 9 || fail "another container stage holds $CDIR/lock"

# Private podman configuration and storage; the machine's /etc/containers is not touched.
export CONTAINERS_CONF=$REPO/scripts/container/containers.conf
export CONTAINERS_STORAGE_CONF=$CDIR/storage.conf
cat >"$CONTAINERS_STORAGE_CONF" <<EOF
[storage]
driver = "overlay"
graphroot = "$CDIR/storage"
runroot = "$CDIR/run"
EOF

# ---- 1. base ---------------------------------------------------------------------------
build_base() {
  local stamp=$BASE/.built max=${ESTD_BASE_MAX_AGE_DAYS:-7}
  if [ -f "$stamp" ] && [ -z "$(find "$stamp" -mtime +"$max")" ] && [ -x "$BASE/rootfs/usr/bin/dpkg" ]; then
    ok "base: cached $BASE/rootfs (built $(cat "$stamp"))"
    return 0
  fi
  say "base: debootstrap --variant=minbase bookworm (Debian mirror) into $BASE"
  rm -rf "$BASE.tmp"; mkdir -p "$BASE.tmp"
  if ! debootstrap --variant=minbase bookworm "$BASE.tmp/rootfs" http://deb.debian.org/debian >"$BASE.tmp/debootstrap.log" 2>&1; then
    tail -20 "$BASE.tmp/debootstrap.log" >&2; fail "debootstrap failed (log: $BASE.tmp/debootstrap.log)"
  fi
  scripts/container/slim-base.sh "$BASE.tmp/rootfs"
  tar --numeric-owner -C "$BASE.tmp/rootfs" -cf "$BASE.tmp/rootfs.tar" .
  date -u +%FT%TZ >"$BASE.tmp/.built"
  rm -rf "$BASE"; mv "$BASE.tmp" "$BASE"
  ok "base: built, $(du -sm "$BASE/rootfs" | cut -f1) MB"
}
import_base() {
  # Re-import when the tarball is newer than the image (or there is none).
  local created
  created=$(podman image inspect --format '{{.Labels.built}}' docker.io/library/debian:12-slim 2>/dev/null || true)
  if [ "$created" != "$(cat "$BASE/.built")" ]; then
    podman import -q --change 'CMD ["bash"]' --change "LABEL built=$(cat "$BASE/.built")" \
      "$BASE/rootfs.tar" docker.io/library/debian:12-slim >/dev/null
  fi
  ok "base: image debian:12-slim ($(podman image inspect --format '{{.Size}}' debian:12-slim | awk '{printf "%.0f", $1/1e6}') MB)"
}

lap "step 1: base"
build_base
[ "$what" = base ] && exit 0

# Can this machine run containers at all? If not, say why and skip.
[ -r /proc/sys/user/max_user_namespaces ] && [ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] \
  || skip "no user namespaces on this machine (/proc/sys/user/max_user_namespaces)"
import_base
if ! out=$(podman run --rm --network none debian:12-slim true 2>&1); then
  skip "a trivial \`podman run\` fails here: $(echo "$out" | tail -1)"
fi

# Everything started from here is removed on exit, on failure too.
HEALTH_PID=
cleanup() {
  set +e
  [ -n "$HEALTH_PID" ] && kill "$HEALTH_PID" 2>/dev/null && wait "$HEALTH_PID" 2>/dev/null
  if [ -n "${COMPOSE_UP:-}" ] && [ "${ESTD_CONTAINER_KEEP:-0}" = 1 ]; then
    say "ESTD_CONTAINER_KEEP=1: the compose project stays up (podman-compose -f docker-compose.yml down -v removes it)"
  elif [ -n "${COMPOSE_UP:-}" ]; then
    compose down -v -t 5 >"$CDIR/compose-down.log" 2>&1 || cat "$CDIR/compose-down.log" >&2
    # Whatever podman-compose missed (labels are set on everything it creates).
    podman ps -aq --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman rm -f -t 0 >/dev/null 2>&1
    podman volume ls -q --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman volume rm -f >/dev/null 2>&1
    podman network rm -f "${PROJECT}_default" >/dev/null 2>&1
    # The images' anonymous VOLUMEs (kafka's secrets and shared config): the
    # storage is this stage's own, so nothing else's volumes are here.
    podman volume prune -f >/dev/null 2>&1
  fi
  # Superseded build-stage images: keep a day's worth as build cache.
  podman image prune -f --filter until=24h >/dev/null 2>&1
  lap "torn down"
}
trap cleanup EXIT

# ---- 2. the estd image -----------------------------------------------------------------
lap "step 2: podman build of Dockerfile"
t=$SECONDS
# The web assets' npm ci reaches the registry through this machine's proxy:
# give the build the host's CA bundle (read-only, not part of the image).
ca_args=()
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  ca_args=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/host-ca.crt:ro --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca.crt)
fi
podman build --format docker --pull=never "${ca_args[@]}" -t "$ESTD_IMAGE" -f Dockerfile . >"$CDIR/build-estd.log" 2>&1 \
  || { tail -40 "$CDIR/build-estd.log" >&2; fail "podman build of Dockerfile (log: $CDIR/build-estd.log)"; }
ok "image built in $(( SECONDS - t ))s"
size=$(podman image inspect --format '{{.Size}}' "$ESTD_IMAGE")
size_mb=$(( size / 1000000 ))
echo "$size_mb" >"$CDIR/estd-image-size-mb"
say "image size: $size_mb MB ($size bytes)"
[ "$size_mb" -lt "${ESTD_IMAGE_MAX_MB:-150}" ] || fail "image is $size_mb MB, budget ${ESTD_IMAGE_MAX_MB:-150} MB"
hc=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$ESTD_IMAGE")
[[ $hc == *'"estd","healthcheck"'* ]] || fail "image lost its HEALTHCHECK: $hc"
user=$(podman image inspect --format '{{.Config.User}}' "$ESTD_IMAGE")
[[ -n $user && ${user%%:*} != 0 && ${user%%:*} != root ]] || fail "image runs as '$user'"
ok "HEALTHCHECK kept, USER $user"
# No build tools, package caches, docs or man pages in the runtime image.
leftovers=$(podman run --rm --no-healthcheck --entrypoint /bin/sh "$ESTD_IMAGE" -c '
  for t in cc gcc c++ make cmake ninja pkg-config git curl; do command -v $t; done
  ls /var/lib/apt/lists | grep -v -x -e partial -e lock
  ls /var/cache/apt/archives/*.deb /usr/share/man/* 2>/dev/null
  find /usr/share/doc -type f ! -name copyright | head -3
  find /usr/include -type f | head -3
  true')
[ -z "$leftovers" ] || fail "runtime image carries build tools, caches or docs: $leftovers"
ok "no build tools, apt lists, docs or headers in the image"

# ---- 3a. run: no database needed ---------------------------------------------------------
lap "step 3: run the image"
ver=$(podman run --rm --no-healthcheck --read-only --read-only-tmpfs=false --network none "$ESTD_IMAGE" --version)
[[ $ver == "estd "* ]] || fail "--version printed '$ver'"
ok "--version on a read-only root: $ver"
uid=$(podman run --rm --no-healthcheck --read-only --read-only-tmpfs=false --network none --entrypoint /bin/sh "$ESTD_IMAGE" -c 'id -u; touch /probe 2>/dev/null && echo writable || true')
[ "$uid" = 10001 ] || fail "container runs as uid '$uid' (wanted 10001, and a read-only /)"
ok "runs as uid 10001; / is read-only"

# ---- 4. stand-in images ------------------------------------------------------------------
lap "step 4: stand-in images"
compose_image() { # compose_image SERVICE: the image docker-compose.yml names for it
  "$VENV/bin/python" -c 'import sys, yaml; print(yaml.safe_load(open("docker-compose.yml"))["services"][sys.argv[1]]["image"])' "$1"
}
qualify() { case $1 in */*/*) echo "$1" ;; */*) echo "docker.io/$1" ;; *) echo "docker.io/library/$1" ;; esac; }
PG_IMAGE=$(compose_image postgres)
KAFKA_IMAGE=$(compose_image kafka)
[ "$(compose_image kafka-init)" = "$KAFKA_IMAGE" ] || fail "kafka-init and kafka use different images"
# The stand-in runs the tests' Kafka jars (scripts/kafka/pom.xml): same minor line as the tag.
POM_KAFKA=$(sed -n 's|.*<kafka.version>\(.*\)</kafka.version>.*|\1|p' scripts/kafka/pom.xml)
TAG_KAFKA=${KAFKA_IMAGE##*:}
[ "${TAG_KAFKA%.*}" = "${POM_KAFKA%.*}" ] || fail "compose's $KAFKA_IMAGE and the pom's Kafka $POM_KAFKA differ in their minor version"
t=$SECONDS
podman build --format docker --pull=never -t "$(qualify "$PG_IMAGE")" scripts/container/postgis >"$CDIR/build-postgis.log" 2>&1 \
  || { tail -40 "$CDIR/build-postgis.log" >&2; fail "stand-in $PG_IMAGE (log: $CDIR/build-postgis.log)"; }
[ -f "$JARS/.installed" ] || scripts/kafka.sh install
ctx=$CDIR/kafka-context
rm -rf "$ctx"; mkdir -p "$ctx/libs"
cp -a scripts/container/kafka/. "$ctx/"
cp "$JARS"/*.jar "$ctx/libs/"
podman build --format docker --pull=never -t "$(qualify "$KAFKA_IMAGE")" "$ctx" >"$CDIR/build-kafka.log" 2>&1 \
  || { tail -40 "$CDIR/build-kafka.log" >&2; fail "stand-in $KAFKA_IMAGE (log: $CDIR/build-kafka.log)"; }
ok "stand-ins $PG_IMAGE and $KAFKA_IMAGE (Kafka $POM_KAFKA jars) built in $(( SECONDS - t ))s"

# ---- 5. the whole docker-compose.yml -----------------------------------------------------
lap "step 5: podman-compose up"
free_port() { "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HTTP_PORT=$(free_port)
# The operator's settings: a key secret, and the API published on loopback only.
export ESTD_KEY_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n=+/')
export HTTP_PUBLISH_PORT=127.0.0.1:$HTTP_PORT
export IMAGE=$ESTD_IMAGE
compose() { "$VENV/bin/podman-compose" -f "$REPO/docker-compose.yml" "$@" 9>&-; }
: >"$CDIR/compose-up.log"
compose version >/dev/null 2>&1 || fail "podman-compose does not run ($VENV/bin/podman-compose)"

# podman drives HEALTHCHECKs from systemd timers; without systemd (CI, this
# sandbox) nothing runs them, so this loop does that job: each running
# container of the project gets `podman healthcheck run` at the interval its
# healthcheck states (compose's `interval`, else the image's).
( declare -A last
  while sleep 1; do
    for c in $(podman ps -q --filter "label=io.podman.compose.project=$PROJECT" 2>/dev/null); do
      every=$(podman inspect --format '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Interval.Seconds}}{{end}}' "$c" 2>/dev/null)
      every=${every%.*}
      [ -n "$every" ] || continue
      [ $(( SECONDS - ${last[$c]:--1000} )) -ge "$(( every > 0 ? every : 30 ))" ] || continue
      last[$c]=$SECONDS
      podman healthcheck run "$c" >/dev/null 2>&1 || true
    done
  done ) 9>&- &
HEALTH_PID=$!

COMPOSE_UP=1
compose down -v -t 0 >/dev/null 2>&1 || true   # a previous run that was killed

ctr() { podman ps -aq --filter "label=io.podman.compose.project=$PROJECT" --filter "label=io.podman.compose.service=$1" | head -1; }
health() { podman inspect --format '{{.State.Health.Status}}' "$1" 2>/dev/null || echo none; }
wait_for() { # wait_for SERVICE CONDITION SECONDS: a compose depends_on condition
  local c= deadline=$(( SECONDS + $3 ))
  while [ $SECONDS -lt $deadline ]; do
    c=$(ctr "$1")
    if [ -n "$c" ]; then
      case $2 in
        service_healthy) [ "$(health "$c")" = healthy ] && return 0 ;;
        service_started) [ "$(podman inspect --format '{{.State.Status}}' "$c")" = running ] && return 0 ;;
        service_completed_successfully)
          case $(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$c") in
            "exited 0") return 0 ;; exited*) break ;;
          esac ;;
        *) fail "unknown depends_on condition $2" ;;
      esac
    fi
    sleep 1
  done
  say "$1 is not $2 after $3 s; its log:" >&2
  [ -n "$c" ] && podman logs --tail 30 "$c" >&2
  return 1
}

# podman-compose cannot wait for `service_healthy` on Debian 12's podman 4.3
# (it needs `podman wait --condition=healthy`, podman >= 4.6, and says so),
# so the services are brought up one at a time in dependency order, each
# after the conditions docker-compose.yml states for it hold, as
# `docker compose up` does.
order=$("$VENV/bin/python" - "$REPO/docker-compose.yml" <<'PY'
import sys, yaml
svc = {n: s for n, s in yaml.safe_load(open(sys.argv[1]))["services"].items() if not s.get("profiles")}
def deps(s):
    d = svc[s].get("depends_on", {})
    return {k: "service_started" for k in d} if isinstance(d, list) else {k: v["condition"] for k, v in d.items()}
done = []
while len(done) < len(svc):
    ready = [s for s in svc if s not in done and all(d in done for d in deps(s))]
    assert ready, "dependency cycle"
    for s in sorted(ready):
        done.append(s)
        print(s, *("%s=%s" % kv for kv in sorted(deps(s).items())))
PY
)
t=$SECONDS
while read -r service conds; do
  for dc in $conds; do
    wait_for "${dc%%=*}" "${dc#*=}" 240 || fail "$service: ${dc%%=*} not ${dc#*=}"
    ok "$service: ${dc%%=*} is ${dc#*=} ($(( SECONDS - t ))s)"
  done
  compose up -d --no-build --no-deps "$service" >>"$CDIR/compose-up.log" 2>&1 \
    || { tail -40 "$CDIR/compose-up.log" >&2; fail "podman-compose up $service (log: $CDIR/compose-up.log)"; }
done <<<"$order"
wait_for estd service_healthy 240 || fail "estd did not become healthy"
ok "whole docker-compose.yml up, estd healthy $(( SECONDS - t ))s after the first \`up\`"
ESTD_C=$(ctr estd); PG_C=$(ctr postgres); KAFKA_C=$(ctr kafka)
[ "$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$ESTD_C")" = true ] || fail "estd service is not read-only"
ok "estd serves with a read-only root filesystem"
[ "$(podman exec "$ESTD_C" id -u)" = 10001 ] || fail "estd service not running as uid 10001"
[ "$(podman exec "$PG_C" psql -U estd -d estd -tAc "SELECT extname FROM pg_extension WHERE extname = 'postgis'")" = postgis ] \
  || fail "postgis extension missing in POSTGRES_DB"
ok "stand-in postgres: POSTGRES_USER/DB honoured, postgis created at initdb"

API=http://127.0.0.1:$HTTP_PORT
rdy=$(curl -s -o /dev/null -w '%{http_code}' "$API/readyz")
[ "$rdy" = 200 ] || fail "/readyz answered $rdy"
ok "/readyz 200 on the published port"
podman healthcheck run "$ESTD_C" >/dev/null || fail "estd healthcheck failed"
ok "the healthcheck (estd healthcheck) passes in the container (podman healthcheck run)"

# Seed through the compose profile, then an admin key with the same environment.
compose --profile seed run --rm estd-seed >"$CDIR/seed.log" 2>&1 || { tail -20 "$CDIR/seed.log" >&2; fail "estd-seed"; }
KEY=$(compose run --rm --no-deps -T estd keys create --party boras-stad --scopes admin --name container-test 2>"$CDIR/keys.log" \
  | tr -d '\r' | grep -o -m1 '^estd_[A-Za-z0-9_-]*$' || true)
[ -n "$KEY" ] || { cat "$CDIR/keys.log" >&2; fail "estd keys create"; }
ok "seeded (profile seed) and created an API key"

# The events' source must be registered for their party (the source registry).
SRC=urn:estd:container-test PARTY=ab-bostader
code=$(curl -s -o "$CDIR/source.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d "{\"party\":\"$PARTY\",\"source\":\"$SRC\"}" "$API/v1/sources")
case $code in 201|409) ;; *) cat "$CDIR/source.json" >&2; fail "POST /v1/sources answered $code" ;; esac
ok "registered source $SRC for $PARTY (POST /v1/sources: $code)"

# Events into the Kafka container, on the topic compose binds to the party:
# structured-mode CloudEvents, one per line.
cenv() { podman inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$ESTD_C" | sed -n "s/^$1=//p"; }
TOPIC=$(cenv ESTD_KAFKA_TOPIC_PARTIES | tr ',' '\n' | sed -n "s/=$PARTY\$//p" | head -1)
[ -n "$TOPIC" ] || TOPIC=$(cenv ESTD_KAFKA_TOPICS | cut -d, -f1)
RUN_ID=ct-$(date +%s)-$$
N=25
for i in $(seq 1 $N); do
  printf '{"specversion":"1.0","id":"%s-%d","source":"%s","type":"se.est.incident.v1","time":"%s","party":"%s","data":{"category":"klotter","location":{"lat":57.7284,"lon":12.9302},"description":"container-test %d"}}\n' \
    "$RUN_ID" "$i" "$SRC" "$(date -u +%FT%TZ)" "$PARTY" "$i"
done | podman exec -i "$KAFKA_C" /opt/kafka/bin/kafka-console-producer.sh --bootstrap-server kafka:9092 --topic "$TOPIC" \
  >"$CDIR/produce.log" 2>&1 || { cat "$CDIR/produce.log" >&2; fail "kafka-console-producer in the kafka container"; }
ok "produced $N events to $TOPIC inside the kafka container"
got=0
for _ in $(seq 1 120); do
  got=$(curl -s -H "Authorization: Bearer $KEY" "$API/v1/events?source=$SRC&limit=500" \
    | "$VENV/bin/python" -c 'import json,sys; d=json.load(sys.stdin); print(sum(1 for e in d.get("items", []) if e["source_event_id"].startswith(sys.argv[1]) and e["channel"] == "kafka"))' "$RUN_ID" 2>/dev/null || echo 0)
  [ "$got" -ge "$N" ] && break
  sleep 1
done
[ "$got" = "$N" ] || fail "read back $got of $N events through GET /v1/events"
ok "read back all $N events through estd's API"

# ---- 3b. SIGTERM drain: the compose service, stopped as `docker compose stop` would ----
lap "step 3b: SIGTERM drain"
podman stop -t 40 "$ESTD_C" >/dev/null
st=$(podman inspect --format '{{.State.ExitCode}}' "$ESTD_C")
[ "$st" = 0 ] || fail "estd exited $st after SIGTERM"
# (Into a file first: `| grep -q` would end the pipe early and pipefail would call that failure.)
podman logs "$ESTD_C" >"$CDIR/estd.log" 2>&1
grep -q 'signal received, draining' "$CDIR/estd.log" || fail "no drain in estd's log ($CDIR/estd.log)"
grep -q '"estd stopped"' "$CDIR/estd.log" || fail "estd did not log its stop ($CDIR/estd.log)"
ok "SIGTERM: estd drained and exited 0"
lap "container stage passed"
