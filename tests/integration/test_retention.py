"""Retention (gallring): events older than ESTD_EVENT_RETENTION_DAYS lose
their detail (strip) or are deleted; dead letters older than
ESTD_DEAD_LETTER_RETENTION_DAYS are deleted; estd does it on a schedule,
with an audit row and metrics per run. Tested by dating rows in the past,
not by waiting."""
import json
import os
import subprocess
import uuid

from conftest import ESTD_BIN, SQL_DIR, Estd, pg_url, register_source
from test_intake_kafka import wait_for

CE = "application/cloudevents+json"


def iso_days_ago(estd, days):
    return estd.sql("SELECT to_char((now() - make_interval(days => %s)) AT TIME ZONE 'UTC', "
                    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", (days,))[0][0]


def seed_rows(estd, tag):
    """Events 400 and 10 days old (with position, description, attributes)
    and dead letters 40 and 5 days old. Returns the event ids by age."""
    s = register_source(estd.db, f"urn:retention:{tag}")
    ids = {}
    for age in (400, 10):
        body = {"specversion": "1.0", "id": f"{tag}-{age}", "source": s, "type": "se.est.incident.v1",
                "party": "boras-stad",
                "data": {"category": "klotter", "occurred_at": iso_days_ago(estd, age),
                         "location": {"lat": 57.7210, "lon": 12.9401, "name": "Stora torget"},
                         "description": "Klotter på fasaden", "attributes": {"tips": "kamera"}}}
        r = estd.post("/v1/events", data=json.dumps(body).encode(), headers={"Content-Type": CE})
        assert r.status_code == 200 and r.json()["stored"] == 1, r.text
        ids[age] = r.json()["results"][0]["event_id"]
    for age in (40, 5):
        estd.sql("INSERT INTO dead_letters (channel, topic, kafka_partition, kafka_offset, payload, reason, received_at) "
                 "VALUES ('kafka', %s, 0, %s, 'x', 'not_json', now() - make_interval(days => %s))",
                 (f"t.ret.{tag}", age, age))
    return s, ids


def cli_run(db, **env):
    e = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR, ESTD_LOG_LEVEL="warn", **env)
    out = subprocess.run([ESTD_BIN, "retention", "run"], env=e, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def detail(estd, eid):
    return estd.sql("SELECT geom IS NOT NULL, place_name, description, attributes, flags, area_ids, "
                    "(SELECT count(*) FROM event_areas WHERE event_id = e.id) FROM events e WHERE id = %s", (eid,))


def test_strip_removes_detail_of_old_events_only(estd):
    tag = uuid.uuid4().hex[:6]
    _s, ids = seed_rows(estd, tag)
    old_before, recent_before = detail(estd, ids[400])[0], detail(estd, ids[10])[0]
    assert old_before[0] and old_before[2] and old_before[5], "the old event has detail and areas"
    got = cli_run(estd.db, ESTD_EVENT_RETENTION_DAYS="365", ESTD_DEAD_LETTER_RETENTION_DAYS="30")
    assert got["events_stripped"] >= 1 and got["events_deleted"] == 0 and got["dead_letters_deleted"] >= 1
    has_geom, place, desc, attrs, flags, areas, n_ea = detail(estd, ids[400])[0]
    assert (has_geom, place, desc, attrs) == (False, None, None, {}) and "detail_removed" in flags
    assert areas == old_before[5] and n_ea == old_before[6], "the area assignment (aggregates) stays"
    assert detail(estd, ids[10])[0] == recent_before and recent_before[2] == "Klotter på fasaden"
    assert estd.get(f"/v1/events/{ids[400]}").json()["location"] is None
    left = {a for (a,) in estd.sql("SELECT kafka_offset FROM dead_letters WHERE topic = %s", (f"t.ret.{tag}",))}
    assert left == {5}
    audit = estd.sql("SELECT after FROM audit_log WHERE action = 'retention' ORDER BY id DESC LIMIT 1")[0][0]
    assert audit["events_stripped"] == got["events_stripped"] and audit["event_mode"] == "strip"
    assert audit["event_retention_days"] == 365 and audit["dead_letter_retention_days"] == 30
    # idempotent: a second run finds nothing more to strip
    again = cli_run(estd.db, ESTD_EVENT_RETENTION_DAYS="365", ESTD_DEAD_LETTER_RETENTION_DAYS="30")
    assert again == {"events_stripped": 0, "events_deleted": 0, "dead_letters_deleted": 0}


def test_delete_mode_removes_old_events(estd):
    tag = uuid.uuid4().hex[:6]
    s, ids = seed_rows(estd, tag)
    got = cli_run(estd.db, ESTD_EVENT_RETENTION_DAYS="365", ESTD_EVENT_RETENTION_MODE="delete",
                  ESTD_DEAD_LETTER_RETENTION_DAYS="0")
    assert got["events_deleted"] >= 1 and got["events_stripped"] == 0 and got["dead_letters_deleted"] == 0
    assert estd.sql("SELECT count(*) FROM events WHERE id = %s", (ids[400],)) == [(0,)]
    assert estd.sql("SELECT count(*) FROM event_areas WHERE event_id = %s", (ids[400],)) == [(0,)]
    assert [x for (x,) in estd.sql("SELECT source_event_id FROM events WHERE source = %s", (s,))] == [f"{tag}-10"]
    assert estd.sql("SELECT count(*) FROM dead_letters WHERE topic = %s", (f"t.ret.{tag}",)) == [(2,)]
    out = subprocess.run([ESTD_BIN, "retention", "run"], capture_output=True, text=True,
                         env=dict(os.environ, ESTD_DATABASE_URL=pg_url(estd.db), ESTD_EVENT_RETENTION_MODE="burn"))
    assert out.returncode == 2 and "ESTD_EVENT_RETENTION_MODE" in out.stderr


def test_estd_runs_retention_on_its_schedule(db, estd):
    tag = uuid.uuid4().hex[:6]
    _s, ids = seed_rows(estd, tag)
    runs_before = estd.sql("SELECT count(*) FROM audit_log WHERE action = 'retention'")[0][0]
    e = Estd(db, env={"ESTD_EVENT_RETENTION_DAYS": "365", "ESTD_DEAD_LETTER_RETENTION_DAYS": "30",
                      "ESTD_RETENTION_INTERVAL_S": "10"}).start()
    try:
        wait_for(lambda: e.sql("SELECT count(*) FROM audit_log WHERE action = 'retention'")[0][0] > runs_before, 30,
                 "a scheduled retention run")
        assert detail(e, ids[400])[0][2] is None and "detail_removed" in detail(e, ids[400])[0][4]
        assert e.sql("SELECT count(*) FROM dead_letters WHERE topic = %s", (f"t.ret.{tag}",)) == [(1,)]
        m = e.get("/metrics").text
        assert 'estd_retention_runs_total{result="ok"}' in m
        rows = [l for l in m.splitlines() if l.startswith('estd_retention_rows_total{table="events",action="strip"}')]
        assert rows and float(rows[0].split()[-1]) >= 1, m
        assert "retention run" in e.read_log()
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]
