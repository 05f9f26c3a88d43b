"""Events partitioned by month (0120/0121): the idempotency key holds across
partitions (a re-sent event with another time is still a duplicate, on the
intake paths and for any SQL writer), the area rows stay tied to their
event, an existing database converts with every row intact, and retention
drops or strips whole months while the row-level path keeps the rest."""
import json
import os
import shutil
import subprocess
import uuid

import psycopg
import pytest

from conftest import ESTD_BIN, SQL_DIR, Estd, admin_conn, create_db, drop_db, pg_url, register_source
from test_intake_kafka import (area_points, count, create_topic, kafka_env, make_msg, produce_all, uniq,
                               wait_for)

CE = "application/cloudevents+json"


def incident(source, sid, when, lat=57.7210, lon=12.9401, party="boras-stad"):
    return {"specversion": "1.0", "id": sid, "source": source, "type": "se.est.incident.v1", "party": party,
            "data": {"category": "klotter", "occurred_at": when, "location": {"lat": lat, "lon": lon},
                     "description": "Klotter", "attributes": {"k": "v"}}}


def post(estd, body):
    r = estd.post("/v1/events", data=json.dumps(body).encode(), headers={"Content-Type": CE})
    assert r.status_code == 200, r.text
    return r.json()


def months_ago(estd, months, day=10):
    """(ISO time at noon UTC on `day` of the Stockholm month `months` ago, its partition)."""
    return estd.sql("SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                    "'events_p' || to_char(t AT TIME ZONE 'Europe/Stockholm', 'YYYYMM') FROM (SELECT "
                    "(date_trunc('month', now() AT TIME ZONE 'Europe/Stockholm') - make_interval(months => %s) "
                    "+ make_interval(days => %s - 1, hours => 12)) AT TIME ZONE 'UTC' AS t) x", (months, day))[0]


def test_duplicate_with_another_time_is_rejected_over_http(estd):
    s = register_source(estd.db, f"urn:part:{uuid.uuid4().hex[:6]}")
    (t1, p1), (t2, _p2) = months_ago(estd, 6), months_ago(estd, 2)
    first = post(estd, incident(s, "dup-1", t1))
    assert first["stored"] == 1
    eid = first["results"][0]["event_id"]
    # same key, another month (another partition): a duplicate naming the stored event
    again = post(estd, incident(s, "dup-1", t2))
    assert again["stored"] == 0 and again["duplicates"] == 1, again
    assert again["results"][0]["event_id"] == eid
    rows = estd.sql("SELECT tableoid::regclass::text FROM events WHERE source = %s", (s,))
    assert rows == [(p1,)], rows
    assert estd.sql("SELECT event_id FROM event_keys WHERE source = %s AND source_event_id = 'dup-1'", (s,)) == [(eid,)]
    # within one request: the first row of a key wins, the second is its duplicate
    batch = [incident(s, "dup-2", t1), incident(s, "dup-2", t2)]
    r = estd.post("/v1/events", data=json.dumps(batch).encode(),
                  headers={"Content-Type": "application/cloudevents-batch+json"})
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x.get("status") for x in res] == ["stored", "duplicate"], res
    assert res[0]["event_id"] == res[1]["event_id"]
    assert estd.sql("SELECT tableoid::regclass::text FROM events WHERE source = %s AND source_event_id = 'dup-2'",
                    (s,)) == [(p1,)]


def test_duplicate_with_another_time_is_rejected_for_sql_writers(estd):
    """Any other writer of events gets its key from the statement trigger; the
    unique key table refuses a second event with the same key."""
    src = f"urn:part:sql:{uuid.uuid4().hex[:6]}"
    ins = ("INSERT INTO events (source, source_event_id, party_id, kind, category, occurred_at, channel) "
           "SELECT %s, %s, id, 'incident', 'klotter', %s, 'http' FROM parties WHERE code = 'boras-stad' RETURNING id")
    with psycopg.connect(pg_url(estd.db), autocommit=True) as c:
        (eid,) = c.execute(ins, (src, "k1", "2024-02-01T10:00:00Z")).fetchone()
        assert c.execute("SELECT event_id FROM event_keys WHERE source = %s", (src,)).fetchall() == [(eid,)]
        with pytest.raises(psycopg.errors.UniqueViolation):
            c.execute(ins, (src, "k1", "2024-11-01T10:00:00Z"))
        assert c.execute("SELECT count(*) FROM events WHERE source = %s", (src,)).fetchone() == (1,)


def test_kafka_duplicate_with_another_time_is_stored_once(db):
    topic = uniq("t.part")
    create_topic(topic, 1)
    s = register_source(db, f"urn:part:kafka:{uuid.uuid4().hex[:6]}")
    e = Estd(db, env=kafka_env([topic], uniq("g.part"))).start()
    try:
        pts = area_points(e)
        m1 = make_msg(1, s, pts, False)
        m2 = json.loads(m1[1])
        m2["data"]["occurred_at"] = "2024-06-01T10:00:00Z"  # m1's is in February
        produce_all(topic, [m1, (m1[0], json.dumps(m2).encode(), m1[2])])
        wait_for(lambda: count(e, "SELECT count(*) FROM events WHERE source = %s", (s,)) == 1, 60, "the event")
        # a second message of the same key, another time: still one event, no dead letter
        produce_all(topic, [(m1[0], json.dumps(m2).encode(), m1[2]), make_msg(2, s, pts, False)])
        wait_for(lambda: count(e, "SELECT count(*) FROM events WHERE source = %s", (s,)) == 2, 60, "the next event")
        assert count(e, "SELECT count(*) FROM events WHERE source = %s AND source_event_id = %s",
                     (s, json.loads(m1[1])["id"])) == 1
        assert count(e, "SELECT count(*) FROM dead_letters WHERE source = %s", (s,)) == 0
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]


def test_area_rows_stay_tied_to_their_event(estd):
    src = f"urn:part:ea:{uuid.uuid4().hex[:6]}"
    with psycopg.connect(pg_url(estd.db), autocommit=True) as c:
        (eid, t) = c.execute(
            "INSERT INTO events (source, source_event_id, party_id, kind, category, occurred_at, channel, area_ids) "
            "SELECT %s, 'a1', id, 'incident', 'klotter', '2024-04-02T10:00:00Z', 'http', "
            "ARRAY[(SELECT min(id) FROM areas)] FROM parties WHERE code = 'boras-stad' RETURNING id, occurred_at",
            (src,)).fetchone()
        c.execute("INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id) "
                  "SELECT id, area_ids[1], occurred_at, kind, category, party_id FROM events WHERE id = %s", (eid,))
        # no such event (or not at that time): refused like the foreign key did
        for bad_id, bad_t in ((eid + 10 ** 9, t), (eid, "2024-05-02T10:00:00Z")):
            with pytest.raises(psycopg.errors.ForeignKeyViolation):
                c.execute("INSERT INTO event_areas (event_id, area_id, occurred_at, kind, party_id, record_key) "
                          "SELECT %s, min(id), %s, 'incident', 1, 1 FROM areas", (bad_id, bad_t))
        with pytest.raises(psycopg.errors.RestrictViolation):
            c.execute("UPDATE events SET occurred_at = occurred_at + interval '40 days' WHERE id = %s", (eid,))
        c.execute("DELETE FROM events WHERE id = %s", (eid,))
        assert c.execute("SELECT count(*) FROM event_areas WHERE event_id = %s", (eid,)).fetchone() == (0,)
        assert c.execute("SELECT count(*) FROM event_keys WHERE event_id = %s", (eid,)).fetchone() == (0,)


def test_partition_created_later_takes_its_rows_from_the_default(estd):
    src = f"urn:part:def:{uuid.uuid4().hex[:6]}"
    with psycopg.connect(pg_url(estd.db), autocommit=True) as c:
        c.execute("INSERT INTO events (source, source_event_id, party_id, kind, category, occurred_at, channel, area_ids) "
                  "SELECT %s, 'f1', id, 'incident', 'klotter', '2031-07-15T10:00:00Z', 'http', "
                  "ARRAY[(SELECT min(id) FROM areas)] FROM parties WHERE code = 'boras-stad'", (src,))
        c.execute("INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id) "
                  "SELECT id, area_ids[1], occurred_at, kind, category, party_id FROM events WHERE source = %s", (src,))
        before = c.execute("SELECT to_jsonb(e) FROM events e WHERE source = %s", (src,)).fetchall()
        assert c.execute("SELECT tableoid::regclass::text FROM events WHERE source = %s", (src,)).fetchone() == \
            ("events_pdefault",)
        assert c.execute("SELECT est_event_partitions_ensure('2031-07-01', '2031-07-01')").fetchone() == (1,)
        assert c.execute("SELECT tableoid::regclass::text FROM events WHERE source = %s", (src,)).fetchone() == \
            ("events_p203107",)
        assert c.execute("SELECT ea.tableoid::regclass::text FROM event_areas ea JOIN events e ON e.id = ea.event_id "
                         "WHERE e.source = %s", (src,)).fetchall() == [("event_areas_p203107",)]
        assert c.execute("SELECT to_jsonb(e) FROM events e WHERE source = %s", (src,)).fetchall() == before
        assert c.execute("SELECT est_event_partitions_ensure('2031-07-01', '2031-07-01')").fetchone() == (0,)


# ---- conversion of an existing database ------------------------------------------

def test_migration_converts_a_database_with_events(tmp_path):
    """A database at the schema before 0120, with events, area rows, action
    evidence and a resolved dead letter, is migrated: the same rows (every
    column), the keys, the references and the id sequence carry over."""
    old = tmp_path / "sql"
    shutil.copytree(SQL_DIR, old)
    for f in os.listdir(old / "migrations"):
        if f >= "0120":
            os.remove(old / "migrations" / f)
    name = "t_partmig_" + uuid.uuid4().hex[:8]
    with admin_conn() as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        env = dict(os.environ, ESTD_DATABASE_URL=pg_url(name), ESTD_LOG_LEVEL="warn")
        subprocess.run([ESTD_BIN, "seed", "--dev"], env=dict(env, ESTD_SQL_DIR=str(old)), check=True,
                       capture_output=True)
        with psycopg.connect(pg_url(name), autocommit=True) as c:
            assert c.execute("SELECT to_regclass('event_keys')").fetchone() == (None,)
            c.execute("""
              WITH p AS (SELECT id FROM parties WHERE code = 'boras-stad'),
              e AS (INSERT INTO events (source, source_event_id, party_id, kind, category, activity_type, occurred_at,
                                        geom, channel, area_ids, description, attributes)
                SELECT 'mig', 'm' || i, p.id, CASE WHEN i % 5 = 0 THEN 'activity' ELSE 'incident' END,
                       CASE WHEN i % 5 = 0 THEN NULL ELSE 'klotter' END,
                       CASE WHEN i % 5 = 0 THEN 'operativ_insats' END,
                       timestamptz '2021-03-01' + i * interval '9 hours',
                       ST_SetSRID(ST_MakePoint(12.94, 57.72), 4326), 'kafka',
                       COALESCE((SELECT array_agg(a.id ORDER BY a.id) FROM areas a
                                 WHERE ST_Contains(a.geom, ST_SetSRID(ST_MakePoint(12.94, 57.72), 4326))), '{}'),
                       'd' || i, jsonb_build_object('i', i)
                FROM p, generate_series(1, 2500) i RETURNING id, geom, occurred_at, kind, category, party_id)
              INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id)
              SELECT e.id, a.id, e.occurred_at, e.kind, e.category, e.party_id FROM e
              JOIN areas a ON ST_Contains(a.geom, e.geom)""")
            c.execute("INSERT INTO dead_letters (channel, topic, kafka_partition, kafka_offset, payload, reason, "
                      "resolved_at, resolved_event_id) SELECT 'kafka', 'mig', 0, 1, 'x', 'not_json', now(), min(id) "
                      "FROM events")
            # hs_xy (0160, after 0120) is new: the rest of every row is compared, and hs_xy with hs_pt.
            q_ev = "SELECT id, to_jsonb(e) - 'hs_xy' FROM events e ORDER BY id"
            q_ea = "SELECT to_jsonb(ea) - 'hs_xy' FROM event_areas ea ORDER BY event_id, area_id"
            before_ev = c.execute(q_ev).fetchall()
            before_ea = c.execute(q_ea).fetchall()
            assert len(before_ev) == 2500 and len(before_ea) > 0
        subprocess.run([ESTD_BIN, "migrate"], env=dict(env, ESTD_SQL_DIR=SQL_DIR), check=True, capture_output=True)
        with psycopg.connect(pg_url(name), autocommit=True) as c:
            assert c.execute("SELECT relkind FROM pg_class WHERE relname = 'events'").fetchone() == ("p",)
            assert c.execute(q_ev).fetchall() == before_ev
            assert c.execute(q_ea).fetchall() == before_ea
            assert c.execute("SELECT count(*), count(hs_xy) FILTER (WHERE hs_xy[0] = ST_X(hs_pt) AND hs_xy[1] = ST_Y(hs_pt)),"
                             " count(hs_pt) FROM events").fetchone() == (2500, 2000, 2000)
            assert c.execute("SELECT count(*) FROM event_areas WHERE hs_xy::text IS DISTINCT FROM hs_pt::point::text"
                             ).fetchone() == (0,)
            assert c.execute("SELECT count(*) FROM events_pdefault").fetchone() == (0,)
            assert c.execute("SELECT count(*), count(DISTINCT e.id) FROM event_keys k JOIN events e ON "
                             "e.id = k.event_id AND e.source = k.source AND e.source_event_id = k.source_event_id"
                             ).fetchone() == (2500, 2500)
            # the dead letter still points at its event; deleting the event clears it (ON DELETE SET NULL)
            first = before_ev[0][0]
            assert c.execute("SELECT resolved_event_id FROM dead_letters WHERE topic = 'mig'").fetchone() == (first,)
            c.execute("DELETE FROM events WHERE id = %s", (first,))
            assert c.execute("SELECT resolved_event_id FROM dead_letters WHERE topic = 'mig'").fetchone() == (None,)
            # new events continue the id sequence; the old key is still a duplicate
            (nid,) = c.execute("INSERT INTO events (source, source_event_id, party_id, kind, category, occurred_at, "
                               "channel) SELECT 'mig', 'new', id, 'incident', 'klotter', now(), 'http' FROM parties "
                               "WHERE code = 'boras-stad' RETURNING id").fetchone()
            assert nid > before_ev[-1][0]
            with pytest.raises(psycopg.errors.UniqueViolation):
                c.execute("INSERT INTO events (source, source_event_id, party_id, kind, category, occurred_at, "
                          "channel) SELECT 'mig', 'm2', id, 'incident', 'klotter', now(), 'http' FROM parties "
                          "WHERE code = 'boras-stad'")
    finally:
        drop_db(name)


# ---- retention by whole months ---------------------------------------------------

def cli_run(db, **env):
    e = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR, ESTD_LOG_LEVEL="warn", **env)
    out = subprocess.run([ESTD_BIN, "retention", "run"], env=e, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def months_ago_iso(estd, months, day=15):
    """Noon UTC on `day` of the Stockholm month `months` before this one."""
    return estd.sql("SELECT to_char((date_trunc('month', now() AT TIME ZONE 'Europe/Stockholm') "
                    "- make_interval(months => %s) + make_interval(days => %s - 1, hours => 12)), "
                    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", (months, day))[0][0]


@pytest.fixture
def fresh(request):
    """A database of its own (the module's other tests use fixed months)."""
    name = "t_partret_" + uuid.uuid4().hex[:8]
    create_db(name)
    e = Estd(name).start()
    yield e
    assert e.stop() == 0, e.read_log()[-3000:]
    drop_db(name)


def at(estd, expr):
    return estd.sql(f"SELECT to_char(({expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")[0][0]


def seed_months(estd, s):
    """Two events in the Stockholm month 20 months ago (wholly past a 400-day
    cut-off), one an hour before the cut-off (its month is not wholly past,
    except right at a month boundary), one a day after it and one recent."""
    ids = {}
    month20 = "date_trunc('month', now() AT TIME ZONE 'Europe/Stockholm') - interval '20 months'"
    for tag, expr in (("old-a", f"({month20} + interval '2 days 12 hours') AT TIME ZONE 'Europe/Stockholm'"),
                      ("old-b", f"({month20} + interval '19 days 12 hours') AT TIME ZONE 'Europe/Stockholm'"),
                      ("edge", "now() - interval '400 days 1 hour'"),
                      ("keep", "now() - interval '399 days'"),
                      ("recent", "now() - interval '30 days'")):
        r = post(estd, incident(s, tag, at(estd, expr)))
        assert r["stored"] == 1, r
        ids[tag] = r["results"][0]["event_id"]
    return ids


def month_of(estd, eid):
    return estd.sql("SELECT to_char(occurred_at AT TIME ZONE 'Europe/Stockholm', 'YYYYMM') FROM events "
                    "WHERE id = %s", (eid,))[0][0]


def test_delete_mode_drops_whole_months(fresh):
    e = fresh
    s = register_source(e.db, "urn:part:ret:delete")
    ids = seed_months(e, s)
    month = month_of(e, ids["old-a"])
    keep_part = "events_p" + month_of(e, ids["keep"])
    assert e.sql("SELECT to_regclass(%s)::text", ("events_p" + month,)) == [("events_p" + month,)]
    assert e.sql("SELECT count(*) FROM event_areas WHERE event_id = %s", (ids["old-a"],))[0][0] >= 1
    day = e.sql("SELECT (occurred_at AT TIME ZONE 'Europe/Stockholm')::date FROM events WHERE id = %s",
                (ids["old-a"],))[0][0]
    versions = e.sql("SELECT COALESCE(sum(version), 0) FROM situation_versions WHERE day = %s", (day,))[0][0]
    got = cli_run(e.db, ESTD_EVENT_RETENTION_DAYS="400", ESTD_EVENT_RETENTION_MODE="delete",
                  ESTD_DEAD_LETTER_RETENTION_DAYS="0")
    assert got["events_deleted"] == 3, got
    for t in ("events_p", "event_areas_p"):
        assert e.sql("SELECT to_regclass(%s)", (t + month,)) == [(None,)], "the month's partition is dropped"
    assert e.sql("SELECT to_regclass(%s)::text", (keep_part,)) == [(keep_part,)]
    left = {x for (x,) in e.sql("SELECT source_event_id FROM events WHERE source = %s", (s,))}
    assert left == {"keep", "recent"}
    assert e.sql("SELECT count(*) FROM event_keys WHERE source = %s", (s,)) == [(2,)]
    gone = [ids["old-a"], ids["old-b"], ids["edge"]]
    assert e.sql("SELECT count(*) FROM event_areas WHERE event_id = ANY(%s)", (gone,)) == [(0,)]
    assert e.sql("SELECT sum(version) FROM situation_versions WHERE day = %s", (day,))[0][0] > versions, \
        "the dropped month's buckets are invalidated"
    audit = e.sql("SELECT after FROM audit_log WHERE action = 'retention' ORDER BY id DESC LIMIT 1")[0][0]
    assert audit["whole_months"] >= 1 and audit["events_deleted"] == 3
    # a re-sent event of a dropped month is stored again (its key went with it), in the
    # default partition, and the next run deletes it row by row
    r = post(e, incident(s, "old-a", at(e, "now() - interval '600 days'")))
    assert r["stored"] == 1
    assert e.sql("SELECT tableoid::regclass::text FROM events WHERE source = %s AND source_event_id = 'old-a'",
                 (s,)) == [("events_pdefault",)]
    assert cli_run(e.db, ESTD_EVENT_RETENTION_DAYS="400", ESTD_EVENT_RETENTION_MODE="delete",
                   ESTD_DEAD_LETTER_RETENTION_DAYS="0")["events_deleted"] == 1


def test_strip_mode_strips_a_month_once(fresh):
    e = fresh
    s = register_source(e.db, "urn:part:ret:strip")
    ids = seed_months(e, s)
    got = cli_run(e.db, ESTD_EVENT_RETENTION_DAYS="400", ESTD_DEAD_LETTER_RETENTION_DAYS="0")
    assert got["events_stripped"] == 3, got
    stripped = e.sql("SELECT source_event_id FROM events WHERE source = %s AND 'detail_removed' = ANY(flags)", (s,))
    assert {x for (x,) in stripped} == {"old-a", "old-b", "edge"}
    assert e.sql("SELECT description, geom IS NULL FROM events WHERE id = %s", (ids["old-a"],)) == [(None, True)]
    assert e.sql("SELECT count(*) FROM event_areas WHERE event_id = %s", (ids["old-a"],))[0][0] >= 1
    month = month_of(e, ids["old-a"])
    assert e.sql("SELECT detail_removed_at IS NOT NULL FROM event_months WHERE to_char(month, 'YYYYMM') = %s",
                 (month,)) == [(True,)]
    assert e.sql("SELECT detail_removed_at IS NULL FROM event_months WHERE to_char(month, 'YYYYMM') = %s",
                 (month_of(e, ids["keep"]),)) == [(True,)]
    # a row changed inside a stripped month is not looked at again: the month is done
    # (what keeps a run's cost flat as history grows); the partial month is still row-level
    e.sql("UPDATE events SET description = 'late' WHERE id = %s", (ids["old-b"],))
    again = cli_run(e.db, ESTD_EVENT_RETENTION_DAYS="400", ESTD_DEAD_LETTER_RETENTION_DAYS="0")
    assert again == {"events_stripped": 0, "events_deleted": 0, "dead_letters_deleted": 0}
    assert e.sql("SELECT description FROM events WHERE id = %s", (ids["old-b"],)) == [("late",)]
    assert e.sql("SELECT description FROM events WHERE id = %s", (ids["keep"],)) == [("Klotter",)]
    assert cli_run(e.db, ESTD_EVENT_RETENTION_DAYS="398", ESTD_DEAD_LETTER_RETENTION_DAYS="0") == \
        {"events_stripped": 1, "events_deleted": 0, "dead_letters_deleted": 0}


def test_binary_copy_keeps_every_character(estd):
    """The staged rows are PostgreSQL's binary COPY format (no text escaping):
    quotes, backslashes, control characters, braces, commas, the word NULL and
    non-ASCII text reach the row byte for byte."""
    s = register_source(estd.db, f"urn:part:chars:{uuid.uuid4().hex[:6]}")
    tricky = 'a "quoted" \\back\\slash\\ \t tab\nnew line {brace},comma NULL \\N åäö Ünïcødé 🚲 \\\\.'
    body = incident(s, 'id "with" \\ and , {x}', months_ago(estd, 1)[0])
    body["data"]["description"] = tricky
    body["data"]["location"]["name"] = "NULL"
    body["data"]["attributes"] = {"k\\": "v\"\n", "{": [1, "NULL", None]}
    r = post(estd, body)
    assert r["stored"] == 1, r
    row = estd.sql("SELECT source_event_id, description, place_name, attributes FROM events WHERE source = %s", (s,))
    assert row == [('id "with" \\ and , {x}', tricky, "NULL", {"k\\": "v\"\n", "{": [1, "NULL", None]})]
    assert post(estd, body)["duplicates"] == 1


def test_kafka_batch_with_a_row_the_database_refuses(db):
    """A batch the database refuses as a whole is retried event by event behind
    savepoints (each a staged COPY + the statement): the one refused event becomes a
    dead letter 'rejected_by_database', the rest of the batch is stored once."""
    with psycopg.connect(pg_url(db), autocommit=True) as c:  # a rule the admission policy does not know
        c.execute("ALTER TABLE events ADD CONSTRAINT t_refuse CHECK (description IS DISTINCT FROM 'refuse me')")
    topic = uniq("t.part.refuse")
    create_topic(topic, 1)
    s = register_source(db, f"urn:part:refuse:{uuid.uuid4().hex[:6]}")
    e = Estd(db, env=kafka_env([topic], uniq("g.part"), {"ESTD_KAFKA_BATCH_WAIT_MS": "500"})).start()
    try:
        pts = area_points(e)
        msgs = [make_msg(i, s, pts, False, kind="incident") for i in range(10)]
        bad = json.loads(msgs[4][1])
        bad["data"]["description"] = "refuse me"
        msgs[4] = (msgs[4][0], json.dumps(bad).encode(), msgs[4][2])
        produce_all(topic, msgs)
        wait_for(lambda: count(e, "SELECT count(*) FROM dead_letters WHERE source = %s", (s,)) == 1, 60,
                 "the refused event's dead letter")
        assert count(e, "SELECT count(*) FROM events WHERE source = %s", (s,)) == 9
        assert e.sql("SELECT reason, source_event_id FROM dead_letters WHERE source = %s", (s,)) == \
            [("rejected_by_database", "ev-4")]
        assert count(e, "SELECT count(*) FROM event_keys WHERE source = %s", (s,)) == 9
        assert count(e, "SELECT count(*) FROM event_areas ea JOIN events ev ON ev.id = ea.event_id "
                        "WHERE ev.source = %s", (s,)) >= 9
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]
