#!/usr/bin/env python3
"""Measures how long /livez, /readyz and a read take while estd is under
the attacks of issue 12 (docs/BENCHMARKS.md "Availability under attack").

  measure.py BINARY [idle|slowloris|freeze ...]

Uses the shared test PostgreSQL (ESTD_PG_PORT, template estd_template) for
the connection attacks and a private cluster for the freeze. Loopback
only; each attack is bounded (under a minute)."""
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import conftest  # noqa: E402
from conftest import Estd, PrivatePg, create_db, drop_db  # noqa: E402

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def timed_get(port, path, src="127.0.0.2", timeout=60.0):
    """(seconds, status or error) for one HTTP/1.0 GET from src."""
    t0 = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(src, 0))
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        return time.monotonic() - t0, int(data.split(b" ", 2)[1]) if data else "closed"
    except OSError as e:
        return time.monotonic() - t0, type(e).__name__


def idle(binary, db):
    e = Estd(db, binary=binary).start()
    socks = []
    try:
        for _ in range(2000):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", e.port))
            except BlockingIOError:
                pass
            socks.append(s)
        time.sleep(1.0)
        lat = [timed_get(e.port, "/livez") for _ in range(3)]
        print("idle-2000: /livez from 127.0.0.2:", ", ".join(f"{t:.3f}s {st}" for t, st in lat))
    finally:
        for s in socks:
            s.close()
        t0 = time.monotonic()
        e.stop()
        print(f"idle-2000: SIGTERM exit after {time.monotonic() - t0:.2f}s")


def slowloris(binary, db, n=1100, seconds=30):
    e = Estd(db, binary=binary).start()
    socks, stop = [], threading.Event()

    def trickle():
        while not stop.is_set():
            for s in list(socks):
                try:
                    s.send(b"X")
                except OSError:
                    pass
            stop.wait(10)

    try:
        for _ in range(n):
            s = socket.socket()
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", e.port))
                s.send(b"GET /livez HTTP/1.1\r\nHost: x\r\nX-a: ")
            except OSError:
                pass
            socks.append(s)
        th = threading.Thread(target=trickle, daemon=True)
        th.start()
        worst, t_end = 0.0, time.monotonic() + seconds
        while time.monotonic() < t_end:
            t, st = timed_get(e.port, "/livez", timeout=seconds + 30)
            worst = max(worst, t)
            time.sleep(1)
        print(f"slowloris-{n}: worst /livez from 127.0.0.2 over {seconds}s: {worst:.3f}s")
    finally:
        t0 = time.monotonic()
        e.stop()
        print(f"slowloris-{n}: SIGTERM exit after {time.monotonic() - t0:.2f}s")
        stop.set()
        for s in socks:
            s.close()


def freeze(binary, seconds=20):
    pg = PrivatePg("measure_freeze")
    pg.start()
    pg.create_db("estd")
    try:
        env = dict(os.environ, ESTD_DATABASE_URL=pg.url(), ESTD_SQL_DIR=conftest.SQL_DIR, ESTD_LOG_LEVEL="warn")
        subprocess.run([binary, "seed"], env=env, check=True, capture_output=True)
        e = Estd("x", binary=binary, env={"ESTD_DATABASE_URL": pg.url()}).start()
        try:
            pids = pg.pids()
            for p in pids:
                os.kill(p, signal.SIGSTOP)
            res = {"/livez": [], "/readyz": [], "/v1/commitments": []}
            t_end = time.monotonic() + seconds
            threads = []

            def probe(path):
                while time.monotonic() < t_end:
                    res[path].append(timed_get(e.port, path, timeout=60))
                    time.sleep(0.5)

            for p in res:
                threads.append(threading.Thread(target=probe, args=(p,), daemon=True))
                threads[-1].start()
            time.sleep(seconds)
            for p in pids:
                os.kill(p, signal.SIGCONT)
            for t in threads:
                t.join(90)
            for p, r in res.items():
                codes = sorted({str(st) for _, st in r})
                print(f"freeze-{seconds}s: {p}: worst {max(t for t, _ in r):.3f}s, answers {codes}")
        finally:
            e.stop()
    finally:
        pg.wipe()


def main():
    binary = sys.argv[1]
    which = sys.argv[2:] or ["idle", "slowloris", "freeze"]
    db = "measure_" + str(os.getpid())
    create_db(db)
    try:
        for w in which:
            if w == "freeze":
                freeze(binary)
            else:
                globals()[w](binary, db)
    finally:
        drop_db(db)


if __name__ == "__main__":
    main()
