"""The intake statement maintains the situation rollups and bucket versions
itself (src/store/events.c EV_WITH, migration 0140): from the rows it
actually inserted, so a duplicate (inside a batch, across batches, on HTTP and
on Kafka) moves neither the rollups nor the versions; the statement triggers
of 0070/0090 skip only the statement marked estd.intake_statement = 'on', and
every other statement (plain SQL here; resubmit, archive, re-assignment and
retention in test_rollups.py) keeps maintaining them; two Kafka writers
upserting the same rollup rows concurrently do not deadlock."""
import json
import time
import uuid

import psycopg
import pytest

from conftest import Estd, pg_url, register_source
from sit_events import HULTA, NORRBY
from test_intake_kafka import create_topic, kafka_env, produce_all, uniq, wait_for
from test_rollups import ce, rollup_diff

CE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
PARTIES = ["polisen-boras", "boras-stad", "ab-bostader"]
SNAPSHOT = ["SELECT area_id, hour, kind, n, rk, dur FROM situation_hourly ORDER BY 1, 2, 3",
            "SELECT area_id, day, kind, category, party_id, n, rk, dur FROM situation_daily ORDER BY 1, 2, 3, 4, 5",
            "SELECT area_id, day, version FROM situation_versions ORDER BY 1, 2"]


@pytest.fixture(scope="module")
def conn(db):
    with psycopg.connect(pg_url(db), autocommit=True) as c:
        yield c


@pytest.fixture(scope="module")
def source(db):
    return register_source(db, "urn:intake-rollups:" + uuid.uuid4().hex[:8])


def snapshot(conn):
    return [conn.execute(q).fetchall() for q in SNAPSHOT]


def area0_count(conn):
    return conn.execute("SELECT COALESCE(sum(n), 0) FROM situation_hourly WHERE area_id = 0").fetchone()[0]


def test_http_duplicates_move_nothing(estd, conn, source):
    """A batch with a key twice, then the same batch again and a re-send with another time:
    the rollups count each event once and the re-sends change no rollup row and no version."""
    evs = [ce(source, "a1", "incident", "polisen-boras", "2024-10-26", 22, 15, NORRBY, "klotter"),
           ce(source, "a2", "patrol", "boras-stad", "2024-10-26", 23, 40, HULTA, duration_s=1800),
           ce(source, "a3", "incident", "ab-bostader", "2024-10-27", 2, 30, NORRBY, "brand")]
    before_events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    body = evs + [evs[0]]  # a duplicate inside the batch
    r = estd.post("/v1/events", data=json.dumps(body).encode(), headers={"Content-Type": BATCH})
    assert r.status_code in (200, 201, 207), r.text
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == before_events + 3
    assert rollup_diff(conn) == []
    assert area0_count(conn) == before_events + 3
    stored = snapshot(conn)
    assert stored[2], "the buckets of the new events were bumped"

    r = estd.post("/v1/events", data=json.dumps(body).encode(), headers={"Content-Type": BATCH})  # across batches
    assert r.status_code in (200, 201, 207), r.text
    moved = dict(evs[1], data=dict(evs[1]["data"], occurred_at="2024-11-03T10:00:00+01:00"))
    r = estd.post("/v1/events", data=json.dumps(moved).encode(), headers={"Content-Type": CE})  # single ingest
    assert r.status_code == 200 and r.json()["duplicates"] == 1, r.text
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == before_events + 3
    assert snapshot(conn) == stored, "a duplicate moved a rollup or a version"

    new = ce(source, "a4", "activity", "boras-stad", "2024-11-03", 10, 0, HULTA)  # a new single event still counts
    r = estd.post("/v1/events", data=json.dumps(new).encode(), headers={"Content-Type": CE})
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    assert rollup_diff(conn) == []
    assert area0_count(conn) == before_events + 4
    assert snapshot(conn)[2] != stored[2]


def insert_sql(conn, source, tag):
    conn.execute("""INSERT INTO events (source, source_event_id, party_id, kind, category, occurred_at, channel, area_ids)
                    SELECT %s, %s || g, (SELECT min(id) FROM parties), 'incident', 'klotter',
                           timestamptz '2024-10-21 08:00+02' + make_interval(hours => g), 'http', '{}'
                    FROM generate_series(1, 5) g""", (source, tag))


class Rollback(Exception):
    """Leaves a transaction block by rolling it back (any assertion inside still fails the test)."""


def test_only_the_marked_statement_skips_the_triggers(conn, source):
    """Plain SQL (unmarked, or marked 'off' as events.c leaves it after its statement) keeps
    the rollups and versions; only a statement marked 'on' is left to maintain them itself."""
    versions = lambda: conn.execute("SELECT COALESCE(sum(version), 0) FROM situation_versions").fetchone()[0]
    v0 = versions()
    insert_sql(conn, source, "plain-")
    assert rollup_diff(conn) == []
    assert versions() > v0
    with conn.transaction():
        conn.execute("SET LOCAL estd.intake_statement = 'off'")
        v1 = versions()
        insert_sql(conn, source, "off-")
        assert rollup_diff(conn) == []
        assert versions() > v1
    with pytest.raises(Rollback):
        with conn.transaction():
            conn.execute("SET LOCAL estd.intake_statement = 'on'")
            v2 = versions()
            insert_sql(conn, source, "on-")
            assert rollup_diff(conn) != [], "the triggers fired for the marked statement"
            assert versions() == v2
            raise Rollback()
    assert rollup_diff(conn) == []


def kafka_msg(source, i):
    """A structured CloudEvent whose buckets repeat: two local days, two areas, every hour."""
    kind = ("incident", "incident", "patrol", "activity")[i % 4]
    e = ce(source, f"k{i}", kind, PARTIES[i % 3], ("2024-10-26", "2024-10-27")[i % 2], (i * 7) % 24, i % 60,
           (NORRBY, HULTA)[i // 2 % 2], ("klotter", "brand", "skadegorelse")[i % 3],
           900 if kind != "incident" else None)
    return f"k{i}".encode(), json.dumps(e).encode(), [("content-type", CE.encode())]


def test_kafka_two_writers_same_buckets(db, conn):
    """Two writers (small batches, four partitions) upsert the same hourly, daily and version rows
    at the same time, with duplicates inside and across batches: exact rollups, no dead letter, no
    deadlock."""
    source = register_source(db, "urn:intake-rollups-k:" + uuid.uuid4().hex[:8])
    topic = uniq("t.rollups")
    create_topic(topic, 4)
    deadlocks = lambda: conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
                                     ).fetchone()[0]
    stored = lambda: conn.execute("SELECT count(*) FROM event_keys WHERE source = %s", (source,)).fetchone()[0]
    d0 = deadlocks()
    before = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    n = 600
    msgs = [kafka_msg(source, i) for i in range(n)]
    msgs += [kafka_msg(source, i) for i in range(0, n, 3)]  # re-sent: duplicates across batches
    for i in range(0, n, 5):
        msgs.insert(i, kafka_msg(source, i))  # and right next to the original: inside a batch
    produce_all(topic, msgs)
    produce_all(topic, [kafka_msg(source, 10_000 + p) for p in range(4)])  # after the re-sends...
    for p in range(4):
        produce_all(topic, [kafka_msg(source, 20_000 + p)], partition=p)  # ...and last on every partition
    want = n + 8
    env = kafka_env([topic], uniq("g"), {"ESTD_KAFKA_WRITERS": "2", "ESTD_KAFKA_BATCH_MAX": "40"})
    e = Estd(db, env=env).start()
    try:
        wait_for(lambda: stored() >= want, 120, "the events stored")
        assert rollup_diff(conn) == []
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]  # drains the batches in flight
    assert stored() == want
    assert conn.execute("SELECT count(*) FROM dead_letters WHERE source = %s", (source,)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == before + want
    assert rollup_diff(conn) == []
    assert area0_count(conn) == before + want
    assert "deadlock" not in e.read_log()
    time.sleep(1.5)  # backends report their counters within a second of going idle
    assert deadlocks() == d0
