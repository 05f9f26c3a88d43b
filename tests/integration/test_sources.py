"""Sources belong to parties: the registry (/v1/sources, `estd sources`)
and the admission rule that refuses an event whose (party, source) is not
registered, on both intake paths (unknown_source)."""
import json
import os
import subprocess
import uuid

from conftest import ESTD_BIN, SQL_DIR, Estd, assert_problem, page_all, pg_url
from test_intake_kafka import create_topic, kafka_env, produce_all, uniq, wait_for

CE = "application/cloudevents+json"


def ce(eid, source, party="boras-stad"):
    return {"specversion": "1.0", "id": eid, "source": source, "type": "se.est.incident.v1", "party": party,
            "data": {"category": "klotter", "occurred_at": "2024-05-01T21:30:00+02:00",
                     "location": {"lat": 57.7210, "lon": 12.9401}}}


def post(estd, body):
    return estd.post("/v1/events", data=json.dumps(body).encode(), headers={"Content-Type": CE})


def cli(db, *args):
    env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR, ESTD_LOG_LEVEL="warn")
    return subprocess.run([ESTD_BIN, "sources", *args], env=env, capture_output=True, text=True)


def test_registry_api_create_list_get_archive_restore(estd):
    s = "urn:src-test:" + uuid.uuid4().hex[:8]
    r = estd.post("/v1/sources", {"party": "ab-bostader", "source": s, "description": "Felanmälan"})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["party"], doc["source"], doc["archived_at"], doc["version"]) == ("ab-bostader", s, None, 1)
    assert r.headers["Location"] == f"/v1/sources/{doc['id']}"
    assert estd.get(r.headers["Location"]).json() == doc
    # by id, and both given consistently
    pid = doc["party_id"]
    r2 = estd.post("/v1/sources", {"party_id": pid, "party": "ab-bostader", "source": s + ":2"})
    assert r2.status_code == 201, r2.text
    # refusals name the field
    assert_problem(estd.post("/v1/sources", {"party": "ab-bostader", "source": s}), 409, "/source")
    assert_problem(estd.post("/v1/sources", {"party": "hemvarnet", "source": s}), 422, "/party")
    assert_problem(estd.post("/v1/sources", {"party_id": pid, "party": "boras-stad", "source": s}), 422, "/party")
    assert_problem(estd.post("/v1/sources", {"source": s}), 422, "/party")
    assert_problem(estd.post("/v1/sources", {"party": "ab-bostader", "source": "has space"}), 422, "/source")
    assert_problem(estd.post("/v1/sources", {"party": "ab-bostader", "source": "urn:850709-9805"}), 422, "/source")
    assert_problem(estd.post("/v1/sources", {"party": "ab-bostader", "source": s, "x": 1}), 422, "/x")
    listed = [x["source"] for x in page_all(estd, "/v1/sources", {"party_id": pid})]
    assert s in listed and s + ":2" in listed
    assert [x["id"] for x in page_all(estd, "/v1/sources", {"source": s})] == [doc["id"]]
    # archive: If-Match required, then gone from the list, kept and restorable
    path = f"/v1/sources/{doc['id']}"
    assert_problem(estd.delete(path), 428)
    assert estd.delete(path, headers={"If-Match": '"1"'}).status_code == 204
    assert s not in [x["source"] for x in page_all(estd, "/v1/sources", {"party_id": pid})]
    assert s in [x["source"] for x in page_all(estd, "/v1/sources", {"party_id": pid, "archived": "true"})]
    assert_problem(estd.post("/v1/sources", {"party": "ab-bostader", "source": s}), 409, "/source")
    r = estd.post(path + "/restore", headers={"If-Match": '"2"'})
    assert r.status_code == 200 and r.json()["archived_at"] is None
    audit = estd.sql("SELECT action FROM audit_log WHERE entity = 'event_source' AND entity_id = %s ORDER BY id",
                     (doc["id"],))
    assert [a for (a,) in audit] == ["create", "archive", "restore"]


def test_unknown_source_is_refused_over_http(estd):
    s = "urn:src-http:" + uuid.uuid4().hex[:8]
    p = assert_problem(post(estd, ce("u1", s)), 422, "/source")
    assert p["reason"] == "unknown_source"
    assert "boras-stad" in p["errors"][0]["detail"]
    r = estd.post("/v1/sources", {"party": "boras-stad", "source": s})
    assert r.status_code == 201
    assert post(estd, ce("u1", s)).json()["stored"] == 1
    # registered for boras-stad only: another party may not use it
    assert assert_problem(post(estd, ce("u2", s, party="ab-bostader")), 422, "/source")["reason"] == "unknown_source"
    # archived: refused again at once (the cache is dropped on the write)
    sid, etag = r.json()["id"], r.headers["ETag"]
    assert estd.delete(f"/v1/sources/{sid}", headers={"If-Match": etag}).status_code == 204
    assert assert_problem(post(estd, ce("u3", s)), 422, "/source")["reason"] == "unknown_source"
    assert estd.post(f"/v1/sources/{sid}/restore", headers={"If-Match": '"2"'}).status_code == 200
    assert post(estd, ce("u3", s)).json()["stored"] == 1
    assert {x for (x,) in estd.sql("SELECT source_event_id FROM events WHERE source = %s", (s,))} == {"u1", "u3"}


def test_unknown_source_is_dead_lettered_on_kafka_and_cli_registers(db, estd):
    s = "urn:src-kafka:" + uuid.uuid4().hex[:8]
    topic = uniq("t.src")
    create_topic(topic, 1)
    msgs = [(f"k{i}".encode(), json.dumps(ce(f"k{i}", s)).encode(), [("content-type", b"application/cloudevents+json")])
            for i in range(3)]
    produce_all(topic, msgs)
    e = Estd(db, env=kafka_env([topic], uniq("g"))).start()
    try:
        wait_for(lambda: e.sql("SELECT count(*) FROM dead_letters WHERE topic = %s", (topic,))[0][0] == 3, 60,
                 "dead letters")
        rows = e.sql("SELECT reason, detail FROM dead_letters WHERE topic = %s ORDER BY kafka_offset", (topic,))
        assert [r for r, _ in rows] == ["unknown_source"] * 3
        assert all("/source" in d and "boras-stad" in d for _, d in rows)
        assert e.sql("SELECT count(*) FROM events WHERE source = %s", (s,)) == [(0,)]
        # registered with the CLI, the same messages are admitted (on resubmission and when sent again)
        out = cli(db, "add", "--party", "boras-stad", "--source", s, "--description", "CLI")
        assert out.returncode == 0, out.stderr
        sid = json.loads(out.stdout)["id"]
        listed = cli(db, "list")
        assert listed.returncode == 0 and s in listed.stdout and "active" in listed.stdout
        dl = e.sql("SELECT id FROM dead_letters WHERE topic = %s ORDER BY kafka_offset LIMIT 1", (topic,))[0][0]
        # refusals are never cached: registered anywhere, admitted everywhere at once
        r = estd.post(f"/v1/dead-letters/{dl}/resubmit")
        assert r.status_code == 200 and r.json()["status"] == "stored", r.text
        produce_all(topic, [(b"k9", json.dumps(ce("k9", s)).encode(), [("content-type", b"application/cloudevents+json")])])
        wait_for(lambda: e.sql("SELECT count(*) FROM events WHERE source = %s AND source_event_id = 'k9'", (s,))[0][0] == 1,
                 60, "the registered source's event")
        # archived with the CLI: refused again
        out = cli(db, "archive", str(sid))
        assert out.returncode == 0 and json.loads(out.stdout)["archived_at"], out.stderr
        assert "archived" in cli(db, "list", "--archived").stdout
        # another process archived it: this instance's cached admission lapses within 5 s
        wait_for(lambda: post(estd, ce("k10", s)).status_code == 422, 30, "the archive to take effect")
        assert assert_problem(post(estd, ce("k11", s)), 422, "/source")["reason"] == "unknown_source"
        assert cli(db, "restore", str(sid)).returncode == 0
        assert cli(db, "archive", "abc").returncode == 2
        assert cli(db, "add", "--party", "boras-stad").returncode == 2
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]
    audit = estd.sql("SELECT action, request_id FROM audit_log WHERE entity = 'event_source' AND entity_id = %s "
                     "ORDER BY id", (sid,))
    assert audit == [("create", "cli"), ("archive", "cli"), ("restore", "cli")]


def test_dev_seed_registers_the_sample_sources(estd):
    rows = estd.sql("SELECT p.code, s.source FROM event_sources s JOIN parties p ON p.id = s.party_id "
                    "WHERE s.description NOT IN ('test', 'sweep', 'CLI')")
    got = set(rows)
    for party in ("polisen-boras", "boras-stad", "ab-bostader"):
        assert (party, f"urn:est:{party}:sample") in got
    assert ("polisen-boras", "https://polisen.se/api/events") in got
