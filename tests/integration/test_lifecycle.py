"""Process lifecycle of `estd serve`: graceful drain on SIGTERM/SIGINT,
the grace period as a hard bound, the shutdown delay for load balancers,
and configuration errors at start.

(SIGTERM during a Kafka consumer batch is tested with the intake, in
test_intake*.py.)
"""
import json
import os
import signal
import socket
import subprocess
import time

import pytest
import requests

from conftest import ESTD_BIN, Estd, pg_url


def raw_connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def read_response(sock):
    """Reads one HTTP/1.1 response (Content-Length framed) from sock;
    returns (status, headers dict lower-cased, body bytes)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the response headers: %r" % buf
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(body) < n:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-body"
        body += chunk
    return status, headers, body[:n]


def connection_refused(port):
    """True once a new connection is refused (a reset while the listen
    socket is being closed is not yet a verdict: callers poll)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:
        return False


def wait_until(pred, timeout, step=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def wait_exit(e, timeout):
    t0 = time.monotonic()
    try:
        code = e.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        e.proc.kill()
        e.proc.wait()
        raise AssertionError("estd did not exit within %s s:\n%s" % (timeout, e.read_log()[-3000:]))
    return code, time.monotonic() - t0


def log_records(e):
    return [json.loads(line) for line in e.read_log().splitlines() if line.strip()]


@pytest.fixture
def fresh(db):
    """A new estd per test (these tests stop it)."""
    started = []

    def make(**env):
        e = Estd(db, env={k: str(v) for k, v in env.items()}).start()
        started.append(e)
        return e

    yield make
    for e in started:
        if e.proc.poll() is None:
            e.proc.kill()
            e.proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_drains_in_flight_request_then_exits_0(fresh, sig):
    e = fresh(ESTD_SHUTDOWN_GRACE_S=10)
    # A request whose headers are only half sent: MHD has started it, the
    # handler has not run yet.
    held = raw_connect(e.port)
    held.sendall(b"GET /v1/parties?limit=2 HTTP/1.1\r\nHost: estd\r\nX-Request-Id: held-request-1\r\n")
    time.sleep(0.3)
    t0 = time.monotonic()
    e.proc.send_signal(sig)
    # The listener closes: new connections are refused while the held
    # request is still open and the process still runs.
    assert wait_until(lambda: connection_refused(e.port), 5), "listener still accepting after the signal"
    assert e.proc.poll() is None, "estd exited before the in-flight request finished"
    # Finish the request: it is served normally.
    held.sendall(b"Accept: application/json\r\n\r\n")
    status, headers, body = read_response(held)
    held.close()
    assert status == 200, (status, body)
    assert headers["x-request-id"] == "held-request-1"
    assert headers.get("connection", "").lower() == "close"  # draining: do not reuse
    doc = json.loads(body)
    assert isinstance(doc["items"], list) and len(doc["items"]) <= 2
    code, _ = wait_exit(e, 10)
    assert code == 0, e.read_log()[-3000:]
    assert time.monotonic() - t0 < 10
    msgs = [r["msg"] for r in log_records(e)]
    assert "signal received, draining" in msgs and msgs[-1] == "estd stopped", msgs
    access = [r for r in log_records(e) if r.get("request_id") == "held-request-1"]
    assert access and access[0]["status"] == 200


def test_sigterm_during_request_body_upload(fresh):
    """Half of a POST body is sent before SIGTERM, the rest after: the
    request reaches its handler and gets a complete answer."""
    routes = subprocess.run([ESTD_BIN, "routes"], capture_output=True, text=True, check=True).stdout.split("\n")
    body_routes = [r.split()[1] for r in routes if r.startswith("POST ") and "{" not in r]
    if not body_routes:
        pytest.skip("no POST route registered yet")
    path = body_routes[0]
    e = fresh(ESTD_SHUTDOWN_GRACE_S=10)
    body = json.dumps({"note": "x" * 200}).encode()
    held = raw_connect(e.port)
    held.sendall((f"POST {path} HTTP/1.1\r\nHost: estd\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(body)}\r\nX-Request-Id: held-post-1\r\n\r\n").encode() + body[:50])
    time.sleep(0.3)
    e.proc.send_signal(signal.SIGTERM)
    assert wait_until(lambda: connection_refused(e.port), 5)
    assert e.proc.poll() is None
    held.sendall(body[50:])
    status, headers, resp = read_response(held)
    held.close()
    # Whatever the route says about this body, it answered it in full.
    assert 200 <= status < 500, (status, resp)
    assert headers["x-request-id"] == "held-post-1"
    json.loads(resp)
    code, _ = wait_exit(e, 10)
    assert code == 0, e.read_log()[-3000:]


def test_grace_period_bounds_a_request_that_never_completes(fresh):
    e = fresh(ESTD_SHUTDOWN_GRACE_S=1)
    held = raw_connect(e.port)
    held.sendall(b"GET /v1/parties HTTP/1.1\r\nHost: estd\r\n")  # never finished
    time.sleep(0.3)
    e.proc.send_signal(signal.SIGTERM)
    code, took = wait_exit(e, 8)
    held.close()
    assert code == 0, e.read_log()[-3000:]
    assert 0.8 <= took < 3.0, took
    assert any(r["msg"] == "grace period over with 1 requests open" for r in log_records(e)), e.read_log()


def test_idle_keepalive_connection_does_not_delay_shutdown(fresh):
    e = fresh(ESTD_SHUTDOWN_GRACE_S=10)
    with requests.Session() as s:
        assert s.get(e.url("/livez"), timeout=5).status_code == 200  # connection stays open, idle
        e.proc.send_signal(signal.SIGTERM)
        code, took = wait_exit(e, 8)
    assert code == 0 and took < 2.0, (code, took)


def test_shutdown_delay_keeps_listening_with_readiness_503(fresh):
    e = fresh(ESTD_SHUTDOWN_DELAY_MS=1500, ESTD_SHUTDOWN_GRACE_S=10)
    t0 = time.monotonic()
    e.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    # During the delay: still accepting, readiness failing, liveness fine.
    r = requests.get(e.url("/readyz"), timeout=5)
    assert r.status_code == 503
    doc = r.json()
    assert doc["reason"] == "shutting down" and doc["status"] == 503
    assert r.headers["Retry-After"]
    assert requests.get(e.url("/livez"), timeout=5).status_code == 200
    assert requests.get(e.url("/v1/parties"), timeout=5).status_code == 200
    # After the delay the listener closes and the process exits.
    assert wait_until(lambda: connection_refused(e.port), 5)
    assert time.monotonic() - t0 >= 1.4
    code, _ = wait_exit(e, 8)
    assert code == 0


# ---- configuration errors --------------------------------------------------------

@pytest.mark.parametrize("var,value", [
    ("ESTD_PORT", "abc"),
    ("ESTD_PORT", "70000"),
    ("ESTD_LOG_LEVEL", "loud"),
    ("ESTD_DB_POOL_SIZE", "0"),
    ("ESTD_MIGRATE_ON_START", "maybe"),
    ("ESTD_LISTEN_ADDRESS", "not-an-ip"),
    ("ESTD_SHUTDOWN_GRACE_S", "-1"),
    ("ESTD_SHUTDOWN_DELAY_MS", "1.5"),
    ("ESTD_HTTP_MAX_CONNECTIONS_PER_IP", "4\nINJECTED"),
    ("ESTD_HTTP_REUSE_PORT", "sometimes"),
    ("ESTD_DB_QUERY_TIMEOUT_MS", "0"),
])
def test_bad_configuration_exits_nonzero_with_one_line(db, var, value):
    env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_PORT="1", ESTD_AUTH="off")
    env[var] = value
    t0 = time.monotonic()
    r = subprocess.run([ESTD_BIN, "serve"], env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert time.monotonic() - t0 < 5
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and r.stderr.endswith("\n"), r.stderr
    assert lines[0].startswith("estd: configuration error: " + var + "="), lines[0]


def test_page_default_above_max_is_a_configuration_error(db):
    env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_PAGE_DEFAULT="600", ESTD_PAGE_MAX="500")
    r = subprocess.run([ESTD_BIN, "serve"], env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode == 2
    assert r.stderr.splitlines() == ["estd: configuration error: ESTD_PAGE_DEFAULT=600 exceeds ESTD_PAGE_MAX=500"]


def test_port_in_use_fails_start_with_json_log(db):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        e = Estd(db, port=port)
        e.start(wait_ready=False)
        code = e.proc.wait(30)
    assert code == 1
    recs = log_records(e)  # every line is JSON, including the library's messages
    assert any(r["level"] == "error" and r["msg"] == "cannot listen" and r["port"] == port for r in recs), recs


def test_sigterm_while_waiting_for_the_database_exits_promptly(db):
    # Nothing listens on this port: migrate-on-start keeps retrying.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    e = Estd(db, env={"ESTD_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{dead}/x"})
    e.start(wait_ready=False)
    assert wait_until(lambda: "database not reachable" in e.read_log(), 10)
    e.proc.send_signal(signal.SIGTERM)
    code, took = wait_exit(e, 5)
    assert code == 0 and took < 3, (code, took)
