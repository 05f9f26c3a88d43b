"""No worker thread waits (issue 13): requests waiting for a situational
picture computation in progress share it, and hold neither a database
connection nor anything other routes need, so /livez and a commitments GET
keep answering while the computation is slow.

The computation is made slow for real: the test holds an ACCESS EXCLUSIVE
lock on the daily rollup, which the picture's counts read (the data version
read before it does not), so the one computing request blocks inside
PostgreSQL until the lock is released. estd runs thread per connection
(docs/OPERATIONS.md "Connections and deadlines"): every waiting request has
its own thread blocked on the cache's condition variable, never a pooled
connection."""
import re
import threading
import time

import psycopg
import pytest

from conftest import Estd, pg_url
from sit_events import NORRBY, area_ids, ev, insert

WAITERS = 40
POOL = 4


def coalesced(server):
    m = re.search(r"^estd_situation_cache_coalesced_total (\d+)$", server.get("/metrics").text, re.M)
    return int(m.group(1))


def backends_waiting_on_lock(conn, db):
    return conn.execute("""SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'
                           AND query LIKE '%%situation_daily%%'""", (db,)).fetchone()[0]


@pytest.fixture(scope="module")
def server(db):
    # a small pool: 40 waiters holding a connection each would exhaust it at once
    e = Estd(db, env={"ESTD_DB_POOL_SIZE": str(POOL), "ESTD_DB_QUERY_TIMEOUT_MS": "60000",
                      "ESTD_DB_STATEMENT_TIMEOUT_MS": "60000", "ESTD_DB_ACQUIRE_TIMEOUT_MS": "1000"}).start()
    yield e
    assert e.stop() == 0, e.read_log()[-3000:]


def test_waiters_share_one_computation_and_other_routes_answer(db, server):
    insert(db, [ev("incident", "polisen-boras", "2024-05-15 21:00", NORRBY, "klotter")])
    norrby = area_ids(server)["norrby"]
    (cid,), = server.sql("SELECT id FROM commitments ORDER BY id LIMIT 1")
    params = {"area_id": norrby, "week": "2024-W20"}
    c0 = coalesced(server)
    results = [None] * WAITERS
    lock = psycopg.connect(pg_url(db))
    watch = psycopg.connect(pg_url(db), autocommit=True)
    try:
        lock.execute("LOCK TABLE situation_daily IN ACCESS EXCLUSIVE MODE")

        def one(i):
            results[i] = server.get("/v1/situation", params=params, timeout=120)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(WAITERS)]
        for t in threads:
            t.start()
        # the one computation is in progress (blocked inside PostgreSQL), the others wait for it
        deadline = time.time() + 60
        while backends_waiting_on_lock(watch, db) < 1 or coalesced(server) - c0 < WAITERS - 1:
            assert time.time() < deadline, (backends_waiting_on_lock(watch, db), coalesced(server) - c0)
            time.sleep(0.1)
        assert backends_waiting_on_lock(watch, db) == 1, "more than one computation of the same picture"
        # other routes keep answering: /livez, and a read that needs a pooled connection
        for _ in range(3):
            assert server.get("/livez", timeout=10).status_code == 200
            r = server.get(f"/v1/commitments/{cid}", timeout=10)
            assert r.status_code == 200, r.text
        assert all(r is None for r in results), "a picture was served while its computation was blocked"
    finally:
        lock.rollback()
        lock.close()
        watch.close()
    for t in threads:
        t.join(120)
    assert all(r is not None and r.status_code == 200 for r in results), [r and r.status_code for r in results]
    assert len({r.text for r in results}) == 1  # the same picture for every waiter
    assert results[0].json()["incidents"]["total"]["count"] == 1
