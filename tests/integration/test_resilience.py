"""Availability under a hostile network and a frozen database (issue 12).

Real processes on loopback only. "Another address" is 127.0.0.2 (the whole
127/8 is local): the attacks come from 127.0.0.1, the well-behaved client
from 127.0.0.2. Each test is bounded (well under a minute, the freeze test
about 40 s). The latency bounds are the ones the issue asks for, asserted
with generous margins; a protection switched off makes its test fail (the
idle connections stay open, the slow ones are never cut, the probe waits
behind the frozen database, ...)."""
import json
import os
import resource
import select
import socket
import subprocess
import threading
import time
import uuid

import psycopg
import requests

from conftest import ESTD_BIN, SQL_DIR, Estd, free_port, register_source
from test_intake_kafka import Stream, create_topic, kafka_env, uniq

OTHER = "127.0.0.2"


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= need, "ulimit -n too low for this test"


def timed_get(port, path, src=OTHER, timeout=30.0):
    """(seconds, status or 'closed'/error name, headers, body) for one GET from src."""
    t0 = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(src, 0))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: estd\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
    except OSError as e:
        return time.monotonic() - t0, type(e).__name__, {}, ""
    elapsed = time.monotonic() - t0
    if not data:
        return elapsed, "closed", {}, ""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return elapsed, int(lines[0].split(" ")[1]), headers, body.decode("utf-8", "replace")


def open_idle(port, n, src="127.0.0.1"):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind((src, 0))
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        socks.append(s)
    return socks


def is_open(s):
    """True while the server keeps the connection open (nothing to read, no EOF)."""
    p = select.poll()
    p.register(s, select.POLLIN)
    if not p.poll(0):
        return True
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except OSError:
        return False


def count_open(socks):
    return sum(1 for s in socks if is_open(s))


def wait_until(pred, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def closed_total(e, reason):
    text = requests.get(e.url("/metrics"), timeout=5).text
    for line in text.splitlines():
        if line.startswith(f'estd_http_connections_closed_total{{reason="{reason}"}}'):
            return int(line.split()[-1])
    raise AssertionError(f"no closed_total for {reason}")


# ---- connections --------------------------------------------------------------


def test_2000_idle_connections_from_one_address(db):
    raise_fd_limit(2300)
    e = Estd(db, env={"ESTD_HTTP_MAX_CONNECTIONS_PER_IP": "50", "ESTD_HTTP_HEADER_TIMEOUT_S": "3"}).start()
    socks = []
    try:
        t_open = time.monotonic()
        socks = open_idle(e.port, 2000)
        time.sleep(0.5)
        # A normal client from another address is served at once.
        for path in ("/livez", "/v1/parties?limit=1", "/readyz"):
            t, status, _, _ = timed_get(e.port, path)
            assert status == 200 and t < 1.0, (path, t, status)
        # Over the per-address limit the connections were closed at once (not queued) ...
        assert wait_until(lambda: count_open(socks) <= 50, 3), count_open(socks)
        held = count_open(socks)
        assert 1 <= held <= 50, held
        # ... and the ones within it are cut at the header deadline (3 s after they opened).
        assert wait_until(lambda: count_open(socks) == 0, 3 + 4 - (time.monotonic() - t_open)), count_open(socks)
        assert time.monotonic() - t_open > 2.5  # not before the deadline
        assert closed_total(e, "header_timeout") >= held
        t, status, _, _ = timed_get(e.port, "/livez")
        assert status == 200 and t < 1.0
    finally:
        for s in socks:
            s.close()
        code = e.stop()
    assert code == 0, e.read_log()[-3000:]


def test_global_connection_limit_closes_at_once_instead_of_queueing(db):
    e = Estd(db, env={"ESTD_HTTP_MAX_CONNECTIONS": "40", "ESTD_HTTP_MAX_CONNECTIONS_PER_IP": "0",
                      "ESTD_HTTP_HEADER_TIMEOUT_S": "30"}).start()
    socks = []
    try:
        socks = open_idle(e.port, 60)
        assert wait_until(lambda: count_open(socks) == 40, 3), count_open(socks)
        # At the limit a new client is closed at once, never left waiting in the backlog.
        t, status, _, _ = timed_get(e.port, "/livez", timeout=10)
        assert t < 1.0 and status in ("closed", "ConnectionResetError"), (t, status)
        assert closed_total_after_release(e, socks) >= 21
    finally:
        for s in socks:
            s.close()
        code = e.stop()
    assert code == 0, e.read_log()[-3000:]


def closed_total_after_release(e, socks):
    for s in socks:
        s.close()
    socks.clear()
    assert wait_until(lambda: timed_get(e.port, "/livez")[1] == 200, 5)
    return closed_total(e, "limit")


class Slowloris(threading.Thread):
    """n connections from 127.0.0.1 that send a partial request head, then
    one more header byte every `every` seconds."""

    def __init__(self, port, n, every=0.5):
        super().__init__(daemon=True)
        self.socks = []
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.settimeout(2)
            try:
                s.connect(("127.0.0.1", port))
                # A path no route takes a body on: its head deadline is the header
                # timeout alone (docs/OPERATIONS.md: body routes get head + body).
                s.sendall(b"GET /v1/situation HTTP/1.1\r\nHost: estd\r\nX-Slow: ")
            except OSError:
                pass
            self.socks.append(s)
        self.every = every
        self.halt = threading.Event()

    def run(self):
        while not self.halt.wait(self.every):
            for s in self.socks:
                try:
                    s.send(b"x")
                except OSError:
                    pass

    def stop(self):
        self.halt.set()
        for s in self.socks:
            s.close()


def test_slowloris_from_one_address(db):
    e = Estd(db, env={"ESTD_HTTP_MAX_CONNECTIONS_PER_IP": "50", "ESTD_HTTP_HEADER_TIMEOUT_S": "2",
                      "ESTD_HTTP_TIMEOUT_S": "30"}).start()
    attack = None
    try:
        t_open = time.monotonic()
        attack = Slowloris(e.port, 200)
        attack.start()
        worst = 0.0
        while time.monotonic() - t_open < 5:
            t, status, _, _ = timed_get(e.port, "/v1/parties?limit=1")
            assert status == 200, status
            worst = max(worst, t)
            time.sleep(0.25)
        assert worst < 1.0, worst
        # Every slow connection was closed: over the limit at once, the rest at the head
        # deadline (2 s), although each keeps sending a byte every 0.5 s.
        assert wait_until(lambda: count_open(attack.socks) == 0, 3), count_open(attack.socks)
        assert closed_total(e, "header_timeout") >= 1
    finally:
        if attack:
            attack.stop()
        code = e.stop()
    assert code == 0, e.read_log()[-3000:]


def test_sigterm_with_slow_and_idle_connections_exits_promptly(db):
    # Long deadlines: only the drain can close these connections in time.
    e = Estd(db, env={"ESTD_HTTP_MAX_CONNECTIONS_PER_IP": "100", "ESTD_HTTP_HEADER_TIMEOUT_S": "60",
                      "ESTD_HTTP_TIMEOUT_S": "60", "ESTD_SHUTDOWN_GRACE_S": "25"}).start()
    attack = Slowloris(e.port, 60)
    attack.start()
    idle = open_idle(e.port, 30)
    keep = requests.Session()  # a keep-alive connection between requests
    assert keep.get(e.url("/livez"), timeout=5).status_code == 200
    try:
        time.sleep(1.0)
        assert count_open(attack.socks) == 60 and count_open(idle) == 30
        t0 = time.monotonic()
        e.proc.terminate()
        code = e.proc.wait(15)
        elapsed = time.monotonic() - t0
        assert code == 0, e.read_log()[-3000:]
        assert elapsed < 5.0, elapsed  # not the 25 s grace period
    finally:
        attack.stop()
        for s in idle:
            s.close()
        keep.close()
        if e.proc.poll() is None:
            e.proc.kill()
            e.proc.wait()


def test_second_instance_on_a_used_port_fails_at_start(db):
    a = Estd(db).start()
    try:
        b = Estd(db, port=a.port)
        t0 = time.monotonic()
        b.start(wait_ready=False)
        code = b.proc.wait(20)
        assert code != 0 and time.monotonic() - t0 < 20
        log = b.read_log()
        assert "already in use" in log and "ESTD_HTTP_REUSE_PORT" in log, log[-2000:]
        assert a.get("/livez").status_code == 200
    finally:
        assert a.stop() == 0
    # Sharing on purpose works when both ask for it.
    port = free_port()
    a = Estd(db, port=port, env={"ESTD_HTTP_REUSE_PORT": "on"}).start()
    b = Estd(db, port=port, env={"ESTD_HTTP_REUSE_PORT": "on"}).start(wait_ready=False)
    try:
        # (its /readyz may be answered by a: wait for b's own start line)
        assert wait_until(lambda: '"estd serving"' in b.read_log(), 20), b.read_log()[-2000:]
        assert a.proc.poll() is None and b.proc.poll() is None
    finally:
        assert a.stop() == 0 and b.stop() == 0


def test_requests_without_a_valid_key_are_rate_limited_per_address(db):
    from test_security import SECRET, auth, create_key
    token = create_key(db, "boras-stad", ["read"])
    e = Estd(db, env={"ESTD_AUTH": "required", "ESTD_KEY_SECRET": SECRET, "ESTD_RATE_LIMIT_ANON_RPS": "1",
                      "ESTD_RATE_LIMIT_ANON_BURST": "3", "ESTD_RATE_LIMIT_RPS": "0"}).start()
    try:
        bad = {"Authorization": "Bearer estd_000000000000_" + "A" * 43}
        codes = [requests.get(e.url("/v1/parties"), headers=bad, timeout=5).status_code for _ in range(3)]
        assert codes == [401, 401, 401], codes
        r = requests.get(e.url("/v1/parties"), timeout=5)  # no key at all: same bucket
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1, r.text
        assert r.headers["Content-Type"].startswith("application/problem+json")
        # Another address has its own bucket; a valid key is not limited by it; probes never.
        assert timed_get(e.port, "/v1/parties")[1] == 401
        assert requests.get(e.url("/v1/parties"), headers=auth(token), timeout=5).status_code == 200
        assert all(requests.get(e.url("/livez"), timeout=5).status_code == 200 for _ in range(10))
        assert all(requests.get(e.url("/readyz"), timeout=5).status_code == 200 for _ in range(5))
    finally:
        code = e.stop()
    assert code == 0, e.read_log()[-3000:]


# ---- a frozen database --------------------------------------------------------


def seed(url):
    env = dict(os.environ, ESTD_DATABASE_URL=url, ESTD_SQL_DIR=SQL_DIR, ESTD_LOG_LEVEL="warn")
    p = subprocess.run([ESTD_BIN, "seed"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr


def sql(url, query, params=None):
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as c:
        return c.execute(query, params).fetchall()


class Prober(threading.Thread):
    """GETs path every `every` s from another address; records (start, seconds, status, headers, body)."""

    def __init__(self, port, path, every=0.25):
        super().__init__(daemon=True)
        self.port, self.path, self.every = port, path, every
        self.results = []
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            t = time.monotonic()
            el, status, headers, body = timed_get(self.port, self.path, timeout=60)
            self.results.append((t, el, status, headers, body))
            self.halt.wait(self.every)

    def between(self, a, b):
        return [r for r in self.results if a <= r[0] and r[0] + r[1] <= b]


def test_frozen_database(private_pg):
    url = private_pg.url()
    seed(url)
    points = [(c, a, la, lo) for c, a, la, lo in sql(
        url, "SELECT code, id, ST_Y(ST_PointOnSurface(geom)), ST_X(ST_PointOnSurface(geom)) FROM areas "
             "WHERE kind = 'district' ORDER BY id")]
    topic = uniq("t.freeze")
    create_topic(topic, 2)
    source = register_source(url, "urn:freeze:" + uuid.uuid4().hex[:8])
    e = Estd("estd", env=kafka_env([topic], uniq("g"), {
        "ESTD_DATABASE_URL": url, "ESTD_LOG_LEVEL": "info", "ESTD_KAFKA_BATCH_MAX": "100",
        "ESTD_DB_QUERY_TIMEOUT_MS": "2000", "ESTD_READY_TIMEOUT_MS": "1000",
        "ESTD_DB_INTAKE_TIMEOUT_MS": "5000", "ESTD_DB_ACQUIRE_TIMEOUT_MS": "1000"})).start()
    probes = [Prober(e.port, p) for p in ("/livez", "/readyz", "/v1/commitments?limit=5", "/healthz/intake")]
    total = 3000
    stream = Stream(topic, source, points, total, rate=75)  # ~40 s: before, during and after the freeze
    try:
        stream.start()
        wait_until(lambda: sql(url, "SELECT count(*) FROM events WHERE source = %s", (source,))[0][0] > 200, 20)
        for p in probes:
            p.start()
        time.sleep(1.0)
        t_freeze = time.monotonic()
        private_pg.freeze()
        # Saturate: 16 clients keep reading (more than the pool and the old 4-thread
        # pool), each waiting on the frozen database; the probes must not queue behind them.
        load = [Prober(e.port, "/v1/commitments?limit=5", every=0) for _ in range(16)]
        for p in load:
            p.start()
        time.sleep(20)
        for p in load:
            p.halt.set()
        t_thaw = time.monotonic()
        private_pg.thaw()
        assert wait_until(lambda: timed_get(e.port, "/readyz")[1] == 200, 15), "not ready again after the thaw"
        t_ready = time.monotonic()
        time.sleep(2)
        for p in probes:
            p.halt.set()
        for p in probes:
            p.join(70)
        livez, readyz, reads, intake = probes
        # Requests that started while the database was frozen (after the first half second).
        during = lambda p: p.between(t_freeze + 0.5, t_thaw)  # noqa: E731
        # /livez never touches the database: fast all along.
        assert len(during(livez)) >= 20
        assert all(r[2] == 200 for r in livez.results), {r[2] for r in livez.results}
        assert max(r[1] for r in livez.results) < 0.5, max(r[1] for r in livez.results)
        # /readyz: 503 within its 1 s deadline (margin: 2.5 s), never hangs.
        assert len(during(readyz)) >= 5
        for _, el, status, headers, body in during(readyz):
            assert status == 503 and el < 2.5, (status, el)
            assert "retry-after" in headers
            assert json.loads(body)["status"] == 503
        # Reads: 503 problem+json with Retry-After within the 2 s deadline (+1 s pool wait,
        # margin: 5 s); never 200 on stale assumptions, never 500, never a hang.
        assert len(during(reads)) >= 3
        for _, el, status, headers, body in during(reads):
            assert status == 503 and el < 5.0, (status, el)
            assert headers["content-type"].startswith("application/problem+json") and "retry-after" in headers
        assert all(r[2] in (200, 503) for r in reads.results), {r[2] for r in reads.results}
        for p in load:
            p.join(30)
            assert all(r[2] in (200, 503) and r[1] < 5.0 for r in p.results), {(r[2], round(r[1], 1)) for r in p.results}
        # The intake reports the database outage (its writes pass their 5 s deadline).
        assert any(json.loads(r[4]).get("state") == "database_unavailable" for r in during(intake) if r[4]), \
            [r[4] for r in during(intake)][-3:]
        # After the thaw everything recovers.
        assert t_ready - t_thaw < 15
        after = [r for r in reads.results if r[0] > t_ready]
        assert after and all(r[2] == 200 for r in after), [r[2] for r in after]
        # Intake resumes: every event exactly once, none dead-lettered.
        stream.join(120)
        assert stream.error is None, stream.error
        assert wait_until(lambda: sql(url, "SELECT count(*) FROM events WHERE source = %s", (source,))[0][0] >= total,
                          90, step=0.5)
        time.sleep(1.5)
        assert sql(url, "SELECT count(*), count(DISTINCT source_event_id) FROM events WHERE source = %s",
                   (source,))[0] == (total, total)
        assert sql(url, "SELECT count(*) FROM dead_letters WHERE topic = %s", (topic,))[0][0] == 0
        # Probe logging: probes at debug (none at info here); the readiness change once at warn each way.
        recs = [json.loads(line) for line in e.read_log().splitlines() if line.startswith("{")]
        assert not [r for r in recs if r["msg"] == "request" and r.get("route") in ("/livez", "/readyz")]
        changes = [r for r in recs if r["msg"].startswith("readiness:")]
        assert [(r["msg"], r["level"]) for r in changes] == [
            ("readiness: ready", "info"), ("readiness: not ready", "warn"), ("readiness: ready", "warn")], changes
        assert changes[1].get("reason"), changes[1]
    finally:
        private_pg.thaw()
        for p in probes:
            p.halt.set()
        code = e.stop()
    assert code == 0, e.read_log()[-3000:]
