"""HTTP intake (POST /v1/events), event reads and dead letters against the
real database (and the real Kafka broker for the dead letters)."""
import json
import time
import uuid

import pytest

from conftest import Estd, assert_problem, page_all, register_source
from test_intake_kafka import create_topic, kafka_env, produce_all, uniq, wait_for

CE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"


def ce(eid, source, kind="incident", party="polisen-boras", **data):
    base = {"occurred_at": "2024-05-01T21:30:00+02:00"}
    if kind == "incident":
        base["category"] = "skadegorelse"
    if kind == "activity":
        base["activity_type"] = "trygghetsvandring"
    base.update(data)
    return {"specversion": "1.0", "id": eid, "source": source, "type": f"se.est.{kind}.v1", "party": party,
            "datacontenttype": "application/json", "data": base}


def post(server, body, ctype=CE):
    return server.post("/v1/events", data=json.dumps(body).encode(), headers={"Content-Type": ctype})


@pytest.fixture(scope="module")
def areas(estd):
    rows = estd.sql("SELECT code, id, ST_Y(ST_PointOnSurface(geom)), ST_X(ST_PointOnSurface(geom)) FROM areas")
    return {code: {"id": aid, "lat": lat, "lon": lon} for code, aid, lat, lon in rows}


@pytest.fixture(scope="module")
def parties(estd):
    return dict(estd.sql("SELECT code, id FROM parties"))


_DB = []


@pytest.fixture(scope="module", autouse=True)
def _module_db(db):
    _DB[:] = [db]


def src(register=True):
    """A fresh source, registered for every party (unless register=False)."""
    s = "urn:http-test:" + uuid.uuid4().hex[:8]
    return register_source(_DB[0], s) if register else s


def test_single_event_stored_then_duplicate(estd, areas, parties):
    s = src()
    h = areas["hassleholmen"]
    body = ce("e1", s, location={"lat": h["lat"], "lon": h["lon"], "name": "Hässleholmens centrum"},
              description="Krossad busskur", attributes={"damage_sek": 12000})
    r = post(estd, body)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["stored"], doc["duplicates"], doc["rejected"]) == (1, 0, 0)
    res = doc["results"][0]
    assert res["status"] == "stored" and res["id"] == "e1" and res["source"] == s and res["event_id"] > 0
    ev = estd.get(f"/v1/events/{res['event_id']}").json()
    assert ev["source"] == s and ev["source_event_id"] == "e1" and ev["category"] == "skadegorelse"
    assert ev["party_id"] == parties["polisen-boras"] and ev["channel"] == "http" and ev["kind"] == "incident"
    assert ev["occurred_at"].startswith("2024-05-01T19:30:00")
    assert ev["place_name"] == "Hässleholmens centrum" and ev["attributes"] == {"damage_sek": 12000}
    assert ev["description"] == "Krossad busskur"
    assert sorted(ev["area_ids"]) == sorted([h["id"], areas["hassleholmen-hulta"]["id"]])
    assert abs(ev["location"]["lat"] - h["lat"]) < 1e-9
    r2 = post(estd, body)
    assert r2.status_code == 200
    assert r2.json()["results"][0] == {**res, "status": "duplicate"}
    assert estd.sql("SELECT count(*) FROM events WHERE source = %s", (s,))[0][0] == 1
    # event_areas written with the event
    assert estd.sql("SELECT count(*) FROM event_areas WHERE event_id = %s", (res["event_id"],))[0][0] == 2
    # the record key of the disclosure control, the same in event_areas and never served
    assert estd.sql("SELECT count(DISTINCT ea.record_key) FROM event_areas ea JOIN events e ON e.id = ea.event_id"
                    " AND e.record_key = ea.record_key WHERE ea.event_id = %s", (res["event_id"],))[0][0] == 1
    assert "record_key" not in estd.get("/v1/events/%d" % res["event_id"]).text
    # an audit row per request
    audit = estd.sql("SELECT action, entity, after FROM audit_log WHERE action = 'ingest' ORDER BY id DESC LIMIT 2")
    assert audit[0][2]["duplicates"] == 1 and audit[1][2]["stored"] == 1
    assert audit[1][2]["event_ids"] == [res["event_id"]]


def test_batch_mixed_statuses_nothing_half_written(estd, areas):
    s = src()
    n = areas["norrby"]
    assert post(estd, ce("old", s)).status_code == 200
    batch = [
        ce("b0", s, location={"lat": n["lat"], "lon": n["lon"]}),
        ce("b1", s, category="spoken"),                                   # unknown category
        ce("old", s),                                                     # already stored
        ce("b0", s),                                                      # duplicate inside the batch
        ce("b4", s, kind="patrol", duration_s=5400,
           track={"type": "LineString", "coordinates": [[n["lon"], n["lat"]], [n["lon"] + 0.001, n["lat"]]]}),
        {"specversion": "1.0", "id": "b5", "source": s, "type": "se.est.incident.v1", "party": "boras-stad"},  # no data
        ce("b6", s, kind="activity", activity_type="natverksgrupp"),
        ce("b7", s, location={"lat": 91, "lon": 12}),                    # bad coordinates
    ]
    r = post(estd, batch, BATCH)
    assert r.status_code == 200, r.text
    doc = r.json()
    st = [(x["index"], x["id"], x["status"]) for x in doc["results"]]
    assert st == [(0, "b0", "stored"), (1, "b1", "rejected"), (2, "old", "duplicate"), (3, "b0", "duplicate"),
                  (4, "b4", "stored"), (5, "b5", "rejected"), (6, "b6", "stored"), (7, "b7", "rejected")]
    assert (doc["stored"], doc["duplicates"], doc["rejected"]) == (3, 2, 3)
    res = doc["results"]
    assert res[1]["reason"] == "unknown_category" and res[1]["errors"][0]["field"] == "/data/category"
    assert res[5]["reason"] == "schema" and res[5]["errors"][0]["field"] == "/data"
    assert res[7]["reason"] == "bad_coordinates" and res[7]["errors"][0]["field"] == "/data/location/lat"
    assert res[3]["event_id"] == res[0]["event_id"]
    stored = {r[0] for r in estd.sql("SELECT source_event_id FROM events WHERE source = %s", (s,))}
    assert stored == {"old", "b0", "b4", "b6"}
    patrol = estd.get(f"/v1/events/{res[4]['event_id']}").json()
    assert patrol["kind"] == "patrol" and patrol["duration_s"] == 5400 and patrol["track"]["type"] == "LineString"
    assert n["id"] in patrol["area_ids"]  # area from the track
    # a plain JSON array works too; all rejected -> 422 problem with the results
    r = post(estd, [ce("x1", s, category="nope"), ce("x2", s, occurred_at="2024-02-30T10:00:00Z")], "application/json")
    p = assert_problem(r, 422)
    assert [x["status"] for x in p["results"]] == ["rejected", "rejected"]
    assert p["results"][1]["errors"][0]["field"] == "/data/occurred_at"
    assert estd.sql("SELECT count(*) FROM events WHERE source = %s AND source_event_id LIKE 'x%%'", (s,))[0][0] == 0


def test_batch_limits_and_malformed_bodies(estd):
    s = src()
    r = post(estd, [ce(f"m{i}", s) for i in range(501)], BATCH)
    assert_problem(r, 413)
    assert estd.sql("SELECT count(*) FROM events WHERE source = %s", (s,))[0][0] == 0
    ok = post(estd, [ce(f"m{i}", s) for i in range(500)], BATCH)
    assert ok.status_code == 200 and ok.json()["stored"] == 500
    assert_problem(estd.post("/v1/events", data=b"{not json", headers={"Content-Type": CE}), 400)
    assert_problem(estd.post("/v1/events", data=b"hello", headers={"Content-Type": "text/plain"}), 415)
    assert_problem(post(estd, ce("z", s), BATCH), 400)
    assert_problem(post(estd, [], BATCH), 400)
    p = assert_problem(post(estd, {"hello": "world"}), 422, "/specversion")
    assert p["reason"] == "not_cloudevent"
    p = assert_problem(post(estd, {**ce("u1", s), "type": "se.est.weather.v1"}), 422, "/type")
    assert p["reason"] == "unsupported_type"
    p = assert_problem(post(estd, ce("u2", s, party="hemvarnet")), 422, "/party")
    assert p["reason"] == "unknown_party"


def test_personnummer_in_description_is_rejected(estd):
    s = src()
    r = post(estd, ce("p1", s, description="Misstänkt: 811218-9876, hördes skrika"))
    p = assert_problem(r, 422, "/data/description")
    assert p["reason"] == "personnummer" and p["results"][0]["status"] == "rejected"
    # samordningsnummer (day + 60), 12-digit form, inside a batch
    r = post(estd, [ce("p2", s, description="Personen 198112789873 sågs"), ce("p3", s, description="Ordernr 1234567890123")],
             BATCH)
    assert r.status_code == 200
    res = r.json()["results"]
    assert res[0]["status"] == "rejected" and res[0]["errors"][0]["field"] == "/data/description"
    assert res[1]["status"] == "stored"
    assert {x[0] for x in estd.sql("SELECT source_event_id FROM events WHERE source = %s", (s,))} == {"p3"}


def test_implausible_times_are_rejected(estd):
    s = src()
    p = assert_problem(post(estd, ce("t1", s, occurred_at="2999-01-01T00:00:00Z")), 422, "/data/occurred_at")
    assert p["reason"] == "implausible_time"
    detail = p["errors"][0]["detail"]
    assert "ESTD_EVENT_MAX_FUTURE_S" in detail and "300 s" in detail, detail
    p = assert_problem(post(estd, ce("t2", s, occurred_at="1999-12-31T23:59:59Z")), 422, "/data/occurred_at")
    assert p["reason"] == "implausible_time" and "2000-01-01T00:00:00Z" in p["errors"][0]["detail"]
    # the CloudEvents time is judged the same when data has no occurred_at
    late = ce("t3", s)
    del late["data"]["occurred_at"]
    late["time"] = "2999-06-01T00:00:00+02:00"
    r = post(estd, [late, ce("t4", s, occurred_at="2000-01-01T00:00:00Z"),
                    ce("t5", s, occurred_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60)))], BATCH)
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["rejected", "stored", "stored"]
    assert r.json()["results"][0]["reason"] == "implausible_time"
    assert {x[0] for x in estd.sql("SELECT source_event_id FROM events WHERE source = %s", (s,))} == {"t4", "t5"}


def test_sweref_coordinates_land_in_the_right_district(estd, areas):
    s = src()
    for code in ("hulta", "kristineberg", "sjobo"):
        a = areas[code]
        e3006, n3006, e3008, n3008 = estd.sql(
            "SELECT ST_X(p3006), ST_Y(p3006), ST_X(p3008), ST_Y(p3008) FROM (SELECT "
            "ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3006) p3006, "
            "ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3008) p3008) x",
            (a["lon"], a["lat"], a["lon"], a["lat"]))[0]
        r = post(estd, [ce(f"{code}-tm", s, location={"crs": "EPSG:3006", "easting": e3006, "northing": n3006}),
                        ce(f"{code}-1330", s, location={"crs": "EPSG:3008", "easting": e3008, "northing": n3008})],
                 BATCH)
        assert r.status_code == 200, r.text
        for res in r.json()["results"]:
            ev = estd.get(f"/v1/events/{res['event_id']}").json()
            assert a["id"] in ev["area_ids"], (code, ev)
            assert abs(ev["location"]["lat"] - a["lat"]) < 1e-6 and abs(ev["location"]["lon"] - a["lon"]) < 1e-6
    # SWEREF coordinates outside Sweden are bad coordinates
    p = assert_problem(post(estd, ce("far", s, location={"crs": "EPSG:3006", "easting": 12.9, "northing": 57.7})), 422)
    assert p["reason"] == "bad_coordinates"


def test_event_outside_every_area_and_place_only(estd):
    s = src()
    r = post(estd, [ce("sthlm", s, location={"lat": 59.3293, "lon": 18.0686}),
                    ce("place", s, location={"name": "Knalleland"}),
                    ce("none", s, kind="activity", activity_type="informationstillfalle")], BATCH)
    assert r.status_code == 200 and r.json()["stored"] == 3, r.text
    evs = {e["source_event_id"]: e for e in page_all(estd, "/v1/events", {"source": s})}
    assert evs["sthlm"]["area_ids"] == [] and evs["sthlm"]["location"]["lat"] == pytest.approx(59.3293)
    assert evs["place"]["area_ids"] == [] and evs["place"]["location"] is None
    assert evs["place"]["place_name"] == "Knalleland"
    assert evs["none"]["activity_type"] == "informationstillfalle" and evs["none"]["category"] is None


def test_police_feed_record_mapping(estd, parties):
    s = register_source(_DB[0], "https://polisen.se/api/events#" + uuid.uuid4().hex[:6])

    def police(pid, ptype, dt="2018-12-28 14:32:20 +01:00", gps="57.721035,12.939819", name=None):
        return {"specversion": "1.0", "id": str(pid), "source": s, "type": "se.polisen.event.v1",
                "party": "polisen-boras",
                "data": {"id": pid, "datetime": dt, "name": name or f"28 december 14:32, {ptype}, Borås",
                         "summary": "Två personer har gripits.", "url": f"/aktuellt/handelser/2018/december/28/{pid}",
                         "type": ptype, "location": {"name": "Borås", "gps": gps}}}

    r = post(estd, [police(1, "Misshandel"), police(2, "Narkotikabrott", dt="2018-12-28 9:05:00 +01:00",
                           name="28 december 8.50, Narkotikabrott, Borås"),
                    police(3, "Sammanfattning kväll och natt"), police(4, "Stöld, försök"),
                    police(5, "Trafikolycka, vilt"), police(6, "Brand", gps="57.7,191.0")], BATCH)
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["stored", "stored", "skipped", "stored", "stored", "rejected"]
    assert res[2]["reason"] == "skipped_summary" and res[5]["reason"] == "bad_coordinates"
    assert r.json()["skipped"] == 1
    ev = estd.get(f"/v1/events/{res[0]['event_id']}").json()
    assert ev["category"] == "hot_och_vald" and ev["kind"] == "incident"
    # datetime is the publication; the occurrence time is in name (Stockholm time)
    assert ev["occurred_at"].startswith("2018-12-28T13:32:00") and ev["published_at"].startswith("2018-12-28T13:32:20")
    # gps is Borås' centroid: municipality precision, in no district
    assert ev["location_precision"] == "municipality" and ev["area_ids"] == []
    assert ev["location"] == {"lat": 57.721035, "lon": 12.939819} and ev["place_name"] == "Borås"
    assert ev["description"] == "Två personer har gripits."
    assert ev["attributes"]["police_type"] == "Misshandel" and ev["attributes"]["police_id"] == 1
    assert "police_feed" in ev["flags"] and ev["party_id"] == parties["polisen-boras"]
    cats = {x["source_event_id"]: x["category"] for x in page_all(estd, "/v1/events", {"source": s})}
    assert cats == {"1": "hot_och_vald", "2": "narkotika", "4": "inbrott_och_stold", "5": "ovrigt"}
    ev2 = estd.get(f"/v1/events/{res[1]['event_id']}").json()
    assert ev2["occurred_at"].startswith("2018-12-28T07:50:00") and ev2["published_at"].startswith("2018-12-28T08:05:00")


def test_list_filters_and_paging(estd, areas, parties):
    s = src()
    hu, kr = areas["hulta"], areas["kristineberg"]
    evs = []
    for i in range(12):
        a = hu if i % 2 == 0 else kr
        kind = "incident" if i % 3 else "patrol"
        evs.append(ce(f"l{i:02d}", s, kind=kind, party="boras-stad" if i < 6 else "ab-bostader",
                      occurred_at=f"2023-03-{i + 1:02d}T10:00:00+01:00",
                      location={"lat": a["lat"], "lon": a["lon"]}, **({"category": "klotter"} if kind == "incident" else {})))
    assert post(estd, evs, BATCH).json()["stored"] == 12

    def ids(params, limit=None):
        return [e["source_event_id"] for e in page_all(estd, "/v1/events", {"source": s, **params}, limit=limit)]

    everything = ids({}, limit=5)
    assert everything == [f"l{i:02d}" for i in range(12)]  # occurred_at ascending, paged by 5
    assert ids({"sort": "-occurred_at"}, limit=4) == list(reversed(everything))
    assert ids({"sort": "id"}, limit=7) == everything
    assert ids({"area_id": hu["id"]}) == [f"l{i:02d}" for i in range(0, 12, 2)]
    assert ids({"kind": "patrol"}) == ["l00", "l03", "l06", "l09"]
    assert ids({"category": "klotter", "party_id": parties["ab-bostader"]}) == ["l07", "l08", "l10", "l11"]
    assert ids({"from": "2023-03-03T10:00:00+01:00", "to": "2023-03-05T09:00:01Z"}) == ["l02", "l03", "l04"]
    assert_problem(estd.get("/v1/events", params={"from": "2023-03-03"}), 400, "from")
    assert_problem(estd.get("/v1/events", params={"kind": "riot"}), 400, "kind")
    assert_problem(estd.get("/v1/events", params={"category": "spoken"}), 400, "category")
    assert_problem(estd.get("/v1/events", params={"area_id": "x"}), 400, "area_id")
    assert_problem(estd.get("/v1/events", params={"sort": "-occurred_at", "cursor": "garbage"}), 400, "cursor")
    assert_problem(estd.get("/v1/events/999999999"), 404)


def test_dead_letters_list_and_resubmit(db, estd):
    topic = uniq("t.dl")
    create_topic(topic, 1)
    s = src()
    bad_cat = ce("dl1", s, category="spoken")
    produce_all(topic, [(b"k1", json.dumps(bad_cat).encode(), [("content-type", b"application/cloudevents+json")]),
                        (b"k2", json.dumps({"category": "brand", "occurred_at": "2024-01-01T00:00:00Z",
                                            "location": {"lat": 57.7, "lon": 200}}).encode(),
                         [("ce_specversion", b"1.0"), ("ce_id", b"dl2"), ("ce_source", s.encode()),
                          ("ce_type", b"se.est.incident.v1"), ("ce_party", b"boras-stad")]),
                        (b"k3", b"not json at all", [])])
    k = Estd(db, env=kafka_env([topic], uniq("g"))).start()
    try:
        wait_for(lambda: k.sql("SELECT count(*) FROM dead_letters WHERE topic = %s", (topic,))[0][0] == 3, 60,
                 "dead letters")
    finally:
        assert k.stop() == 0, k.read_log()[-3000:]
    items = page_all(estd, "/v1/dead-letters", {"topic": topic}, limit=2)
    assert [d["reason"] for d in items] == ["unknown_category", "bad_coordinates", "not_json"]
    assert [d["offset"] for d in items] == [0, 1, 2]
    assert items[0]["payload_text"] == json.dumps(bad_cat) and items[0]["source_event_id"] == "dl1"
    assert {"name": "ce_id", "value": "dl2"} in items[1]["headers"]
    assert [d["id"] for d in page_all(estd, "/v1/dead-letters", {"topic": topic, "reason": "not_json"})] == [items[2]["id"]]
    one = estd.get(f"/v1/dead-letters/{items[2]['id']}").json()
    assert one["payload_text"] == "not json at all" and one["resolved_at"] is None
    assert_problem(estd.get("/v1/dead-letters", params={"reason": "bogus"}), 400, "reason")
    assert_problem(estd.get("/v1/dead-letters/99999999"), 404)

    # re-parsing the stored bytes as they are still fails
    p = assert_problem(estd.post(f"/v1/dead-letters/{items[0]['id']}/resubmit"), 422, "/data/category")
    assert p["reason"] == "unknown_category"
    # with a corrected body it is stored and the dead letter resolved
    fixed = {**bad_cat, "data": {**bad_cat["data"], "category": "klotter"}}
    r = estd.post(f"/v1/dead-letters/{items[0]['id']}/resubmit", data=json.dumps(fixed).encode(),
                  headers={"Content-Type": CE})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "stored" and r.json()["event_id"] > 0
    ev = estd.get(f"/v1/events/{r.json()['event_id']}").json()
    assert ev["category"] == "klotter" and ev["source"] == s and ev["channel"] == "kafka"
    again = estd.post(f"/v1/dead-letters/{items[0]['id']}/resubmit")
    assert again.json() == {"dead_letter_id": items[0]["id"], "status": "already_resolved",
                            "event_id": r.json()["event_id"]}
    dl = estd.get(f"/v1/dead-letters/{items[0]['id']}").json()
    assert dl["resolved_at"] is not None and dl["resolved_event_id"] == r.json()["event_id"]
    assert [d["id"] for d in page_all(estd, "/v1/dead-letters", {"topic": topic, "resolved": "true"})] == [items[0]["id"]]
    audit = estd.sql("SELECT entity, entity_id, after FROM audit_log WHERE action = 'resubmit'")
    assert ("dead_letter", items[0]["id"], {"event_id": r.json()["event_id"], "status": "stored"}) in \
        [(a, b, c) for a, b, c in audit]
    # binary-mode dead letter: the headers are used again when re-parsing
    fixed2 = {"specversion": "1.0", "id": "dl2", "source": s, "type": "se.est.incident.v1", "party": "boras-stad",
              "data": {"category": "brand", "occurred_at": "2024-01-01T00:00:00Z", "location": {"lat": 57.7, "lon": 12.9}}}
    p = assert_problem(estd.post(f"/v1/dead-letters/{items[1]['id']}/resubmit"), 422, "/data/location/lon")
    r = estd.post(f"/v1/dead-letters/{items[1]['id']}/resubmit", data=json.dumps(fixed2).encode(),
                  headers={"Content-Type": CE})
    assert r.status_code == 200 and r.json()["status"] == "stored"
    assert_problem(estd.post("/v1/dead-letters/99999999/resubmit"), 404)


def test_resubmitted_dead_letter_keeps_its_channel(db, estd):
    """A dead letter that came over HTTP or from the Police-feed poller is
    stored, once corrected, with the channel it came by (not as Kafka)."""
    s = src()
    for channel in ("http", "poll"):
        body = ce("ch-" + channel, s, category="spoken")
        (dl_id,) = estd.sql("INSERT INTO dead_letters (channel, payload, reason, source, source_event_id) "
                            "VALUES (%s, %s, 'unknown_category', %s, %s) RETURNING id",
                            (channel, json.dumps(body).encode(), s, body["id"]))[0]
        fixed = {**body, "data": {**body["data"], "category": "klotter"}}
        r = estd.post(f"/v1/dead-letters/{dl_id}/resubmit", data=json.dumps(fixed).encode(),
                      headers={"Content-Type": CE})
        assert r.status_code == 200 and r.json()["status"] == "stored", r.text
        assert estd.get(f"/v1/events/{r.json()['event_id']}").json()["channel"] == channel


def test_api_key_may_only_submit_its_own_party(db):
    """With auth on, a key bound to a party submits only that party's events
    (others are rejected as party_mismatch); admin keys may submit any."""
    import subprocess
    from conftest import ESTD_BIN, SQL_DIR, pg_url
    secret = "intake-test-secret-" + "0123456789abcdef" * 3

    def key(party, scopes):
        env = dict(__import__("os").environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR,
                   ESTD_KEY_SECRET=secret, ESTD_LOG_LEVEL="warn")
        r = subprocess.run([ESTD_BIN, "keys", "create", "--party", party, "--scopes", scopes], env=env,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip().split()[-1]

    housing = key("ab-bostader", "write-events,read")
    admin = key("polisen-boras", "admin")
    e = Estd(db, env={"ESTD_AUTH": "required", "ESTD_KEY_SECRET": secret, "ESTD_AUTH_CACHE_TTL_MS": "0",
                      "ESTD_RATE_LIMIT_RPS": "0"}).start()
    try:
        s = src()
        hdr = {"Content-Type": BATCH, "Authorization": "Bearer " + housing}
        body = [ce("own", s, party="ab-bostader"), ce("other", s, party="polisen-boras"), ce("implicit", s, party=None)]
        del body[2]["party"]
        r = e.post("/v1/events", data=json.dumps(body).encode(), headers=hdr)
        assert r.status_code == 200, r.text
        st = {x["id"]: (x["status"], x.get("reason")) for x in r.json()["results"]}
        assert st == {"own": ("stored", None), "other": ("rejected", "party_mismatch"), "implicit": ("stored", None)}
        parties = dict(e.sql("SELECT code, id FROM parties"))
        got = dict(e.sql("SELECT source_event_id, party_id FROM events WHERE source = %s", (s,)))
        assert got == {"own": parties["ab-bostader"], "implicit": parties["ab-bostader"]}
        # a single event of another party: 403 problem
        r = e.post("/v1/events", data=json.dumps(ce("other2", s, party="boras-stad")).encode(),
                   headers={"Content-Type": CE, "Authorization": "Bearer " + housing})
        p = assert_problem(r, 403, "/party")
        assert p["reason"] == "party_mismatch"
        # the audit row names the key's party
        assert e.sql("SELECT party_id FROM audit_log WHERE action = 'ingest' ORDER BY id DESC LIMIT 1")[0][0] == \
            parties["ab-bostader"]
        # admin may submit for any party; the housing key reads only its own party's dead letters
        r = e.post("/v1/events", data=json.dumps(ce("adm", s, party="boras-stad")).encode(),
                   headers={"Content-Type": CE, "Authorization": "Bearer " + admin})
        assert r.status_code == 200 and r.json()["stored"] == 1
        r = e.get("/v1/dead-letters", headers={"Authorization": "Bearer " + housing})
        assert r.status_code == 200 and all(d["party_id"] == parties["ab-bostader"] for d in r.json()["items"])
        assert e.get("/v1/dead-letters", headers={"Authorization": "Bearer " + admin}).status_code == 200
        assert_problem(e.post("/v1/events", data=json.dumps(ce("anon", s)).encode(), headers={"Content-Type": CE}), 401)
    finally:
        code = e.stop()
    assert code == 0, e.read_log()[-3000:]


def test_schema_examples_are_valid_and_accepted(estd):
    """The JSON Schemas in schemas/events describe what the server accepts."""
    import os
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    d = os.path.join(os.path.dirname(__file__), "..", "..", "schemas", "events")
    docs = {f: json.load(open(os.path.join(d, f), encoding="utf-8")) for f in os.listdir(d) if f.endswith(".json")}
    registry = Registry().with_resources((doc["$id"], Resource.from_contents(doc)) for doc in docs.values())
    types = {"incident.json": "se.est.incident.v1", "patrol.json": "se.est.patrol.v1",
             "activity.json": "se.est.activity.v1"}
    s = src()
    for name, ce_type in types.items():
        schema = docs[name]
        Draft202012Validator.check_schema(schema)
        v = Draft202012Validator(schema, registry=registry)
        assert schema["examples"]
        for i, ex in enumerate(schema["examples"]):
            assert not list(v.iter_errors(ex)), (name, ex)
            body = {"specversion": "1.0", "id": f"{name}-{i}", "source": s, "type": ce_type,
                    "party": "boras-stad", "data": ex}
            r = post(estd, body)
            assert r.status_code == 200 and r.json()["stored"] == 1, (name, r.text)
        # and a violation of the schema is rejected by the server too
        bad = dict(schema["examples"][0], unexpected=1)
        assert list(v.iter_errors(bad))
        assert_problem(post(estd, {"specversion": "1.0", "id": f"{name}-bad", "source": s, "type": ce_type,
                                   "party": "boras-stad", "data": bad}), 422, "/data/unexpected")
    loc = Draft202012Validator(docs["location.json"], registry=registry)
    for ex in docs["location.json"]["examples"]:
        assert not list(loc.iter_errors(ex))
    assert list(loc.iter_errors({"lat": 95, "lon": 12}))
