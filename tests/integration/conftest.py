"""Shared fixtures for the integration tests.

Every test module gets its own database cloned from the migrated and seeded
template (ESTD_TEMPLATE_DB, prepared by scripts/test.sh) and its own estd
process on a free loopback port, so modules can run in parallel. The real
PostgreSQL is the one scripts/pg.sh runs; Kafka (when a test needs it) is the
real broker scripts/kafka.sh runs.
"""
import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid

import psycopg
import pytest
import requests

REPO = os.environ.get("ESTD_REPO", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
ESTD_BIN = os.environ.get("ESTD_BIN", os.path.join(REPO, "build", "estd"))
SQL_DIR = os.environ.get("ESTD_SQL_DIR", os.path.join(REPO, "sql"))
PG_PORT = int(os.environ.get("ESTD_PG_PORT", "25532"))  # scripts/test.sh's default
TEMPLATE_DB = os.environ.get("ESTD_TEMPLATE_DB", "estd_template")
KAFKA_BOOTSTRAP = os.environ.get("ESTD_TEST_KAFKA", "127.0.0.1:19192")  # scripts/test.sh's default


def pg_url(db):
    return f"postgresql://postgres@127.0.0.1:{PG_PORT}/{db}"


def admin_conn():
    return psycopg.connect(pg_url("postgres"), autocommit=True)


def create_db(name, template=TEMPLATE_DB):
    with admin_conn() as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def drop_db(name):
    with admin_conn() as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_ctl(action):
    """Stops/starts/restarts the shared PostgreSQL (tests holding the
    'postgres' CTest resource lock only)."""
    subprocess.run([os.path.join(REPO, "scripts", "pg.sh"), action], check=True)


class Estd:
    """A running `estd serve` process."""

    def __init__(self, db, env=None, port=None, binary=None):
        self.db = db
        self.binary = binary or ESTD_BIN  # e.g. a valgrind wrapper
        self.auto_port = port is None
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update({
            "ESTD_DATABASE_URL": pg_url(db),
            "ESTD_SQL_DIR": SQL_DIR,
            "ESTD_LISTEN_ADDRESS": "127.0.0.1",
            "ESTD_PORT": str(self.port),
            "ESTD_LOG_LEVEL": "info",
            "ESTD_DB_ACQUIRE_TIMEOUT_MS": "1000",
            "ESTD_AUTH": "off",
            # No retention schedule in tests unless a test asks for it (its audit rows would
            # disturb tests that count audit rows): test_retention.py sets these.
            "ESTD_DEAD_LETTER_RETENTION_DAYS": "0",
            "ESTD_EVENT_RETENTION_DAYS": "0",
            # Hot spots exact after every write (tests check them right after a write);
            # test_hotspot_staleness.py tests the bounded staleness.
            "ESTD_HOTSPOT_MAX_STALENESS_S": "0",
        })
        if env:
            self.env.update(env)
        self.log_path = os.path.join("/tmp", f"estd-{db}-{self.port}.log")
        self.proc = None

    def start(self, wait_ready=True, timeout=30):
        for attempt in range(3):
            self.log = open(self.log_path, "wb")
            self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=self.log,
                                         stderr=subprocess.STDOUT)
            if not wait_ready:
                return self
            try:
                self.wait_ready(timeout)
                return self
            except RuntimeError:
                # free_port() only found a port that was free a moment ago: on a shared
                # machine another process may have taken it since, and estd refuses a port
                # in use (ESTD_HTTP_REUSE_PORT). Take another one.
                if not (self.auto_port and attempt < 2 and self.proc.poll() is not None
                        and "already in use" in self.read_log()):
                    raise
                self.log.close()
                self.port = free_port()
                self.base = f"http://127.0.0.1:{self.port}"
                self.env["ESTD_PORT"] = str(self.port)
                self.log_path = os.path.join("/tmp", f"estd-{self.db}-{self.port}.log")
        return self

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"estd exited with {self.proc.returncode}: {self.read_log()[-3000:]}")
            try:
                if requests.get(self.base + "/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("estd did not become ready: " + self.read_log()[-3000:])

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=40):
        """Stops the process and returns its exit code (sanitizer reports
        make it non-zero, so callers assert 0)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("estd did not stop within %s s" % timeout)
        self.log.close()
        return self.proc.returncode

    # Convenience HTTP helpers -------------------------------------------
    def url(self, path):
        return self.base + path

    def get(self, path, **kw):
        return requests.get(self.base + path, timeout=kw.pop("timeout", 10), **kw)

    def post(self, path, body=None, **kw):
        if body is not None and "data" not in kw:
            kw["json"] = body
        return requests.post(self.base + path, timeout=kw.pop("timeout", 10), **kw)

    def put(self, path, body=None, **kw):
        if body is not None and "data" not in kw:
            kw["json"] = body
        return requests.put(self.base + path, timeout=kw.pop("timeout", 10), **kw)

    def patch(self, path, body=None, **kw):
        if body is not None and "data" not in kw:
            kw["json"] = body
        return requests.patch(self.base + path, timeout=kw.pop("timeout", 10), **kw)

    def delete(self, path, **kw):
        return requests.delete(self.base + path, timeout=kw.pop("timeout", 10), **kw)

    def sql(self, query, params=None):
        """Runs a query on this instance's database; returns all rows."""
        with psycopg.connect(pg_url(self.db), autocommit=True) as c:
            cur = c.execute(query, params)
            return cur.fetchall() if cur.description else []


def create_key(db, party, scopes, secret):
    """A new API key of party with scopes (`estd keys create`), hashed with secret
    (the ESTD_KEY_SECRET of the server that will check it)."""
    env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR, ESTD_KEY_SECRET=secret,
               ESTD_LOG_LEVEL="warn")
    r = subprocess.run([ESTD_BIN, "keys", "create", "--party", party, "--scopes", scopes], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def metric_value(server, name, labels=""):
    """The value of one sample of server's /metrics (labels as written
    there, e.g. '{result="hit"}'), or None when it is not there."""
    text = server.get("/metrics").text
    m = re.search(r"^" + re.escape(name + labels) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def wait_until(cond, timeout, what):
    """Polls cond every 50 ms until it returns something true (returned), or fails after timeout s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def assert_problem(resp, status, field=None):
    """Asserts an RFC 9457 problem response with the given status (and, if
    given, a field-level error naming `field`)."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"].startswith("application/problem+json"), resp.headers
    doc = resp.json()
    assert doc["status"] == status
    assert doc["type"].startswith("/problems/")
    assert isinstance(doc["title"], str) and doc["title"]
    if field is not None:
        fields = [e["field"] for e in doc.get("errors", [])]
        assert any(f == field or f.startswith(field + "/") or f.startswith(field + ".") for f in fields), (field, doc)
    return doc


@pytest.fixture(scope="module")
def db(request):
    name = "t_" + request.module.__name__.replace("test_", "")[:30] + "_" + uuid.uuid4().hex[:8]
    create_db(name)
    yield name
    drop_db(name)


@pytest.fixture(scope="module")
def estd(db):
    """An estd serving the module's database with auth off (security tests
    start their own instance with keys)."""
    e = Estd(db).start()
    yield e
    code = e.stop()
    assert code == 0, "estd exited with %s:\n%s" % (code, e.read_log()[-5000:])


PARTY_CODES = ("polisen-boras", "boras-stad", "ab-bostader")


def register_source(db, source, parties=PARTY_CODES):
    """Registers an event source for the parties (the registry refuses
    events of unregistered (party, source): unknown_source). db is a test
    database name or a postgresql:// URL. SQL, so it works with or without
    a running estd; idempotent."""
    url = db if db.startswith("postgresql://") else pg_url(db)
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("INSERT INTO event_sources (party_id, source, description) SELECT id, %s, 'test' FROM parties "
                  "WHERE code = ANY(%s) ON CONFLICT (party_id, source) DO NOTHING", (source, list(parties)))
    return source


def archive(server, path, headers=None):
    """DELETE (which archives) with the row's current ETag as If-Match,
    unless headers give one."""
    h = dict(headers or {})
    if "If-Match" not in h:
        r = server.get(path, headers={k: v for k, v in h.items() if k.lower() == "authorization"})
        if r.status_code == 200:
            h["If-Match"] = r.headers["ETag"]
    return server.delete(path, headers=h)


def page_all(server, path, params=None, limit=None):
    """Follows `next` links and returns every item of a list."""
    items = []
    params = dict(params or {})
    if limit:
        params["limit"] = limit
    r = server.get(path, params=params)
    while True:
        assert r.status_code == 200, r.text
        doc = r.json()
        items.extend(doc["items"])
        if not doc["next"]:
            return items
        r = server.get(doc["next"])


class PrivatePg:
    """A second PostgreSQL cluster of this test's own (own data dir and
    port), for tests that stop and start the database, so they never
    disturb tests running in parallel against the shared cluster."""

    def __init__(self, name):
        self.port = free_port()
        self.env = dict(os.environ, ESTD_PG_PORT=str(self.port),
                        ESTD_PG_DATA=os.path.join(REPO, ".data", "pg-" + name + "-" + str(self.port)))

    def ctl(self, *args):
        return subprocess.run([os.path.join(REPO, "scripts", "pg.sh"), *args], env=self.env, check=True,
                              capture_output=True, text=True).stdout.strip()

    def url(self, db="estd"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def start(self):
        self.ctl("start")

    def stop(self):
        self.ctl("stop")

    def create_db(self, db="estd"):
        self.ctl("createdb", db)

    def wipe(self):
        self.thaw()
        self.ctl("wipe")

    def pids(self):
        """The postmaster and its children (backends, background workers)."""
        with open(os.path.join(self.env["ESTD_PG_DATA"], "db", "postmaster.pid")) as f:
            main = int(f.readline())
        kids = subprocess.run(["pgrep", "-P", str(main)], capture_output=True, text=True).stdout.split()
        return [main] + [int(k) for k in kids]

    def freeze(self):
        """SIGSTOP every process of the cluster: it keeps its sockets open
        and answers nothing (a network partition, stuck storage)."""
        self.frozen = self.pids()
        for p in self.frozen:
            os.kill(p, signal.SIGSTOP)

    def thaw(self):
        for p in getattr(self, "frozen", []):
            try:
                os.kill(p, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.frozen = []


@pytest.fixture
def private_pg(request):
    pg = PrivatePg(request.node.name[:20].replace("[", "_").replace("]", "_"))
    pg.start()
    pg.create_db("estd")
    yield pg
    pg.wipe()
