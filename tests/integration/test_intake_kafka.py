"""Kafka intake against the real broker and the real database: valid events
in structured and binary mode, duplicates, poison messages -> dead letters,
SIGKILL mid-stream, PostgreSQL stopped mid-stream, two instances sharing a
group, readiness independent of the broker (intake health reported apart)."""
import json
import os
import signal
import subprocess
import threading
import time
import uuid

import psycopg
import pytest
import requests
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import ESTD_BIN, KAFKA_BOOTSTRAP, SQL_DIR, Estd, free_port, pg_url, register_source

CATEGORIES = ["skadegorelse", "klotter", "brand", "nedskrapning", "ordningsstorning", "narkotika",
              "hot_och_vald", "inbrott_och_stold", "olovlig_korning", "otrygg_plats"]
PARTIES = ["polisen-boras", "boras-stad", "ab-bostader"]


def uniq(prefix):
    return f"{prefix}.{uuid.uuid4().hex[:10]}"


def create_topic(name, partitions):
    admin = AdminClient({"bootstrap.servers": KAFKA_BOOTSTRAP})
    fs = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    for f in fs.values():
        f.result(30)
    # metadata propagation
    deadline = time.time() + 20
    while time.time() < deadline:
        md = admin.list_topics(name, timeout=5)
        t = md.topics.get(name)
        if t and not t.error and len(t.partitions) == partitions:
            return
        time.sleep(0.2)
    raise AssertionError("topic not ready: " + name)


def producer():
    return Producer({"bootstrap.servers": KAFKA_BOOTSTRAP, "linger.ms": 5, "acks": "all",
                     "message.max.bytes": 2_000_000, "queue.buffering.max.messages": 200000})


def produce_all(topic, msgs, partition=None):
    """msgs: iterable of (key, value bytes, headers list). Waits for delivery."""
    p = producer()
    errors = []

    def cb(err, _msg):
        if err:
            errors.append(err)

    for key, value, headers in msgs:
        kw = {"key": key, "value": value, "headers": headers, "on_delivery": cb}
        if partition is not None:
            kw["partition"] = partition
        while True:
            try:
                p.produce(topic, **kw)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    assert p.flush(60) == 0
    assert not errors, errors


def area_points(server):
    """One point inside each seeded area (PostGIS point-on-surface)."""
    rows = server.sql("SELECT code, id, ST_Y(ST_PointOnSurface(geom)), ST_X(ST_PointOnSurface(geom)) FROM areas "
                      "WHERE kind = 'district' ORDER BY id")
    return [(code, aid, lat, lon) for code, aid, lat, lon in rows]


def event_data(i, kind, point):
    code, _aid, lat, lon = point
    # small deterministic jitter keeps the point inside the (approximate) polygon
    lat += ((i * 37) % 11 - 5) * 0.00002
    lon += ((i * 53) % 11 - 5) * 0.00002
    occurred = f"2024-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}T{i % 24:02d}:{i % 60:02d}:00+02:00"
    if kind == "incident":
        return {"category": CATEGORIES[i % len(CATEGORIES)], "occurred_at": occurred,
                "location": {"lat": lat, "lon": lon, "name": code}, "description": f"Händelse {i}"}
    if kind == "patrol":
        return {"occurred_at": occurred, "location": {"lat": lat, "lon": lon}, "duration_s": 1800}
    return {"activity_type": "trygghetsvandring", "occurred_at": occurred, "location": {"lat": lat, "lon": lon}}


def make_msg(i, source, points, binary, party=None, kind=None, key=None):
    """A valid CloudEvent as a Kafka message (structured or binary mode)."""
    party = party or PARTIES[i % 3]
    kind = kind or ("incident", "incident", "patrol", "activity")[i % 4]
    ce_type = f"se.est.{kind}.v1"
    data = event_data(i, kind, points[i % len(points)])
    eid = f"ev-{i}"
    key = key or eid.encode()
    if binary:
        headers = [("ce_specversion", b"1.0"), ("ce_id", eid.encode()), ("ce_source", source.encode()),
                   ("ce_type", ce_type.encode()), ("ce_party", party.encode()),
                   ("content-type", b"application/json")]
        return key, json.dumps(data).encode(), headers
    ce = {"specversion": "1.0", "id": eid, "source": source, "type": ce_type, "party": party,
          "time": "2024-06-01T12:00:00Z", "datacontenttype": "application/json", "data": data}
    return key, json.dumps(ce).encode(), [("content-type", b"application/cloudevents+json")]


def kafka_env(topics, group, extra=None):
    env = {"ESTD_KAFKA_BROKERS": KAFKA_BOOTSTRAP, "ESTD_KAFKA_TOPICS": ",".join(topics),
           "ESTD_KAFKA_GROUP_ID": group, "ESTD_KAFKA_BATCH_WAIT_MS": "50",
           "ESTD_KAFKA_PROP_SESSION_TIMEOUT_MS": "6000", "ESTD_KAFKA_PROP_HEARTBEAT_INTERVAL_MS": "1000",
           "ESTD_SHUTDOWN_GRACE_S": "20"}
    env.update(extra or {})
    return env


def wait_for(fn, timeout, what, interval=0.2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last})")


def count(server, sql, params=None):
    return server.sql(sql, params)[0][0]


@pytest.fixture(scope="module")
def reader(estd):
    """The module's plain estd (no Kafka), used for SQL and area lookups."""
    return estd


# ---------------------------------------------------------------------------


def test_valid_duplicates_and_poison_messages(db, reader):
    points = area_points(reader)
    topic, bound = uniq("t.events"), uniq("t.bostader")
    create_topic(topic, 2)
    create_topic(bound, 1)
    source = register_source(db, "urn:test:" + uuid.uuid4().hex[:8])
    n = 120
    msgs = [make_msg(i, source, points, binary=(i % 2 == 1)) for i in range(n)]
    # duplicates within the stream (identical re-sends, both modes)
    msgs += [make_msg(i, source, points, binary=(i % 2 == 0)) for i in range(0, 20)]
    produce_all(topic, msgs)

    poison = {}  # key -> expected reason

    def bad(key, reason, value, headers=None, to=topic):
        poison[key] = reason
        produce_all(to, [(key.encode(), value, headers or [])])

    good = json.loads(make_msg(900, source, points, binary=False)[1])
    bad("p-notjson", "not_json", b"\xff\xfe definitely { not json")
    bad("p-notce", "not_cloudevent", json.dumps({"hello": "world"}).encode())
    bad("p-schema", "schema", json.dumps({**good, "id": "p-schema", "data": {"category": "brand", "occurred_at": "yesterday"}}).encode(),
        [("content-type", b"application/cloudevents+json")])
    bad("p-category", "unknown_category",
        json.dumps({**good, "id": "p-cat", "data": {**good["data"], "category": "spoken"}}).encode())
    bad("p-coords", "bad_coordinates",
        json.dumps({**good, "id": "p-coords", "data": {**good["data"], "location": {"lat": 123.0, "lon": 12.9}}}).encode())
    bad("p-sweref", "bad_coordinates",
        json.dumps({**good, "id": "p-sweref", "data": {**good["data"], "location": {
            "crs": "EPSG:3006", "easting": 12.9, "northing": 57.7}}}).encode())
    big = {**good, "id": "p-big", "data": {**good["data"], "attributes": {"blob": "x" * (300 * 1024)}}}
    bad("p-oversized", "oversized", json.dumps(big).encode())
    bad("p-type", "unsupported_type", json.dumps({**good, "id": "p-type", "type": "se.est.unknown.v1"}).encode())
    bad("p-future", "implausible_time",
        json.dumps({**good, "id": "p-future", "data": {**good["data"], "occurred_at": "2999-01-01T00:00:00Z"}}).encode())
    bad("p-past", "implausible_time",
        json.dumps({**good, "id": "p-past", "data": {**good["data"], "occurred_at": "1999-12-31T23:59:59+00:00"}}).encode())
    bad("p-party", "unknown_party", json.dumps({**good, "id": "p-party", "party": "hemvarnet"}).encode())
    bad("p-binary-nojson", "not_json", b"<xml/>",
        [("ce_specversion", b"1.0"), ("ce_id", b"p-bin"), ("ce_source", source.encode()),
         ("ce_type", b"se.est.incident.v1"), ("ce_party", b"boras-stad")])
    bad("p-mismatch", "party_mismatch",
        json.dumps({**good, "id": "p-mismatch", "party": "polisen-boras"}).encode(), to=bound)
    # valid on the bound topic: claims the bound party, or no party at all
    ok_bound = [make_msg(1000, source, points, binary=False, party="ab-bostader"),
                make_msg(1001, source, points, binary=True, party="ab-bostader")]
    nop = json.loads(make_msg(1002, source, points, binary=False)[1])
    del nop["party"]
    ok_bound.append((b"ev-1002", json.dumps(nop).encode(), [("content-type", b"application/cloudevents+json")]))
    produce_all(bound, ok_bound)
    # personnummer on Kafka: redacted, flagged, stored
    pnr = json.loads(make_msg(1003, source, points, binary=False, kind="incident")[1])
    pnr["data"]["description"] = "Anmälare 19811218-9876 såg bråk vid entrén"
    produce_all(topic, [(b"ev-1003", json.dumps(pnr).encode(), [])])
    # police feed record (mapped) and a summary record (skipped, not dead-lettered)
    police = {"specversion": "1.0", "id": "polisen-476521", "source": "https://polisen.se/api/events",
              "type": "se.polisen.event.v1", "party": "polisen-boras",
              "data": {"id": 476521, "datetime": "2024-03-02 22:15:03 +01:00", "name": "02 mars 22.15, Skadegörelse, Borås",
                       "summary": "Fönster krossat.", "url": "/aktuellt/handelser/2024/mars/2/", "type": "Skadegörelse",
                       "location": {"name": "Borås", "gps": "57.72102,12.939819"}}}
    summary = {**police, "id": "polisen-476522",
               "data": {**police["data"], "id": 476522, "type": "Sammanfattning natt", "name": "Sammanfattning natt"}}
    produce_all(topic, [(b"police", json.dumps(police).encode(), []), (b"summary", json.dumps(summary).encode(), [])])
    expected_events = n + 3 + 1 + 1

    e = Estd(db, env=kafka_env([topic, bound], uniq("g"), {"ESTD_KAFKA_TOPIC_PARTIES": f"{bound}=ab-bostader"}))
    e.start()
    try:
        wait_for(lambda: count(e, "SELECT count(*) FROM events WHERE source IN (%s, %s)",
                               (source, "https://polisen.se/api/events")) >= expected_events
                 and count(e, "SELECT count(*) FROM dead_letters WHERE topic IN (%s, %s)", (topic, bound)) >= len(poison),
                 60, "events and dead letters")
        time.sleep(1.0)  # anything extra would show up now
        ids = {r[0] for r in e.sql("SELECT source_event_id FROM events WHERE source = %s", (source,))}
        assert ids == {f"ev-{i}" for i in range(n)} | {"ev-1000", "ev-1001", "ev-1002", "ev-1003"}
        assert count(e, "SELECT count(*) FROM events WHERE source = %s", (source,)) == n + 4
        rows = e.sql("SELECT convert_from(msg_key, 'UTF8'), reason, detail, payload, headers FROM dead_letters "
                     "WHERE topic IN (%s, %s)", (topic, bound))
        got = {k: r for k, r, _d, _p, _h in rows}
        assert got == poison
        for k, _r, detail, payload, headers in rows:
            assert detail, k
            if k == "p-notjson":
                assert bytes(payload) == b"\xff\xfe definitely { not json"
            if k == "p-binary-nojson":
                assert {"name": "ce_id", "value": "p-bin"} in headers
            if k == "p-future":
                assert "/data/occurred_at" in detail and "ESTD_EVENT_MAX_FUTURE_S" in detail, detail
            if k == "p-past":
                assert "/data/occurred_at" in detail and "2000-01-01T00:00:00Z" in detail, detail
        over = e.sql("SELECT length(payload) FROM dead_letters WHERE convert_from(msg_key, 'UTF8') = 'p-oversized'")
        assert over[0][0] > 300 * 1024
        # the bound topic's events belong to its party
        party = dict(e.sql("SELECT code, id FROM parties"))
        for sid in ("ev-1000", "ev-1001", "ev-1002"):
            assert e.sql("SELECT party_id FROM events WHERE source = %s AND source_event_id = %s",
                         (source, sid))[0][0] == party["ab-bostader"]
        desc, flags = e.sql("SELECT description, flags FROM events WHERE source = %s AND source_event_id = 'ev-1003'",
                            (source,))[0]
        assert "19811218-9876" not in desc and "XXXXXXXX-XXXX" in desc and "pnr_redacted" in flags
        # police record mapped, summary skipped (neither stored nor dead-lettered)
        cat, attrs, pflags = e.sql("SELECT category, attributes, flags FROM events WHERE source_event_id = 'polisen-476521'")[0]
        assert cat == "skadegorelse" and attrs["police_type"] == "Skadegörelse" and "police_feed" in pflags
        assert count(e, "SELECT count(*) FROM events WHERE source_event_id = 'polisen-476522'") == 0
        # area assignment happened at intake: each event is in its district
        wrong = e.sql("SELECT e.source_event_id, e.area_ids, e.place_name FROM events e WHERE e.source = %s AND "
                      "e.kind = 'incident' AND e.place_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM areas a "
                      "WHERE a.code = e.place_name AND a.id = ANY (e.area_ids))", (source,))
        assert wrong == []
        assert count(e, "SELECT count(*) FROM event_areas ea JOIN events ev ON ev.id = ea.event_id WHERE ev.source = %s",
                     (source,)) == count(e, "SELECT sum(cardinality(area_ids)) FROM events WHERE source = %s", (source,))
        # every event got its own random record key (disclosure control), repeated in event_areas
        keys = [k for (k,) in e.sql("SELECT record_key FROM events WHERE source = %s", (source,))]
        assert all(0 <= k < 2 ** 31 for k in keys) and len(set(keys)) > len(keys) * 0.9
        assert count(e, "SELECT count(*) FROM event_areas ea JOIN events ev ON ev.id = ea.event_id WHERE ev.source = %s"
                     " AND ea.record_key <> ev.record_key", (source,)) == 0

        # re-sent later (after their batch committed): still stored once
        produce_all(topic, [make_msg(i, source, points, binary=False) for i in range(50, 60)]
                    + [make_msg(2000, source, points, binary=True)])
        wait_for(lambda: count(e, "SELECT count(*) FROM events WHERE source = %s", (source,)) == n + 5, 30, "re-sent")
        time.sleep(1.0)
        assert count(e, "SELECT count(*) FROM events WHERE source = %s", (source,)) == n + 5

        m = e.get("/metrics").text
        assert 'estd_events_rejected_total{reason="skipped_summary"}' in m
        assert 'estd_events_rejected_total{reason="party_mismatch"} 1' in m
        assert "estd_events_deadlettered_total %d" % len(poison) in m
        assert 'estd_events_ingested_total{source="kafka",kind="incident"}' in m
        assert "category=" not in m  # no per-category counts past the disclosure control
        assert 'estd_consumer_lag_messages{topic="%s"' % topic in m
        dl = e.get("/v1/dead-letters", params={"topic": bound}).json()["items"]
        assert [d["reason"] for d in dl] == ["party_mismatch"] and dl[0]["partition"] == 0
    finally:
        code = e.stop()
    assert code == 0, e.read_log()[-3000:]


def test_broker_away_keeps_readiness_and_reports_the_intake(db):
    # A broker address where nothing listens: the consumer never gets an assignment.
    # Readiness means "send me HTTP traffic": the REST API serves, so /readyz stays 200
    # (a broker outage must not take every instance out of the load balancer); the
    # intake's health says what is wrong, in /readyz's body, /healthz/intake and metrics.
    dead = f"127.0.0.1:{free_port()}"
    e = Estd(db, env={**kafka_env([uniq("t.none")], uniq("g")), "ESTD_KAFKA_BROKERS": dead})
    e.start(wait_ready=False)
    try:
        e.wait_ready(20)
        wait_for(lambda: _get_json(e, "/healthz/intake")[1].get("state") == "broker_unreachable", 20, "outage seen")
        for _ in range(5):
            r = requests.get(e.url("/readyz"), timeout=2)
            assert r.status_code == 200, r.text
            assert r.json()["intake"]["state"] == "broker_unreachable", r.text
            assert r.json()["intake"]["assigned"] is False
            code, doc = _get_json(e, "/healthz/intake")
            assert code == 503 and doc["state"] == "broker_unreachable" and doc["brokers_up"] == 0, doc
            assert doc["seconds_since_last_batch"] is None
            assert requests.get(e.url("/v1/parties"), timeout=2).status_code == 200  # the API serves
            time.sleep(0.2)
        m = requests.get(e.url("/metrics"), timeout=2).text
        assert "\nestd_intake_up 0\n" in m and "\nestd_intake_brokers_up 0\n" in m, m[-2000:]
    finally:
        code = e.stop()
    assert code == 0, e.read_log()[-3000:]
    # With the real broker the intake reports ok once it has its assignment.
    topic = uniq("t.ready")
    create_topic(topic, 1)
    e = Estd(db, env=kafka_env([topic], uniq("g"), {"ESTD_LOG_LEVEL": "info"}))
    e.start(wait_ready=False)
    try:
        e.wait_ready(30)
        wait_for(lambda: _get_json(e, "/healthz/intake")[0] == 200 and
                 (_get_json(e, "/healthz/intake")[1].get("brokers_up") or 0) >= 1, 30, "intake ok")
        doc = _get_json(e, "/healthz/intake")[1]
        assert doc["state"] == "ok" and doc["assigned"] is True and doc["brokers_up"] >= 1, doc
        assert "partitions assigned" in e.read_log()
        assert "\nestd_intake_up 1\n" in requests.get(e.url("/metrics"), timeout=2).text
    finally:
        code = e.stop()
    assert code == 0, e.read_log()[-3000:]


def _get_json(e, path):
    try:
        r = requests.get(e.url(path), timeout=2)
        return r.status_code, r.json()
    except requests.RequestException:
        return None, {}


def _get(e, path):
    try:
        return requests.get(e.url(path), timeout=2).status_code
    except requests.RequestException:
        return None


def big_stream(source, points, n, start=0):
    for i in range(start, start + n):
        yield make_msg(i, source, points, binary=(i % 3 == 0))


def test_sigkill_mid_stream_then_restart_stores_each_event_once(db, reader):
    points = area_points(reader)
    topic, group = uniq("t.kill"), uniq("g")
    create_topic(topic, 4)
    source = register_source(db, "urn:kill:" + uuid.uuid4().hex[:8])
    total = 20000
    produce_all(topic, big_stream(source, points, total))
    env = kafka_env([topic], group, {"ESTD_KAFKA_BATCH_MAX": "500"})
    e = Estd(db, env=env).start()
    wait_for(lambda: count(e, "SELECT count(*) FROM events WHERE source = %s", (source,)) > 3000, 60, "progress")
    e.proc.send_signal(signal.SIGKILL)
    e.proc.wait(10)
    e.log.close()
    at_kill = count(e, "SELECT count(*) FROM events WHERE source = %s", (source,))
    assert at_kill < total, "the stream should still be running when killed"
    e2 = Estd(db, env=env).start()
    try:
        wait_for(lambda: count(e2, "SELECT count(*) FROM events WHERE source = %s", (source,)) >= total, 120, "all events")
        time.sleep(1.5)
        assert count(e2, "SELECT count(*) FROM events WHERE source = %s", (source,)) == total
        assert count(e2, "SELECT count(DISTINCT source_event_id) FROM events WHERE source = %s", (source,)) == total
        assert count(e2, "SELECT count(*) FROM event_areas ea JOIN events ev ON ev.id = ea.event_id "
                         "WHERE ev.source = %s", (source,)) == \
            count(e2, "SELECT sum(cardinality(area_ids)) FROM events WHERE source = %s", (source,))
        assert count(e2, "SELECT count(*) FROM dead_letters WHERE topic = %s", (topic,)) == 0
    finally:
        code = e2.stop()
    assert code == 0, e2.read_log()[-3000:]


class Stream(threading.Thread):
    """Produces n events at roughly rate/s in the background."""

    def __init__(self, topic, source, points, n, rate, start=0):
        super().__init__(daemon=True)
        self.topic, self.source, self.points, self.n, self.rate, self.start_i = topic, source, points, n, rate, start
        self.error = None

    def run(self):
        try:
            p = producer()
            t0 = time.time()
            for k, i in enumerate(range(self.start_i, self.start_i + self.n)):
                key, value, headers = make_msg(i, self.source, self.points, binary=(i % 2 == 0))
                p.produce(self.topic, key=key, value=value, headers=headers)
                p.poll(0)
                ahead = k / self.rate - (time.time() - t0)
                if ahead > 0:
                    time.sleep(ahead)
            assert p.flush(60) == 0
        except Exception as ex:  # noqa: BLE001 - reported by the test
            self.error = ex


def test_postgres_stopped_and_started_mid_stream_loses_nothing(private_pg, reader):
    points = area_points(reader)
    subprocess.run([ESTD_BIN, "seed"], check=True, capture_output=True,
                   env=dict(os.environ, ESTD_DATABASE_URL=private_pg.url(), ESTD_SQL_DIR=SQL_DIR, ESTD_LOG_LEVEL="warn"))
    topic = uniq("t.pgdown")
    create_topic(topic, 2)
    source = register_source(private_pg.url(), "urn:pgdown:" + uuid.uuid4().hex[:8])
    e = Estd("estd", env=kafka_env([topic], uniq("g"), {"ESTD_DATABASE_URL": private_pg.url(),
                                                        "ESTD_KAFKA_BATCH_MAX": "200"}))
    e.start()
    total = 6000

    def stored():
        try:
            with psycopg.connect(private_pg.url(), connect_timeout=2) as c:
                return c.execute("SELECT count(*) FROM events WHERE source = %s", (source,)).fetchone()[0]
        except psycopg.OperationalError:
            return -1

    try:
        s = Stream(topic, source, points, total, rate=1500)
        s.start()
        wait_for(lambda: stored() > 800, 60, "progress before the stop")
        private_pg.stop()
        time.sleep(4)  # the stream goes on; estd retries with backoff
        private_pg.start()
        s.join(120)
        assert s.error is None, s.error
        wait_for(lambda: stored() >= total, 120, "all events after the restart")
        time.sleep(1.5)
        assert stored() == total
        log = e.read_log()
        assert "intake batch not committed, retrying" in log and "intake resumed" in log
    finally:
        code = e.stop()
    assert code == 0, e.read_log()[-3000:]


def test_two_instances_share_partitions_and_one_stops_cleanly(db, reader):
    points = area_points(reader)
    topic, group = uniq("t.pair"), uniq("g")
    create_topic(topic, 4)
    source = register_source(db, "urn:pair:" + uuid.uuid4().hex[:8])
    env = kafka_env([topic], group, {"ESTD_KAFKA_BATCH_MAX": "200"})
    a = Estd(db, env=env).start()
    b = Estd(db, env=env).start()
    total = 16000
    try:
        # both members hold partitions
        wait_for(lambda: "partitions assigned" in a.read_log() and "partitions assigned" in b.read_log(), 30,
                 "both assigned")
        s = Stream(topic, source, points, total, rate=2500)
        s.start()
        wait_for(lambda: count(a, "SELECT count(*) FROM events WHERE source = %s", (source,)) > 3000, 60, "progress")
        code_a = a.stop(signal.SIGTERM)
        assert code_a == 0, a.read_log()[-3000:]
        assert "Kafka intake stopped" in a.read_log()
        s.join(120)
        assert s.error is None, s.error
        wait_for(lambda: count(b, "SELECT count(*) FROM events WHERE source = %s", (source,)) >= total, 120, "all")
        time.sleep(1.5)
        assert count(b, "SELECT count(*) FROM events WHERE source = %s", (source,)) == total
        assert b.get("/readyz").status_code == 200
    finally:
        a.stop()
        code_b = b.stop()
    assert code_b == 0, b.read_log()[-3000:]
