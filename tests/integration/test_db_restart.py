"""PostgreSQL goes away for ~3 s under load: estd answers 503 problem+json
quickly (never hangs, never crashes), recovers by itself when the database
is back, leaves nothing half-written, and still exits 0 on SIGTERM.

Runs against the test's own cluster (private_pg) so parallel tests are not
disturbed."""
import json
import os
import subprocess
import threading
import time

import psycopg
import requests

from conftest import ESTD_BIN, SQL_DIR, Estd

CLIENT_TIMEOUT = 5.0
OUTAGE_S = 3.0


def seed(url):
    env = dict(os.environ, ESTD_DATABASE_URL=url, ESTD_SQL_DIR=SQL_DIR, ESTD_LOG_LEVEL="warn")
    p = subprocess.run([ESTD_BIN, "seed"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr


def sql(url, query):
    with psycopg.connect(url, autocommit=True) as c:
        return c.execute(query).fetchall()


class Load:
    """Worker threads firing a mix of reads and writes; every outcome is recorded."""

    def __init__(self, server, agreement_id, party_id, threads=4):
        self.server = server
        self.agreement_id = agreement_id
        self.party_id = party_id
        self.results = []  # (start, elapsed, kind, status or None, content type, body or exception text)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(threads)]
        self.n = 0

    def one(self, kind, n):
        s = self.server
        if kind == "list":
            return requests.get(s.url("/v1/commitments"), params={"limit": 5}, timeout=CLIENT_TIMEOUT)
        if kind == "get":
            return requests.get(s.url("/v1/commitments/1"), timeout=CLIENT_TIMEOUT)
        return requests.post(s.url("/v1/commitments"), timeout=CLIENT_TIMEOUT,
                             json={"agreement_id": self.agreement_id, "text": f"Omstartstest {n}",
                                   "responsible_party_ids": [self.party_id]})

    def run(self, worker):
        kinds = ["list", "get", "post"]
        i = worker
        while not self.stop.is_set():
            kind = kinds[i % 3]
            i += 1
            t0 = time.monotonic()
            try:
                r = self.one(kind, i * 10 + worker)
                rec = (t0, time.monotonic() - t0, kind, r.status_code, r.headers.get("Content-Type", ""),
                       r.text, r.headers.get("Retry-After"))
            except requests.RequestException as e:  # a hang or a crash
                rec = (t0, time.monotonic() - t0, kind, None, "", repr(e), None)
            with self.lock:
                self.results.append(rec)
            time.sleep(0.02)

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(CLIENT_TIMEOUT + 5)

    def between(self, a, b):
        with self.lock:
            return [r for r in self.results if a <= r[0] < b]


def test_database_outage_gives_503_and_recovers(private_pg):
    url = private_pg.url()
    seed(url)
    agreement_id = sql(url, "SELECT id FROM agreements WHERE code = 'boras-polisen-2018-2020'")[0][0]
    party_id = sql(url, "SELECT id FROM parties WHERE code = 'polisen-boras'")[0][0]
    server = Estd("private-restart", env={"ESTD_DATABASE_URL": url, "ESTD_DB_ACQUIRE_TIMEOUT_MS": "1000"})
    server.start()
    try:
        check_outage(private_pg, server, url, agreement_id, party_id)
    finally:
        code = server.stop()
    assert code == 0, "estd exited with %s:\n%s" % (code, server.read_log()[-5000:])


def check_outage(private_pg, server, url, agreement_id, party_id):
    load = Load(server, agreement_id, party_id)
    try:
        load.start()
        time.sleep(1.0)
        t_stop = time.monotonic()
        private_pg.stop()
        t_down = time.monotonic()
        time.sleep(OUTAGE_S)
        t_up0 = time.monotonic()
        private_pg.start()
        t_up = time.monotonic()
        # Recovery without restarting estd: the first success comes quickly...
        deadline = t_up + 15
        while time.monotonic() < deadline:
            ok = [r for r in load.between(t_up, time.monotonic()) if r[3] in (200, 201)]
            if ok:
                break
            time.sleep(0.1)
        t_recovered = time.monotonic()
        assert t_recovered < deadline, "estd did not recover within 15 s after PostgreSQL came back"
        time.sleep(0.5)
        t_steady = time.monotonic()
        time.sleep(2.0)
    finally:
        load.finish()
    t_end = time.monotonic()

    everything = load.between(0, t_end)
    assert len(everything) > 50, len(everything)
    # Never hangs past the client timeout, never fails at the connection level (no crash).
    failed = [r for r in everything if r[3] is None]
    assert failed == [], failed[:5]
    assert max(r[1] for r in everything) < CLIENT_TIMEOUT
    # Every answer is a success or a 503 problem document with Retry-After.
    for start, elapsed, kind, status, ctype, text, retry in everything:
        assert status in (200, 201, 503), (kind, status, text)
        if status == 503:
            assert ctype.startswith("application/problem+json"), (ctype, text)
            doc = json.loads(text)
            assert doc["status"] == 503 and doc["type"].startswith("/problems/"), doc
            assert retry is not None
    # Before the outage everything worked; while the database was down (requests started at
    # least 0.5 s after it stopped and ending before it was started again) everything was 503.
    assert all(r[3] in (200, 201) for r in load.between(0, t_stop)), "failures before the outage"
    during = [r for r in load.between(t_down + 0.5, t_up0) if r[0] + r[1] < t_up0]
    assert len(during) >= 5, len(during)
    assert {r[3] for r in during} == {503}, {r[3] for r in during}
    assert {r[2] for r in during} == {"list", "get", "post"}
    # After recovery every request succeeds again.
    steady = load.between(t_steady, t_end)
    assert len(steady) >= 20, len(steady)
    bad = [r for r in steady if r[3] not in (200, 201)]
    assert bad == [], bad[:5]
    assert requests.get(server.url("/readyz"), timeout=CLIENT_TIMEOUT).status_code == 200

    # Nothing half-written: every commitment has its party and exactly one create audit row, and
    # every 201 the clients saw is in the table.
    created = [r for r in everything if r[3] == 201]
    assert sql(url, "SELECT count(*) FROM commitments c WHERE NOT EXISTS "
                    "(SELECT 1 FROM commitment_parties p WHERE p.commitment_id = c.id)") == [(0,)]
    assert sql(url, "SELECT count(*) FROM commitments c WHERE (SELECT count(*) FROM audit_log a WHERE "
                    "a.entity = 'commitment' AND a.entity_id = c.id AND a.action = 'create') <> 1 "
                    "AND c.text LIKE 'Omstartstest %'") == [(0,)]
    n_rows = sql(url, "SELECT count(*) FROM commitments WHERE text LIKE 'Omstartstest %'")[0][0]
    assert n_rows >= len(created) and n_rows <= len([r for r in everything if r[2] == "post"])


def test_idle_pooled_connections_survive_a_restart(private_pg):
    """Connections that sat idle through a restart are probed before reuse:
    the first request after the database is back succeeds (no stray 503)."""
    url = private_pg.url("estd")
    seed(url)
    server = Estd("estd", env={"ESTD_DATABASE_URL": url, "ESTD_DB_POOL_SIZE": "2"}).start()
    try:
        for _ in range(4):  # open the pooled connections
            assert server.get("/v1/parties").status_code == 200
        private_pg.stop()
        private_pg.start()
        time.sleep(5.5)  # longer than the pool's idle-probe threshold (5 s)
        for _ in range(4):
            r = server.get("/v1/parties")
            assert r.status_code == 200, r.text
    finally:
        assert server.stop() == 0
