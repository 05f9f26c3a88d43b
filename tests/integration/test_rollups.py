"""The situation rollups (sql/migrations/0090_situation_rollups.sql) stay
equal to the raw events after any history of writes, and the situational
picture read from them is byte-identical to the one recounted from the raw
events (ESTD_SITUATION_SOURCE=raw, the check path of src/store/situation.c).

Every path that writes events or their area rows is exercised: HTTP intake
(single and batch, duplicates), dead-letter resubmit, direct SQL inserts
(any insert method), area re-assignment after a polygon change, area
archive/restore, retention strip (UPDATE) and delete, and a partitioned
copy of the events table. Hypothesis draws random histories; after each one
the rollups are compared with a GROUP BY over the raw rows (zero
differences) and the documents of both estd instances compared byte for
byte. The freshness values of migration 0145 (situation_freshness) are
compared with their raw computation the same way."""
import datetime
import json
import random
import uuid
import zoneinfo

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import Estd, archive, pg_url, register_source
from sit_events import CENTRUM, HASSLEHOLMEN, HULTA, KRISTINEBERG, NORRBY, OUTSIDE, SJOBO

CE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
PLACES = [NORRBY, HULTA, HASSLEHOLMEN, CENTRUM, SJOBO, KRISTINEBERG, OUTSIDE, None]
CATEGORIES = ["skadegorelse", "klotter", "brand", "narkotika", "ovrigt"]
PARTIES = ["polisen-boras", "boras-stad", "ab-bostader"]
# Around the end of daylight saving time (2024-10-27 03:00 CEST -> 02:00 CET),
# across an ISO week boundary (W43/W44), and one year earlier (year-ago period).
DAYS = ["2024-10-21", "2024-10-26", "2024-10-27", "2024-10-28", "2024-11-03", "2024-11-04", "2023-10-25"]
WEEKS = ["2024-W43", "2024-W44", "2024-W45"]
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")

HOURLY_RAW = """
SELECT 0::bigint, date_trunc('hour', occurred_at, 'UTC'), kind, count(*), sum(record_key), COALESCE(sum(duration_s), 0)
FROM events GROUP BY 1, 2, 3
UNION ALL
SELECT area_id, date_trunc('hour', occurred_at, 'UTC'), kind, count(*), sum(record_key), COALESCE(sum(duration_s), 0)
FROM event_areas GROUP BY 1, 2, 3"""
DAILY_RAW = """
SELECT 0::bigint, (occurred_at AT TIME ZONE 'Europe/Stockholm')::date, kind, COALESCE(category, ''), party_id,
       count(*), sum(record_key), COALESCE(sum(duration_s), 0)
FROM events GROUP BY 1, 2, 3, 4, 5
UNION ALL
SELECT area_id, (occurred_at AT TIME ZONE 'Europe/Stockholm')::date, kind, COALESCE(category, ''), party_id,
       count(*), sum(record_key), COALESCE(sum(duration_s), 0)
FROM event_areas GROUP BY 1, 2, 3, 4, 5"""
# situation_freshness (0145): the newest occurred_at of all events (with the newest event's id and
# received_at) and of each area's rows; no row for an area (or all) without rows.
FRESH_RAW = """
SELECT 0::bigint, max(occurred_at), (SELECT id FROM events ORDER BY id DESC LIMIT 1),
       (SELECT received_at FROM events ORDER BY id DESC LIMIT 1) FROM events HAVING count(*) > 0
UNION ALL
SELECT area_id, max(occurred_at), NULL::bigint, NULL::timestamptz FROM event_areas GROUP BY 1"""
FRESH = "SELECT area_id, newest_occurred_at, newest_event_id, newest_received_at FROM situation_freshness"
# Area rows repeat their event; the stored hot spot points are the ones the raw path computes, and
# hs_xy (0160) is hs_pt as a point (point has no equality operator: its text, the shortest exact
# form of both float8, is compared).
COPIES = """
SELECT count(*) FROM event_areas ea JOIN events e ON e.id = ea.event_id
WHERE (ea.occurred_at, ea.kind, ea.category, ea.party_id, ea.record_key, ea.duration_s)
      IS DISTINCT FROM (e.occurred_at, e.kind, e.category, e.party_id, e.record_key, e.duration_s)
   OR ea.hs_pt IS DISTINCT FROM e.hs_pt
   OR e.hs_pt IS DISTINCT FROM (CASE WHEN e.kind = 'incident' AND e.geom IS NOT NULL
        AND COALESCE(e.location_precision, 'point') IN ('point', 'street') THEN ST_Transform(e.geom, 3006) END)
   OR ea.hs_xy::text IS DISTINCT FROM e.hs_xy::text
   OR e.hs_xy::text IS DISTINCT FROM e.hs_pt::point::text"""


def rollup_diff(conn):
    """Rows that differ between the rollups and the GROUP BY over the raw rows (both directions)."""
    with conn.cursor() as cur:
        cur.execute(f"""
          (SELECT 'hourly-' AS side, * FROM (SELECT area_id, hour, kind, n, rk, dur FROM situation_hourly
             EXCEPT ALL ({HOURLY_RAW})) a)
          UNION ALL (SELECT 'hourly+', * FROM (({HOURLY_RAW}) EXCEPT ALL
             SELECT area_id, hour, kind, n, rk, dur FROM situation_hourly) b)""")
        d = cur.fetchall()
        cur.execute(f"""
          (SELECT 'daily-' AS side, * FROM (SELECT area_id, day, kind, category, party_id, n, rk, dur FROM situation_daily
             EXCEPT ALL ({DAILY_RAW})) a)
          UNION ALL (SELECT 'daily+', * FROM (({DAILY_RAW}) EXCEPT ALL
             SELECT area_id, day, kind, category, party_id, n, rk, dur FROM situation_daily) b)""")
        d += cur.fetchall()
        cur.execute(f"""(SELECT 'fresh-' AS side, * FROM ({FRESH} EXCEPT ALL ({FRESH_RAW})) a)
                         UNION ALL (SELECT 'fresh+', * FROM (({FRESH_RAW}) EXCEPT ALL {FRESH}) b)""")
        d += cur.fetchall()
        cur.execute(COPIES)
        bad = cur.fetchone()[0]
        if bad:
            d.append(("event_areas copies differ", bad))
    return d


@pytest.fixture(scope="module")
def pair(db):
    """Two uncached estd on the module database: counts from the rollups and from the raw events."""
    env = {"ESTD_SITUATION_CACHE_ENTRIES": "0", "ESTD_HOTSPOT_MAX_STALENESS_S": "0"}
    roll = Estd(db, env=dict(env)).start()
    raw = Estd(db, env=dict(env, ESTD_SITUATION_SOURCE="raw")).start()
    yield roll, raw
    for e in (roll, raw):
        assert e.stop() == 0, e.read_log()[-3000:]


@pytest.fixture(scope="module")
def source(db):
    return register_source(db, "urn:rollup-test:" + uuid.uuid4().hex[:8])


@pytest.fixture(scope="module")
def conn(db):
    with psycopg.connect(pg_url(db), autocommit=True) as c:
        yield c


def ce(source, eid, kind, party, local_day, hour, minute, place, category=None, duration_s=None):
    local = datetime.datetime.fromisoformat("%sT%02d:%02d:00" % (local_day, hour, minute)).replace(tzinfo=STOCKHOLM)
    data = {"occurred_at": local.isoformat()}
    if kind == "incident":
        data["category"] = category or "klotter"
    if kind == "activity":
        data["activity_type"] = "trygghetsvandring"
    if duration_s is not None and kind != "incident":
        data["duration_s"] = duration_s
    if place is not None:
        data["location"] = {"lat": place[1], "lon": place[0]}
    return {"specversion": "1.0", "id": eid, "source": source, "type": f"se.est.{kind}.v1", "party": party,
            "datacontenttype": "application/json", "data": data}


def docs_equal(roll, raw, params, geo=False):
    """Both sources give the same body, byte for byte."""
    path = "/v1/situation/geojson" if geo else "/v1/situation"
    a, b = roll.get(path, params=params), raw.get(path, params=params)
    assert a.status_code == 200 and b.status_code == 200, (a.text, b.text)
    for r in (a, b):  # staleness 0: the hot spots are of the response's snapshot
        assert "hot_spots_as_of" not in r.json() and "hot_spots_stale" not in r.json()
    return a.content == b.content


def check_all(conn, roll, raw, area_ids):
    diff = rollup_diff(conn)
    assert diff == [], diff[:20]
    for week in WEEKS:
        for area in [None] + area_ids:
            p = {"week": week}
            if area:
                p["area_id"] = area
            assert docs_equal(roll, raw, p), ("situation differs", p)
    assert docs_equal(roll, raw, {"from": "2024-10-20", "to": "2024-11-05", "bucket": "day"})
    assert docs_equal(roll, raw, {"from": "2024-10-01", "to": "2024-11-30", "bucket": "week",
                                  "area_id": area_ids[0]})
    assert docs_equal(roll, raw, {"week": "2024-W44", "area_id": area_ids[0]}, geo=True)


# ---- operations of a history --------------------------------------------------------------------

_n = iter(range(10 ** 9))


def op_http(ctx, rnd):
    """An HTTP batch of new events and re-sent ones (duplicates: same source and id)."""
    body = []
    for _ in range(rnd.randint(1, 12)):
        if ctx["sent"] and rnd.random() < 0.25:
            body.append(rnd.choice(ctx["sent"]))
            continue
        kind = rnd.choice(["incident", "incident", "incident", "patrol", "activity"])
        e = ce(ctx["source"], "h%d" % next(_n), kind, rnd.choice(PARTIES), rnd.choice(DAYS), rnd.randint(0, 23),
               rnd.randint(0, 59), rnd.choice(PLACES), rnd.choice(CATEGORIES), rnd.choice([None, 600, 1800]))
        if rnd.random() < 0.4:  # tight clusters make hot spots
            loc = e["data"].get("location")
            if loc:
                loc["lat"] = round(loc["lat"] + rnd.uniform(-0.0004, 0.0004), 6)
                loc["lon"] = round(loc["lon"] + rnd.uniform(-0.0004, 0.0004), 6)
        ctx["sent"].append(e)
        body.append(e)
    r = ctx["roll"].post("/v1/events", data=json.dumps(body).encode(), headers={"Content-Type": BATCH})
    assert r.status_code in (200, 201, 207), r.text


def op_sql(ctx, rnd):
    """A direct multi-row INSERT ... SELECT (events, then their area rows), as another insert method."""
    n = rnd.randint(1, 30)
    day = rnd.choice(DAYS)
    place = rnd.choice(PLACES[:-1])
    with ctx["conn"].transaction():
        ctx["conn"].execute("""
          WITH ins AS (INSERT INTO events (source, source_event_id, party_id, kind, category, occurred_at, geom,
                                           channel, area_ids, duration_s, activity_type, location_precision)
            SELECT %(src)s, 's' || %(base)s || '-' || g, (SELECT id FROM parties ORDER BY id LIMIT 1 OFFSET g %% 3),
                   CASE WHEN g %% 4 = 0 THEN 'patrol' ELSE 'incident' END,
                   CASE WHEN g %% 4 = 0 THEN NULL ELSE (ARRAY['klotter','brand','skadegorelse'])[1 + g %% 3] END,
                   (%(day)s::date + make_interval(mins => (g * 97) %% 1440))::timestamp AT TIME ZONE 'Europe/Stockholm',
                   ST_SetSRID(ST_MakePoint(%(lon)s + g * 0.00002, %(lat)s), 4326), 'http',
                   COALESCE((SELECT array_agg(a.id ORDER BY a.id) FROM areas a
                             WHERE ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(%(lon)s + g * 0.00002, %(lat)s), 4326))),
                            '{}'),
                   CASE WHEN g %% 4 = 0 THEN 900 END, NULL, %(prec)s
            FROM generate_series(1, %(n)s) g ON CONFLICT DO NOTHING RETURNING id, occurred_at, area_ids)
          INSERT INTO event_areas (event_id, area_id, occurred_at)
          SELECT ins.id, a, ins.occurred_at FROM ins, unnest(ins.area_ids) a""",
                            {"src": ctx["source"], "base": str(next(_n)), "day": day, "lon": place[0],
                             "lat": place[1], "n": n,
                             "prec": rnd.choice([None, "point", "street", "district", "municipality"])})


def op_reassign(ctx, rnd):
    """An area's polygon changes (moved by up to ~400 m): its events are re-assigned, set-based."""
    aid = rnd.choice(ctx["areas"])
    dx, dy = rnd.uniform(-0.006, 0.006), rnd.uniform(-0.003, 0.003)
    with ctx["conn"].transaction():
        ctx["conn"].execute("UPDATE areas SET geom = ST_Translate(geom, %s, %s) WHERE id = %s", (dx, dy, aid))
        ctx["conn"].execute("""DELETE FROM event_areas ea USING events e, areas a WHERE ea.area_id = %(a)s
                               AND a.id = %(a)s AND e.id = ea.event_id
                               AND NOT ST_Intersects(a.geom, COALESCE(e.geom, e.track))""", {"a": aid})
        ctx["conn"].execute("""INSERT INTO event_areas (event_id, area_id, occurred_at) SELECT e.id, a.id, e.occurred_at FROM areas a
                               JOIN events e ON ST_Intersects(a.geom, COALESCE(e.geom, e.track))
                               WHERE a.id = %(a)s AND COALESCE(e.location_precision, 'point')
                               NOT IN ('municipality', 'county') ON CONFLICT DO NOTHING""", {"a": aid})
        ctx["conn"].execute("""UPDATE events e SET area_ids = COALESCE((SELECT array_agg(ea.area_id ORDER BY ea.area_id)
                               FROM event_areas ea WHERE ea.event_id = e.id), '{}')
                               WHERE e.area_ids IS DISTINCT FROM COALESCE((SELECT array_agg(ea.area_id ORDER BY
                               ea.area_id) FROM event_areas ea WHERE ea.event_id = e.id), '{}')""")


def op_archive(ctx, rnd):
    """An area archived (DELETE) and maybe restored: its counts stay (archive keeps the row)."""
    aid = rnd.choice(ctx["areas"])
    roll = ctx["roll"]
    r = archive(roll, f"/v1/areas/{aid}")
    assert r.status_code in (200, 204), r.text
    if rnd.random() < 0.7:
        etag = roll.get(f"/v1/areas/{aid}").headers["ETag"]
        r = roll.post(f"/v1/areas/{aid}/restore", headers={"If-Match": etag})
        assert r.status_code == 200, r.text


def op_resubmit(ctx, rnd):
    """A dead letter corrected and resubmitted (stored through the intake path)."""
    e = ce(ctx["source"], "d%d" % next(_n), "incident", rnd.choice(PARTIES), rnd.choice(DAYS), rnd.randint(0, 23), 5,
           rnd.choice(PLACES[:-1]), "klotter")
    bad = json.loads(json.dumps(e))
    bad["data"]["category"] = "spoken"
    (dl,), = ctx["conn"].execute(
        "INSERT INTO dead_letters (channel, payload, reason, source, source_event_id) VALUES "
        "('http', %s, 'unknown_category', %s, %s) RETURNING id",
        (json.dumps(bad).encode(), e["source"], e["id"])).fetchall()
    r = ctx["roll"].post(f"/v1/dead-letters/{dl}/resubmit", data=json.dumps(e).encode(),
                         headers={"Content-Type": CE})
    assert r.status_code == 200 and r.json()["status"] == "stored", r.text


def op_strip(ctx, rnd):
    """Retention strip (src/store/retention.c's statement): positions go, counts stay."""
    cutoff = rnd.choice(DAYS)
    ctx["conn"].execute("""UPDATE events SET geom = NULL, location_precision = NULL, track = NULL, place_name = NULL,
                           description = NULL, attributes = '{}', flags = array_append(flags, 'detail_removed')
                           WHERE occurred_at < %s::date AND NOT ('detail_removed' = ANY (flags))""", (cutoff,))


def op_delete(ctx, rnd):
    """Retention delete (events before a day, their area rows by cascade), or one random event."""
    if rnd.random() < 0.5:
        ctx["conn"].execute("DELETE FROM events WHERE occurred_at < %s::date", (rnd.choice(DAYS),))
    else:
        ctx["conn"].execute("DELETE FROM events WHERE id = (SELECT id FROM events ORDER BY random() LIMIT 1)")


def op_newest(ctx, rnd):
    """Writes that touch the newest values of situation_freshness: the most recently stored event
    deleted or its received_at changed, or the newest event of all or of an area deleted."""
    c, x = ctx["conn"], rnd.random()
    if x < 0.25:
        c.execute("DELETE FROM events WHERE id = (SELECT max(id) FROM events)")
    elif x < 0.5:
        c.execute("UPDATE events SET received_at = received_at + interval '1 minute'"
                  " WHERE id = (SELECT max(id) FROM events)")
    elif x < 0.75:
        c.execute("DELETE FROM events WHERE id = (SELECT id FROM events ORDER BY occurred_at DESC, id LIMIT 1)")
    else:
        c.execute("DELETE FROM events WHERE id = (SELECT event_id FROM event_areas WHERE area_id = %s"
                  " ORDER BY occurred_at DESC LIMIT 1)", (rnd.choice(ctx["areas"]),))


OPS = [op_http, op_sql, op_reassign, op_archive, op_resubmit, op_strip, op_delete, op_newest]


def reset(conn, geoms):
    conn.execute("DELETE FROM events")
    conn.execute("DELETE FROM dead_letters")
    for aid, g in geoms.items():
        conn.execute("UPDATE areas SET geom = %s::geometry, archived_at = NULL WHERE id = %s", (g, aid))


@pytest.fixture(scope="module")
def geoms(conn):
    return dict(conn.execute("SELECT id, geom::text FROM areas").fetchall())


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(range(len(OPS))), st.integers(0, 2 ** 31)), min_size=1, max_size=10))
def test_random_histories(pair, conn, source, geoms, history):
    roll, raw = pair
    reset(conn, geoms)
    assert rollup_diff(conn) == []
    assert conn.execute("SELECT count(*) FROM situation_hourly").fetchone()[0] == 0  # deleted to zero: no rows left
    ctx = {"roll": roll, "conn": conn, "source": source, "areas": sorted(geoms), "sent": []}
    op_http(ctx, random.Random(1))  # something to count in every history
    for op, seed in history:
        OPS[op](ctx, random.Random(seed))
        assert rollup_diff(conn) == [], OPS[op].__name__
    check_all(conn, roll, raw, [2, 5, 7])


def test_documents_identical_on_a_fixed_history(pair, conn, source, geoms):
    """A larger fixed history (hot spots form): every query the same from both sources."""
    roll, raw = pair
    reset(conn, geoms)
    ctx = {"roll": roll, "conn": conn, "source": source, "areas": sorted(geoms), "sent": []}
    rnd = random.Random(1234)
    for _ in range(15):
        op_http(ctx, rnd)
        op_sql(ctx, rnd)
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] > 100
    hs = roll.get("/v1/situation", params={"from": "2024-10-20", "to": "2024-11-05"}).json()["hot_spots"]
    assert hs, "the fixed history makes hot spots"
    check_all(conn, roll, raw, sorted(geoms))
    for op in OPS:
        op(ctx, rnd)
    check_all(conn, roll, raw, sorted(geoms))


def test_rollup_check_detects_a_wrong_row(conn, geoms, pair, source):
    """The comparison is not vacuous: a rollup row changed behind the triggers' back is found."""
    roll, _ = pair
    reset(conn, geoms)
    op_http({"roll": roll, "conn": conn, "source": source, "areas": sorted(geoms), "sent": []}, random.Random(7))
    assert rollup_diff(conn) == []
    conn.execute("UPDATE situation_freshness SET newest_occurred_at = newest_occurred_at - interval '1 s'"
                 " WHERE area_id = (SELECT max(area_id) FROM situation_freshness)")
    assert rollup_diff(conn) != []
    conn.execute("UPDATE situation_freshness SET newest_occurred_at = newest_occurred_at + interval '1 s'"
                 " WHERE area_id = (SELECT max(area_id) FROM situation_freshness)")
    assert rollup_diff(conn) == []
    conn.execute("UPDATE situation_daily SET n = n + 1 WHERE ctid = (SELECT ctid FROM situation_daily LIMIT 1)")
    assert rollup_diff(conn) != []
    conn.execute("UPDATE situation_daily SET n = n - 1 WHERE ctid = (SELECT ctid FROM situation_daily LIMIT 1)")


def test_truncate_is_refused(conn):
    with pytest.raises(psycopg.errors.FeatureNotSupported):
        conn.execute("TRUNCATE event_areas")


def test_partitioned_events_keep_the_rollups(db):
    """The triggers work on a partitioned table too (events may be partitioned by month): a
    partitioned copy of events in its own schema with the same trigger functions; rows inserted
    into two partitions, updated across them and deleted, all through the parent."""
    with psycopg.connect(pg_url(db), autocommit=True) as c:
        c.execute("CREATE SCHEMA part")
        c.execute("SET search_path = part, public")
        c.execute("""CREATE TABLE part.events (LIKE public.events INCLUDING DEFAULTS INCLUDING GENERATED)
                     PARTITION BY RANGE (occurred_at)""")
        c.execute("CREATE TABLE part.events_2024_10 PARTITION OF part.events FOR VALUES FROM ('2024-10-01') TO ('2024-11-01')")
        c.execute("CREATE TABLE part.events_2024_11 PARTITION OF part.events FOR VALUES FROM ('2024-11-01') TO ('2024-12-01')")
        c.execute("CREATE TABLE part.event_areas (LIKE public.event_areas)")
        c.execute("CREATE TABLE part.situation_hourly (LIKE public.situation_hourly INCLUDING ALL)")
        c.execute("CREATE TABLE part.situation_daily (LIKE public.situation_daily INCLUDING ALL)")
        for op, ref in (("INSERT", "NEW TABLE AS new_rows"), ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                        ("DELETE", "OLD TABLE AS old_rows")):
            c.execute(f"CREATE TRIGGER r_{op.lower()} AFTER {op} ON part.events REFERENCING {ref} "
                      "FOR EACH STATEMENT EXECUTE FUNCTION public.est_rollup_events()")
        # the functions resolve situation_* and event_areas through the search_path: the part schema's copies
        c.execute("""INSERT INTO part.events (id, source, source_event_id, party_id, kind, category, occurred_at,
                                            channel, record_key)
                     SELECT g, 'p', 'p' || g, 1, 'incident', 'klotter',
                            timestamptz '2024-10-31 20:00+00' + make_interval(hours => g), 'http', g
                     FROM generate_series(1, 10) g""")
        hourly = lambda: c.execute("SELECT sum(n), sum(rk) FROM part.situation_hourly").fetchone()
        daily = lambda: c.execute("SELECT day, sum(n) FROM part.situation_daily GROUP BY day ORDER BY day").fetchall()
        assert hourly() == (10, 55)
        assert [n for _, n in daily()] == [2, 8]  # local days 2024-10-31 (22:00, 23:00 CET) and 11-01
        c.execute("UPDATE part.events SET occurred_at = occurred_at + interval '1 day' WHERE id <= 2")  # into the next partition
        c.execute("DELETE FROM part.events WHERE id > 8")
        assert hourly() == (8, 36)
        assert c.execute("SELECT count(*) FROM part.situation_hourly WHERE n = 0").fetchone()[0] == 0
        got = c.execute("""SELECT date_trunc('hour', occurred_at, 'UTC'), count(*) FROM part.events GROUP BY 1
                           EXCEPT SELECT hour, n FROM part.situation_hourly""").fetchall()
        assert got == []
        c.execute("DROP SCHEMA part CASCADE")
