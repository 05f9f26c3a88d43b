"""Operations surface of `estd serve`: probes, Prometheus metrics, JSON
logs, request ids, and `estd healthcheck`."""
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import ESTD_BIN, SQL_DIR, Estd, assert_problem


# ---- Prometheus text format ----------------------------------------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_VALUE = r'"(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE_RE = re.compile(
    rf"^(?P<name>{NAME})(?:\{{(?P<labels>[a-zA-Z_][a-zA-Z0-9_]*={LABEL_VALUE}(?:,[a-zA-Z_][a-zA-Z0-9_]*={LABEL_VALUE})*)\}})?"
    r" (?P<value>[-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN))$")
LABEL_RE = re.compile(rf'([a-zA-Z_][a-zA-Z0-9_]*)=({LABEL_VALUE})')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v[1:-1])


def parse_metrics(text):
    """Strict parse of the text exposition format 0.0.4. Returns
    {family: {"type": t, "help": h, "samples": [(name, labels, value)]}} and
    asserts the format rules estd promises: HELP and TYPE once per family,
    before its samples; samples of a family contiguous; counters named
    *_total; histogram series complete and cumulative."""
    assert text.endswith("\n")
    fams, current, seen_sample_of = {}, None, set()
    for line in text.splitlines():
        assert line.strip() == line and line, repr(line)
        if line.startswith("# HELP "):
            name, help_ = line[7:].split(" ", 1)
            assert name not in fams, "HELP twice for " + name
            fams[name] = {"help": help_, "type": None, "samples": []}
            current = name
            continue
        if line.startswith("# TYPE "):
            name, typ = line[7:].split(" ")
            assert name == current and fams[name]["type"] is None, line
            assert typ in ("counter", "gauge", "histogram", "summary", "untyped")
            fams[name]["type"] = typ
            continue
        assert not line.startswith("#"), line
        m = SAMPLE_RE.match(line)
        assert m, "not a valid sample line: %r" % line
        name = m.group("name")
        fam = current
        base_ok = name == fam or (fams[fam]["type"] == "histogram" and name in (fam + "_bucket", fam + "_sum", fam + "_count"))
        assert base_ok, "sample %s outside its family block (%s)" % (name, fam)
        labels = {k: unescape(v) for k, v in LABEL_RE.findall(m.group("labels") or "")}
        v = m.group("value")
        value = float("inf") if v == "+Inf" or v == "Inf" else float(v)
        fams[fam]["samples"].append((name, labels, value))
        seen_sample_of.add(fam)
    for name, f in fams.items():
        assert f["type"], "no TYPE for " + name
        if f["type"] == "counter":
            assert name.endswith("_total"), "counter without _total: " + name
            assert all(v >= 0 for _, _, v in f["samples"])
        if f["type"] == "histogram":
            check_histogram(name, f["samples"])
    return fams


def check_histogram(name, samples):
    series = {}
    for n, labels, v in samples:
        key = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
        s = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if n.endswith("_bucket"):
            le = labels["le"]
            s["buckets"].append((math.inf if le == "+Inf" else float(le), v))
        elif n.endswith("_sum"):
            s["sum"] = v
        else:
            s["count"] = v
    for key, s in series.items():
        les = [le for le, _ in s["buckets"]]
        assert les == sorted(les) and les[-1] == math.inf, (name, key, les)
        counts = [c for _, c in s["buckets"]]
        assert counts == sorted(counts), ("buckets not cumulative", name, key, counts)
        assert s["count"] == counts[-1], (name, key)
        assert s["sum"] is not None and s["sum"] >= 0


def sample(fams, family, name=None, **labels):
    """Value of the one sample of `family` whose labels include `labels`;
    0 when absent (counters start absent)."""
    f = fams.get(family)
    if not f:
        return 0.0
    hits = [v for n, l, v in f["samples"] if n == (name or family) and all(l.get(k) == x for k, x in labels.items())]
    assert len(hits) <= 1, (family, labels, hits)
    return hits[0] if hits else 0.0


def scrape(e):
    r = e.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse_metrics(r.text)


def test_metrics_format_and_families(estd):
    estd.get("/livez")
    fams = scrape(estd)
    for fam, typ in [
        ("estd_build_info", "gauge"),
        ("estd_http_requests_total", "counter"),
        ("estd_http_request_duration_seconds", "histogram"),
        ("estd_http_requests_in_flight", "gauge"),
        ("estd_events_ingested_total", "counter"),
        ("estd_events_rejected_total", "counter"),
        ("estd_events_deadlettered_total", "counter"),
        ("estd_consumer_lag_messages", "gauge"),
        ("estd_db_pool_size", "gauge"),
        ("estd_db_pool_in_use", "gauge"),
        ("estd_db_pool_wait_seconds_total", "counter"),
        ("process_resident_memory_bytes", "gauge"),
        ("process_start_time_seconds", "gauge"),
        ("process_open_fds", "gauge"),
        ("process_cpu_seconds_total", "counter"),
    ]:
        assert fams[fam]["type"] == typ, fam
    assert fams["estd_build_info"]["samples"][0][1]["version"]
    assert sample(fams, "estd_db_pool_size") == 8
    assert sample(fams, "process_resident_memory_bytes") > 1e6
    assert abs(sample(fams, "process_start_time_seconds") - time.time()) < 3600
    assert sample(fams, "process_open_fds") >= 3
    # The scrape in progress is one request in a handler.
    assert sample(fams, "estd_http_requests_in_flight") == 1


def test_http_counters_and_histogram_move_exactly(estd):
    party_id = estd.sql("SELECT min(id) FROM parties")[0][0]
    route = "/v1/parties/{id}"
    before = scrape(estd)
    n_ok, n_missing = 7, 3
    for _ in range(n_ok):
        assert estd.get(f"/v1/parties/{party_id}").status_code == 200
    for _ in range(n_missing):
        assert estd.get("/v1/parties/999999999").status_code == 404
    for _ in range(2):
        assert estd.get("/no/such/route").status_code == 404
    after = scrape(estd)

    def delta(family, name=None, **labels):
        return sample(after, family, name, **labels) - sample(before, family, name, **labels)

    assert delta("estd_http_requests_total", route=route, method="GET", status="200") == n_ok
    assert delta("estd_http_requests_total", route=route, method="GET", status="404") == n_missing
    assert delta("estd_http_requests_total", route="(unmatched)", status="404") == 2
    h = "estd_http_request_duration_seconds"
    assert delta(h, h + "_count", route=route, method="GET") == n_ok + n_missing
    assert delta(h, h + "_bucket", route=route, method="GET", le="+Inf") == n_ok + n_missing
    assert delta(h, h + "_sum", route=route, method="GET") > 0
    # Requests on other routes did not touch this route's series.
    assert delta("estd_http_requests_total", route="/v1/parties", method="GET", status="200") == 0
    # The pool served them.
    assert delta("estd_db_pool_acquired_total") >= n_ok + n_missing


def test_metrics_label_values_are_route_templates_not_paths(estd):
    estd.get("/v1/parties/123456")
    fams = scrape(estd)
    routes = {l["route"] for n, l, v in fams["estd_http_requests_total"]["samples"]}
    assert "/v1/parties/{id}" in routes
    assert not any(re.search(r"/\d+", r) for r in routes), routes


# ---- probes ------------------------------------------------------------------------

def test_livez_and_readyz(estd):
    r = estd.get("/livez")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = estd.get("/readyz")
    # The intake's health is reported in the body, apart from readiness (off here).
    assert r.status_code == 200 and r.json() == {"status": "ready", "intake": {"state": "off"}}
    r = estd.get("/healthz/intake")
    assert r.status_code == 200 and r.json() == {"state": "off"}


def test_probes_follow_the_database_down_and_up(private_pg):
    e = Estd("estd", env={"ESTD_DATABASE_URL": private_pg.url("estd"), "ESTD_DB_ACQUIRE_TIMEOUT_MS": "500"})
    e.start()
    try:
        assert e.get("/readyz").status_code == 200
        private_pg.stop()
        r = e.get("/readyz")
        doc = assert_problem(r, 503)
        assert doc["reason"] == "database unreachable", doc
        assert "database unreachable" in doc["detail"]
        assert r.headers["Retry-After"]
        assert e.get("/livez").status_code == 200  # liveness does not depend on the database
        assert e.get("/v1/parties").status_code == 503
        private_pg.start()
        deadline = time.time() + 20
        while time.time() < deadline and e.get("/readyz").status_code != 200:
            time.sleep(0.2)
        r = e.get("/readyz")
        assert r.status_code == 200, r.text  # recovered without a restart
        assert e.get("/v1/parties").status_code == 200
        assert e.proc.poll() is None
    finally:
        code = e.stop()
    assert code == 0, e.read_log()[-3000:]


def test_readyz_reports_pending_migrations_until_migrated(db):
    sql = tempfile.mkdtemp(prefix="estd-sql-")
    try:
        shutil.copytree(SQL_DIR, sql, dirs_exist_ok=True)
        with open(os.path.join(sql, "migrations", "9990_ops_probe_test.sql"), "w") as f:
            f.write("CREATE TABLE ops_probe_test (x int);\n")
        e = Estd(db, env={"ESTD_SQL_DIR": sql, "ESTD_MIGRATE_ON_START": "false"}).start(wait_ready=False)
        try:
            deadline = time.time() + 10
            r = None
            while time.time() < deadline:
                try:
                    r = e.get("/readyz")
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            doc = assert_problem(r, 503)
            assert doc["reason"] == "database migrations pending"
            out = subprocess.run([ESTD_BIN, "migrate"], env=e.env, capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stderr
            assert e.get("/readyz").status_code == 200
        finally:
            assert e.stop() == 0
    finally:
        shutil.rmtree(sql)
        Estd(db).sql("DROP TABLE IF EXISTS ops_probe_test")
        Estd(db).sql("DELETE FROM schema_migrations WHERE version LIKE '9990%%'")


def test_readyz_is_cheap(estd):
    # Many probes in a row stay fast (the migrations check is cached).
    t0 = time.monotonic()
    for _ in range(50):
        assert estd.get("/readyz").status_code == 200
    assert (time.monotonic() - t0) / 50 < 0.05


def test_healthcheck_subcommand(estd):
    env = dict(estd.env)
    r = subprocess.run([ESTD_BIN, "healthcheck"], env=env, capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    env["ESTD_LISTEN_ADDRESS"] = "0.0.0.0"  # wildcard: the check goes over loopback
    assert subprocess.run([ESTD_BIN, "healthcheck"], env=env, timeout=10).returncode == 0
    r = subprocess.run([ESTD_BIN, "healthcheck", "/no/such"], env=estd.env, capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and "answered 404" in r.stderr
    with tempfile.TemporaryDirectory():
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
        s.close()
    env = dict(estd.env, ESTD_PORT=str(free))
    r = subprocess.run([ESTD_BIN, "healthcheck"], env=env, capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1 and "cannot connect" in r.stderr


# ---- logs and request ids ------------------------------------------------------------

def test_request_id_is_echoed_or_generated(estd):
    r = estd.get("/v1/parties", headers={"X-Request-Id": "client-req:42_a.b-c"})
    assert r.headers["X-Request-Id"] == "client-req:42_a.b-c"
    ids = set()
    for _ in range(3):
        rid = estd.get("/v1/parties").headers["X-Request-Id"]
        assert re.fullmatch(r"[0-9a-f]{32}", rid), rid
        ids.add(rid)
    assert len(ids) == 3
    # Unsafe or oversized ids are replaced, not echoed.
    for bad in ["has space", "x" * 65, "quote\"d", "new\\line"]:
        rid = estd.get("/v1/parties", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert rid != bad and re.fullmatch(r"[0-9a-f]{32}", rid)
    # Problem documents carry it too.
    r = estd.get("/v1/parties/999999999", headers={"X-Request-Id": "rid-problem-1"})
    assert r.json()["request_id"] == "rid-problem-1"


def test_logs_are_json_lines_with_request_fields(estd):
    estd.get("/v1/parties", headers={"X-Request-Id": "log-check-1"})
    estd.get("/v1/parties/999999999", headers={"X-Request-Id": "log-check-2"})
    estd.get("/does/not/exist", headers={"X-Request-Id": "log-check-3"})
    estd.get("/livez", headers={"X-Request-Id": "log-check-probe"})
    time.sleep(0.2)
    text = estd.read_log()
    assert text.endswith("\n")
    records = []
    for i, line in enumerate(text.splitlines()):
        rec = json.loads(line)  # every line, not only access lines
        assert isinstance(rec, dict), line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec["time"]), line
        assert rec["level"] in ("debug", "info", "warn", "error"), line
        assert isinstance(rec["msg"], str), line
        records.append(rec)
    by_id = {r.get("request_id"): r for r in records if r["msg"] == "request"}
    r1 = by_id["log-check-1"]
    assert r1["route"] == "/v1/parties" and r1["method"] == "GET" and r1["status"] == 200
    assert isinstance(r1["duration_ms"], (int, float)) and r1["duration_ms"] >= 0
    r2 = by_id["log-check-2"]
    assert r2["route"] == "/v1/parties/{id}" and r2["path"] == "/v1/parties/999999999" and r2["status"] == 404
    assert by_id["log-check-3"]["route"] == "(unmatched)" and by_id["log-check-3"]["status"] == 404
    assert "log-check-probe" not in by_id  # probes are logged at debug only
    assert any(r["msg"] == "estd serving" for r in records)


def test_debug_level_logs_probes_and_stays_json(db):
    e = Estd(db, env={"ESTD_LOG_LEVEL": "debug"}).start()
    try:
        e.get("/readyz", headers={"X-Request-Id": "probe-debug-1"})
        time.sleep(0.1)
    finally:
        assert e.stop() == 0
    recs = [json.loads(l) for l in e.read_log().splitlines()]
    assert any(r.get("request_id") == "probe-debug-1" and r["level"] == "debug" for r in recs)
    assert recs[-1]["msg"] == "estd stopped"


def test_client_protocol_errors_do_not_break_json_logs(estd):
    import socket
    s = socket.create_connection(("127.0.0.1", estd.port), timeout=5)
    s.sendall(b"GET /livez HTTP/1.1\r\n")  # then hang up mid-request
    s.close()
    s = socket.create_connection(("127.0.0.1", estd.port), timeout=5)
    s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
    try:
        s.recv(4096)
    except OSError:
        pass
    s.close()
    time.sleep(0.3)
    for line in estd.read_log().splitlines():
        json.loads(line)


def test_non_utf8_request_path_is_logged_as_valid_json(estd):
    import socket
    s = socket.create_connection(("127.0.0.1", estd.port), timeout=5)
    s.sendall(b"GET /v1/\xff\xfeodd HTTP/1.1\r\nHost: estd\r\nX-Request-Id: bad-utf8-path\r\nConnection: close\r\n\r\n")
    resp = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        resp += chunk
    s.close()
    assert resp.startswith(b"HTTP/1.1 404")
    time.sleep(0.1)
    recs = [json.loads(l) for l in estd.read_log().splitlines()]
    rec = [r for r in recs if r.get("request_id") == "bad-utf8-path"]
    assert rec and rec[0]["status"] == 404 and rec[0]["path"].startswith("/v1/"), rec


def test_healthcheck_speaks_tls_when_the_listener_does(db, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    e = Estd(db, env={"ESTD_TLS_CERT_FILE": str(cert), "ESTD_TLS_KEY_FILE": str(key)})
    e.start(wait_ready=False)
    try:
        deadline = time.time() + 20
        while True:
            r = subprocess.run([ESTD_BIN, "healthcheck"], env=e.env, capture_output=True, text=True, timeout=10)
            if r.returncode == 0:
                break
            assert e.proc.poll() is None and time.time() < deadline, (r.stderr, e.read_log()[-2000:])
            time.sleep(0.2)
        assert r.stderr == ""
        r = subprocess.run([ESTD_BIN, "healthcheck", "/nope"], env=e.env, capture_output=True, text=True, timeout=10)
        assert r.returncode == 1 and "answered 404" in r.stderr
        # Without TLS settings the same port does not look healthy.
        plain = {k: v for k, v in e.env.items() if not k.startswith("ESTD_TLS_")}
        assert subprocess.run([ESTD_BIN, "healthcheck"], env=plain, capture_output=True, timeout=10).returncode == 1
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]
