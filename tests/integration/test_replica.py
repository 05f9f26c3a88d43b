"""Reads that scale out (issue 13): a real streaming replica made by
`scripts/pg.sh replica-start` (pg_basebackup of a private primary, both on
loopback, started and removed by this module's fixture so no other test
sees them), and estd with ESTD_DATABASE_READ_URL pointing at it.

Checked: list and situation reads go to the replica (its pool's
application_name in pg_stat_activity; rows the paused replica has not
replayed are missing from them), writes to the primary; read-your-writes
through the Consistency-Token header; replica lag beyond
ESTD_READ_MAX_LAG_MS sends reads to the primary (replay paused with
pg_wal_replay_pause() makes the lag deterministic); the replica stopping
and coming back; /readyz and /metrics report its state and lag."""
import os
import re
import subprocess
import uuid

import psycopg
import pytest

from conftest import ESTD_BIN, REPO, SQL_DIR, Estd, PrivatePg, free_port, metric_value, wait_until


class Replica:
    """A hot standby of a PrivatePg, via scripts/pg.sh replica-start."""

    def __init__(self, primary):
        self.primary = primary
        self.port = free_port()
        self.env = dict(os.environ, ESTD_PG_PORT=str(self.port), ESTD_PG_PRIMARY_PORT=str(primary.port),
                        ESTD_PG_DATA=os.path.join(REPO, ".data", "pg-replica-" + str(self.port)))

    def ctl(self, *args):
        return subprocess.run([os.path.join(REPO, "scripts", "pg.sh"), *args], env=self.env, check=True,
                              capture_output=True, text=True).stdout.strip()

    def url(self, db="estd"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def sql(self, query, params=None):
        with psycopg.connect(self.url(), autocommit=True) as c:
            cur = c.execute(query, params)
            return cur.fetchall() if cur.description else []


def primary_sql(pg, query, params=None):
    with psycopg.connect(pg.url(), autocommit=True) as c:
        cur = c.execute(query, params)
        return cur.fetchall() if cur.description else []


def reads(server, target):
    return metric_value(server, "estd_db_reads_total", '{target="%s"}' % target)


def replica_state(server):
    return server.get("/readyz").json()["read_replica"]


@pytest.fixture(scope="module")
def cluster():
    primary = PrivatePg("replica-primary")
    primary.start()
    primary.create_db("estd")
    subprocess.run([ESTD_BIN, "seed", "--dev"], check=True, capture_output=True,
                   env=dict(os.environ, ESTD_DATABASE_URL=primary.url(), ESTD_SQL_DIR=SQL_DIR, ESTD_LOG_LEVEL="warn"))
    replica = Replica(primary)
    replica.ctl("replica-start")
    try:
        yield primary, replica
    finally:
        replica.ctl("replica-wipe")
        primary.wipe()


def start_estd(primary, replica, **env):
    e = Estd("estd", env={"ESTD_DATABASE_URL": primary.url(), "ESTD_DATABASE_READ_URL": replica.url(),
                          "ESTD_READ_CHECK_INTERVAL_MS": "50", **env})
    e.start()
    wait_until(lambda: replica_state(e)["state"] == "ok", 20, "replica ok")
    return e


@pytest.fixture(scope="module")
def server(cluster):
    primary, replica = cluster
    # A generous lag limit: the routing tests pause replay and must still be served by the replica.
    e = start_estd(primary, replica, ESTD_READ_MAX_LAG_MS="600000")
    yield e
    assert e.stop() == 0, e.read_log()[-3000:]


@pytest.fixture
def paused(cluster):
    """Replay paused on the replica for the test (resumed afterwards)."""
    _, replica = cluster
    replica.sql("SELECT pg_wal_replay_pause()")
    wait_until(lambda: replica.sql("SELECT pg_get_wal_replay_pause_state()")[0][0] == "paused", 10, "paused")
    yield replica
    replica.sql("SELECT pg_wal_replay_resume()")


def agreement_id(primary):
    return primary_sql(primary, "SELECT id FROM agreements ORDER BY id LIMIT 1")[0][0]


def new_commitment(server, primary, text):
    party = primary_sql(primary, "SELECT id FROM parties ORDER BY id LIMIT 1")[0][0]
    r = server.post("/v1/commitments", {"agreement_id": agreement_id(primary), "text": text, "status": "planned",
                                        "responsible_party_ids": [party]})
    assert r.status_code == 201, r.text
    return r


def lsn_value(text):
    hi, lo = text.split("/")
    return int(hi, 16) << 32 | int(lo, 16)


def caught_up(replica, lsn):
    return replica.sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,))[0][0]


def test_reads_use_the_replica_pool_and_writes_the_primary(cluster, server):
    primary, replica = cluster
    before = reads(server, "replica")
    for _ in range(3):
        assert server.get("/v1/commitments", params={"limit": 5}).status_code == 200
    assert server.get("/v1/situation").status_code == 200
    assert reads(server, "replica") >= before + 4
    names_r = {n for (n,) in replica.sql("SELECT application_name FROM pg_stat_activity WHERE datname = 'estd'")}
    names_p = {n for (n,) in primary_sql(primary, "SELECT application_name FROM pg_stat_activity "
                                                  "WHERE datname = 'estd'")}
    assert "estd-read" in names_r, names_r
    assert "estd-read" not in names_p, names_p
    # a write lands on the primary (a standby refuses writes) and says how far the WAL got
    r = new_commitment(server, primary, "written on the primary")
    assert re.fullmatch(r"[0-9A-F]{1,8}/[0-9A-F]{1,8}", r.headers["Consistency-Token"]), r.headers
    assert primary_sql(primary, "SELECT count(*) FROM commitments WHERE text = 'written on the primary'")[0][0] == 1


def test_lists_and_situation_come_from_the_replica(cluster, server, paused):
    primary, replica = cluster
    text = "unreplayed " + uuid.uuid4().hex[:8]
    primary_sql(primary, "INSERT INTO commitments (agreement_id, text, status) VALUES (%s, %s, 'planned')",
                (agreement_id(primary), text))
    # The replica has not replayed the insert: the list (served there) does not show it.
    items = server.get("/v1/commitments", params={"limit": 500, "sort": "-id"}).json()["items"]
    assert text not in [c["text"] for c in items]
    assert replica_state(server)["state"] == "ok"  # within the generous limit
    # the primary has it
    assert primary_sql(primary, "SELECT count(*) FROM commitments WHERE text = %s", (text,))[0][0] == 1


def test_read_your_writes_with_the_consistency_token(cluster, server, paused):
    primary, replica = cluster
    created = new_commitment(server, primary, "before the patch").json()
    cid = created["id"]
    # created while paused: only the primary has it
    r = server.patch(f"/v1/commitments/{cid}", {"text": "after the patch"},
                     headers={"If-Match": f'"{created["version"]}"', "Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text
    token = r.headers["Consistency-Token"]
    assert not caught_up(replica, token)

    def listed(headers=None):
        items = server.get("/v1/commitments", params={"limit": 500, "sort": "-id"}, headers=headers or {}).json()
        return {c["id"]: c["text"] for c in items["items"]}

    assert cid not in listed()  # without the token: the replica, which has not replayed it
    before = reads(server, "primary")
    assert listed({"Consistency-Token": token}).get(cid) == "after the patch"  # with it: the primary
    assert reads(server, "primary") == before + 1
    # a token that is not an LSN counts as not replayed: primary
    assert listed({"Consistency-Token": "not-an-lsn"}).get(cid) == "after the patch"
    # once the replica has replayed past the token, the same read is served by the replica
    replica.sql("SELECT pg_wal_replay_resume()")
    wait_until(lambda: caught_up(replica, token), 20, "replay past the token")
    wait_until(lambda: lsn_value(replica_state(server)["replay_lsn"]) >= lsn_value(token), 10, "monitor sees it")
    before_r = reads(server, "replica")
    assert listed({"Consistency-Token": token}).get(cid) == "after the patch"
    assert reads(server, "replica") == before_r + 1


def test_lag_beyond_the_limit_sends_reads_to_the_primary(cluster, paused):
    primary, replica = cluster
    e = start_estd(primary, replica, ESTD_READ_MAX_LAG_MS="300")
    try:
        text = "lagging " + uuid.uuid4().hex[:8]
        primary_sql(primary, "INSERT INTO commitments (agreement_id, text, status) VALUES (%s, %s, 'planned')",
                    (agreement_id(primary), text))
        st = wait_until(lambda: (lambda s: s if s["state"] == "lagging" else None)(replica_state(e)), 20, "lagging")
        assert st["lag_seconds"] > 0.3
        assert e.get("/readyz").status_code == 200  # the replica never makes the instance unready
        assert metric_value(e, "estd_db_replica_up", '{state="lagging"}') == 0
        assert metric_value(e, "estd_db_replica_lag_seconds") > 0.3
        items = e.get("/v1/commitments", params={"limit": 500, "sort": "-id"}).json()["items"]
        assert text in [c["text"] for c in items]  # served by the primary
        replica.sql("SELECT pg_wal_replay_resume()")
        st = wait_until(lambda: (lambda s: s if s["state"] == "ok" else None)(replica_state(e)), 20, "ok again")
        assert st["lag_seconds"] < 0.3
        before = reads(e, "replica")
        assert e.get("/v1/commitments", params={"limit": 5}).status_code == 200
        assert reads(e, "replica") == before + 1
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]


def test_replica_stops_and_returns(cluster, server):
    primary, replica = cluster
    assert server.get("/v1/commitments", params={"limit": 5}).status_code == 200  # pooled replica connection
    replica.ctl("stop")
    try:
        # Every read answers while the replica is gone: the first ones may still find pooled
        # connections to it, which are found cut at acquire and replaced by the primary.
        text = "while the replica is down " + uuid.uuid4().hex[:8]
        new_commitment(server, primary, text)
        for _ in range(5):
            r = server.get("/v1/commitments", params={"limit": 500, "sort": "-id"})
            assert r.status_code == 200, r.text
            assert text in [c["text"] for c in r.json()["items"]]
            assert server.get("/v1/situation").status_code == 200
        wait_until(lambda: replica_state(server)["state"] == "down", 20, "down")
        assert server.get("/readyz").status_code == 200
        assert metric_value(server, "estd_db_replica_up", '{state="down"}') == 0
        assert metric_value(server, "estd_db_replica_lag_seconds") == -1
    finally:
        replica.ctl("replica-start")
    wait_until(lambda: replica_state(server)["state"] == "ok", 30, "back")
    before = reads(server, "replica")
    r = server.get("/v1/commitments", params={"limit": 500, "sort": "-id"})
    assert r.status_code == 200, r.text
    assert reads(server, "replica") == before + 1
    assert text in [c["text"] for c in r.json()["items"]]  # caught up through the slot


def test_read_cancelled_by_recovery_answers_503_not_409(cluster):
    """A read the standby cancels for a conflict with recovery is the
    replica's transient trouble, not a conflict in the caller's request: 503
    with Retry-After (RFC 9457 problem), never 409. Made deterministic with
    two locks taken on the primary and replayed on the replica: the picture's
    snapshot holds situation_daily (its counts) and waits for actions (its
    context), which recovery holds; recovery then needs situation_daily, and
    with max_standby_streaming_delay 200 ms cancels the read."""
    import threading
    primary, replica = cluster
    replica.sql("ALTER SYSTEM SET max_standby_streaming_delay = '200ms'")
    replica.sql("SELECT pg_reload_conf()")
    e = start_estd(primary, replica, ESTD_READ_MAX_LAG_MS="600000", ESTD_DB_QUERY_TIMEOUT_MS="20000")
    a, b = psycopg.connect(primary.url()), psycopg.connect(primary.url())

    def flush():  # a committed write, so the locks' WAL reaches the replica
        primary_sql(primary, "CREATE TABLE IF NOT EXISTS test_replica_flush (x int)")
        primary_sql(primary, "INSERT INTO test_replica_flush VALUES (1)")

    def replica_holds(table):
        return replica.sql("SELECT count(*) FROM pg_locks WHERE relation = %s::regclass"
                           " AND mode = 'AccessExclusiveLock' AND granted", (table,))[0][0] > 0

    def conflicts():
        return replica.sql("SELECT confl_lock + confl_deadlock + confl_snapshot FROM pg_stat_database_conflicts"
                           " WHERE datname = 'estd'")[0][0]

    try:
        before = conflicts()
        a.execute("LOCK TABLE actions IN ACCESS EXCLUSIVE MODE")
        flush()
        wait_until(lambda: replica_holds("actions"), 20, "recovery holds actions")
        out = {}
        t = threading.Thread(target=lambda: out.update(r=e.get("/v1/situation", params={"week": "2023-W07"})))
        t.start()
        wait_until(lambda: replica.sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                       " AND backend_type = 'client backend'")[0][0] > 0, 20, "the read waits")
        b.execute("LOCK TABLE situation_daily IN ACCESS EXCLUSIVE MODE")
        flush()
        t.join(30)
        assert not t.is_alive(), "the read was not cancelled"
        r = out["r"]
        assert r.status_code == 503, (r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers.get("retry-after")
        assert conflicts() > before  # the standby did cancel it
    finally:
        a.rollback()
        b.rollback()
        a.close()
        b.close()
        replica.sql("ALTER SYSTEM RESET max_standby_streaming_delay")
        replica.sql("SELECT pg_reload_conf()")
        lsn = primary_sql(primary, "SELECT pg_current_wal_lsn()::text")[0][0]
        flush()
        wait_until(lambda: caught_up(replica, lsn) and not replica_holds("situation_daily"), 20, "released")
        try:
            assert e.get("/v1/situation", params={"week": "2023-W07"}).status_code == 200  # the pool recovered
        finally:
            assert e.stop() == 0, e.read_log()[-3000:]
