"""Situation cache invalidation per area and period (issue 13): a cached
picture depends only on the (area, day) buckets it reads
(sql/migrations/0070_situation_versions.sql, est_situation_buckets), and
on one version of the other inputs (areas, focuses, commitments, ...).

Cached vs computed is read from /metrics (estd_situation_cache_requests_total);
the module's estd serves only this module's requests, so the deltas are
exact. Weeks (Europe/Stockholm): 2024-W48 = 11-25..12-01, W49 = 12-02..12-08,
W50 = 12-09..12-15; 2023-W49 = 2023-12-04..12-10."""
import json
import threading
import uuid

import psycopg
import pytest

from conftest import Estd, archive, pg_url, register_source
from sit_events import HULTA, NORRBY, area_ids, ev, insert
from test_intake_kafka import create_topic, kafka_env, produce_all, uniq, wait_for
from test_situation import cache_counts

CE = "application/cloudevents+json"


@pytest.fixture(scope="module")
def data(estd):
    insert(estd.db, [
        ev("incident", "polisen-boras", "2024-11-27 21:00", HULTA, "klotter"),       # Hulta W48
        ev("incident", "polisen-boras", "2024-12-03 21:00", NORRBY, "klotter"),      # Norrby W49
        ev("incident", "polisen-boras", "2023-12-05 21:00", NORRBY, "skadegorelse"),  # Norrby 2023-W49
    ])
    return {"area": area_ids(estd)}


def get(server, **params):
    """(document, served from the cache?)"""
    before = cache_counts(server)
    r = server.get("/v1/situation", params=params)
    assert r.status_code == 200, r.text
    after = cache_counts(server)
    hit = after["hit"] - before["hit"]
    miss = after["miss"] - before["miss"]
    assert hit + miss == 1, (before, after)
    return r.json(), hit == 1


def total(doc, period="count"):
    return doc["incidents"]["total"][period]


def warm(server, *queries):
    """Computes each picture, then checks that it is now served from the cache."""
    docs = []
    for q in queries:
        get(server, **q)
        doc, hit = get(server, **q)
        assert hit, "not cached: %s" % q
        docs.append(doc)
    return docs


def ce(source, eid, lonlat, local_iso, kind="incident"):
    data = {"occurred_at": local_iso, "location": {"lat": lonlat[1], "lon": lonlat[0]}}
    if kind == "incident":
        data["category"] = "klotter"
    else:
        data["duration_s"] = 600
    return {"specversion": "1.0", "id": eid, "source": source, "type": "se.est.%s.v1" % kind,
            "party": "polisen-boras", "datacontenttype": "application/json", "data": data}


def test_http_event_invalidates_only_its_buckets(estd, data):
    a = data["area"]
    hulta_w48 = {"week": "2024-W48", "area_id": a["hulta"]}
    hulta_w49 = {"week": "2024-W49", "area_id": a["hulta"]}
    norrby_w49 = {"week": "2024-W49", "area_id": a["norrby"]}
    norrby_w50 = {"week": "2024-W50", "area_id": a["norrby"]}  # W49 is its previous week
    norrby_2023 = {"week": "2023-W49", "area_id": a["norrby"]}
    all_w49 = {"week": "2024-W49"}
    all_w48 = {"week": "2024-W48"}
    h48, h49, n49, n50, n23, aw49, aw48 = warm(estd, hulta_w48, hulta_w49, norrby_w49, norrby_w50, norrby_2023,
                                                all_w49, all_w48)
    assert (total(h48), total(n49), total(n49, "year_ago"), total(n23)) == (1, 1, 1, 1)

    source = register_source(estd.db, "urn:buckets-test:" + uuid.uuid4().hex[:8])
    r = estd.post("/v1/events", data=json.dumps(ce(source, "n49-1", NORRBY, "2024-12-04T21:00:00+01:00")).encode(),
                  headers={"Content-Type": CE})
    assert r.status_code in (200, 201), r.text

    # Not read by these pictures: still served from the cache, unchanged, except
    # "freshness" (newest event anywhere), which is read at request time.
    for q, before in ((hulta_w48, h48), (hulta_w49, h49), (norrby_2023, n23), (all_w48, aw48)):
        doc, hit = get(estd, **q)
        assert hit, "invalidated by an event outside its buckets: %s" % q
        fresh = doc.pop("freshness")
        before = dict(before)
        assert before.pop("freshness")["newest_occurred_at"] == "2024-12-03T20:00:00+00:00"
        assert doc == before
        assert fresh["newest_occurred_at"] == "2024-12-04T20:00:00+00:00"
    # Read by these: recomputed right after the write committed, with the new event.
    doc, hit = get(estd, **norrby_w49)
    assert not hit and total(doc) == total(n49) + 1
    doc, hit = get(estd, **norrby_w50)
    assert not hit and total(doc, "previous") == total(n50, "previous") + 1
    doc, hit = get(estd, **all_w49)
    assert not hit and total(doc) == total(aw49) + 1
    # A duplicate (same source and id) stores nothing and invalidates nothing.
    r = estd.post("/v1/events", data=json.dumps(ce(source, "n49-1", NORRBY, "2024-12-04T21:00:00+01:00")).encode(),
                  headers={"Content-Type": CE})
    assert r.status_code in (200, 201), r.text
    assert get(estd, **norrby_w49)[1]

    # A patrol in Norrby W49: Hulta's W49 reads patrols anywhere (presence around its
    # hot spots), its W48 does not.
    warm(estd, hulta_w49)
    r = estd.post("/v1/events",
                  data=json.dumps(ce(source, "n49-p", NORRBY, "2024-12-05T20:00:00+01:00", "patrol")).encode(),
                  headers={"Content-Type": CE})
    assert r.status_code in (200, 201), r.text
    assert get(estd, **hulta_w48)[1]
    assert not get(estd, **hulta_w49)[1]


def test_kafka_event_invalidates_only_its_buckets(estd, data):
    a = data["area"]
    hulta_w48 = {"week": "2024-W48", "area_id": a["hulta"]}
    norrby_w49 = {"week": "2024-W49", "area_id": a["norrby"]}
    norrby_2023 = {"week": "2023-W49", "area_id": a["norrby"]}
    _, n49, _ = warm(estd, hulta_w48, norrby_w49, norrby_2023)
    topic = uniq("t.buckets")
    create_topic(topic, 1)
    source = register_source(estd.db, "urn:buckets-kafka:" + uuid.uuid4().hex[:8])
    intake = Estd(estd.db, env=kafka_env([topic], uniq("g"))).start()
    try:
        before = estd.sql("SELECT count(*) FROM events")[0][0]
        produce_all(topic, [(b"k1", json.dumps(ce(source, "kafka-n49", NORRBY, "2024-12-06T22:00:00+01:00")).encode(),
                             [("content-type", b"application/cloudevents+json")])])
        wait_for(lambda: estd.sql("SELECT count(*) FROM events")[0][0] == before + 1, 60, "the Kafka event stored")
        # The module's estd (another instance than the one that ingested) sees it at once.
        doc, hit = get(estd, **norrby_w49)
        assert not hit and total(doc) == total(n49) + 1
        assert get(estd, **hulta_w48)[1]
        assert get(estd, **norrby_2023)[1]
    finally:
        assert intake.stop() == 0, intake.read_log()[-3000:]


def test_area_changes_invalidate(estd, data):
    a = data["area"]
    hulta_w48 = {"week": "2024-W48", "area_id": a["hulta"]}
    norrby_w49 = {"week": "2024-W49", "area_id": a["norrby"]}
    warm(estd, hulta_w48, norrby_w49)
    # Geometry change of Hulta (the same shape, moved by nothing: still a write).
    estd.sql("UPDATE areas SET geom = ST_Multi(ST_Translate(geom, 0, 0)), updated_at = now() WHERE id = %s",
             (a["hulta"],))
    assert not get(estd, **hulta_w48)[1]
    assert not get(estd, **norrby_w49)[1]  # areas are one version for every picture
    # Archive (DELETE) and restore over HTTP.
    warm(estd, hulta_w48)
    r = archive(estd, "/v1/areas/%d" % a["hulta"])
    assert r.status_code in (200, 204), r.text
    assert not get(estd, **hulta_w48)[1]
    version = estd.sql("SELECT version FROM areas WHERE id = %s", (a["hulta"],))[0][0]
    r = estd.post("/v1/areas/%d/restore" % a["hulta"], headers={"If-Match": '"%d"' % version})
    assert r.status_code in (200, 204), r.text
    # A focus inserted for the area: the picture lists focuses, so it is recomputed.
    warm(estd, hulta_w48)
    estd.sql("UPDATE area_focuses SET reason = reason WHERE id = (SELECT min(id) FROM area_focuses)")
    assert not get(estd, **hulta_w48)[1]


def test_retention_strip_invalidates(estd, data):
    """An UPDATE of events (retention strips positions) bumps the events' buckets too."""
    a = data["area"]
    norrby_2023 = {"week": "2023-W49", "area_id": a["norrby"]}
    hulta_w48 = {"week": "2024-W48", "area_id": a["hulta"]}
    warm(estd, norrby_2023, hulta_w48)
    estd.sql("UPDATE events SET description = NULL WHERE occurred_at < '2024-01-01' AND %s = ANY(area_ids)",
             (a["norrby"],))
    assert not get(estd, **norrby_2023)[1]
    assert get(estd, **hulta_w48)[1]


def test_overlapping_writers_lock_buckets_in_order(estd, data):
    """Two writers whose batches cover overlapping buckets: each statement locks the
    counter rows in (area, day) order, so the second one waits for the first at the
    first shared bucket without having locked a later one (no deadlock)."""
    url = pg_url(estd.db)
    norrby = data["area"]["norrby"]
    ins = ("INSERT INTO events (source, source_event_id, party_id, kind, category, occurred_at, channel, area_ids)"
           " SELECT 'lock-test', x.sid, (SELECT id FROM parties WHERE code = 'polisen-boras'), 'incident', 'klotter',"
           " x.t::timestamp AT TIME ZONE 'Europe/Stockholm', 'http', ARRAY[%s]::bigint[]"
           " FROM unnest(%s::text[], %s::text[]) AS x(sid, t)")
    d1, d2, d3 = "2024-10-01 12:00", "2024-10-02 12:00", "2024-10-03 12:00"
    tag = uuid.uuid4().hex[:6]
    with psycopg.connect(url, autocommit=True) as c:  # the counter rows exist
        c.execute(ins, (norrby, ["pre1" + tag, "pre2" + tag, "pre3" + tag], [d1, d2, d3]))
    a = psycopg.connect(url)
    b = psycopg.connect(url)
    try:
        a.execute(ins, (norrby, ["a1" + tag, "a2" + tag], [d1, d2]))  # holds (.., 10-01), (.., 10-02)
        b_pid = b.info.backend_pid
        errors = []

        def writer_b():
            try:  # the input order is the reverse of the lock order
                b.execute(ins, (norrby, ["b3" + tag, "b2" + tag], [d3, d2]))
                b.commit()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        t = threading.Thread(target=writer_b)
        t.start()
        with psycopg.connect(url, autocommit=True) as c:
            wait_for(lambda: c.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                                       (b_pid,)).fetchone()[0] == "Lock", 30, "writer B waiting for A")
            # B waits at 10-02 and has not locked 10-03 (which sorts after it).
            with c.transaction():
                got = c.execute("SELECT count(*) FROM (SELECT 1 FROM situation_versions WHERE day = '2024-10-03'"
                                " FOR UPDATE NOWAIT) s").fetchone()[0]
            assert got >= 2  # (norrby, 10-03) and (all areas, 10-03)
        a.commit()
        t.join(60)
        assert not t.is_alive() and not errors, errors
    finally:
        a.close()
        b.close()
    n = estd.sql("SELECT count(*) FROM events WHERE source = 'lock-test' AND source_event_id LIKE %s", ("%" + tag,))
    assert n[0][0] == 7


def test_concurrent_http_batches_do_not_deadlock(estd, data):
    """Many concurrent batches over overlapping days in different orders: every one is stored."""
    source = register_source(estd.db, "urn:buckets-conc:" + uuid.uuid4().hex[:8])
    days = ["2024-09-%02dT12:00:00+02:00" % d for d in range(1, 9)]
    results = []

    def post_batch(k):
        order = days[k % len(days):] + days[:k % len(days)]
        if k % 2:
            order.reverse()
        batch = [ce(source, "c%d-%d" % (k, i), NORRBY if i % 2 else HULTA, t) for i, t in enumerate(order)]
        r = estd.post("/v1/events", data=json.dumps(batch).encode(),
                      headers={"Content-Type": "application/cloudevents-batch+json"})
        results.append((r.status_code, r.text[:300]))

    threads = [threading.Thread(target=post_batch, args=(k,)) for k in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 12 and all(s in (200, 201, 207) for s, _ in results), results
    n = estd.sql("SELECT count(*) FROM events WHERE source = %s", (source,))[0][0]
    assert n == 12 * len(days)
