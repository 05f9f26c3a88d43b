"""The disclosure policy (docs/SECURITY.md "Disclosure policy"): per route and
per caller class, exactly what is visible of events.

Caller classes (auth required, real keys):
  none    no Authorization header
  read    `read` key of ab-bostader (a party with few events)
  own     `read` key of polisen-boras: the party of the events under test
  other   `read` key of boras-stad: another party
  detail  `read,read-detail` key (of ab-bostader)
  admin   `admin` key only (admin implies read-detail: the fixed bug)
  writer  `write-events` key of polisen-boras (dead letters)
"""
import csv
import io
import json
import re

import pytest

from conftest import Estd, assert_problem, create_key
from sit_events import HASSLEHOLMEN, HULTA, NORRBY, area_ids, ev, insert, party_ids

SECRET = "disclosure-key-secret-" + "0123456789abcdef" * 3
K = 3
CLASSES = ["none", "read", "own", "other", "detail", "admin"]
FULL = {"detail", "admin"}
PARTY_OF = {"read": "ab-bostader", "own": "polisen-boras", "other": "boras-stad"}
CLUSTER = [(-0.0003, -0.0002), (-0.00015, 0.0001), (0.0, 0.0), (0.00015, -0.0001), (0.0003, 0.0002),
           (0.0001, 0.0002)]
DETAIL_FIELDS = ("location", "occurred_at", "received_at", "description", "place_name", "attributes")


def make_key(db, party, scopes):
    return create_key(db, party, scopes, SECRET)


def fixture_rows():
    rows = []
    # 2024-W10 (Mon 03-04 .. Sun 03-10). A police hot spot of 6 in Norrby.
    for i, (dx, dy) in enumerate(CLUSTER):
        rows.append(ev("incident", "polisen-boras", "2024-03-0%d 22:00" % (4 + i % 5), NORRBY, "skadegorelse",
                       dx=dx, dy=dy))
    rows.append(ev("incident", "boras-stad", "2024-03-04 10:00", HULTA, "klotter"))
    rows.append(ev("incident", "ab-bostader", "2024-03-05 11:00", HASSLEHOLMEN, "klotter"))
    rows.append(ev("incident", "ab-bostader", "2024-03-05 12:00", HASSLEHOLMEN, "klotter", dx=0.0005))
    rows.append(ev("patrol", "polisen-boras", "2024-03-05 20:00", NORRBY, duration_s=1800))
    # Follow-up: ml-3 (police operativ_insats, 2018-01-01..2019-01-31).
    rows.append(ev("activity", "polisen-boras", "2018-05-01 10:00", NORRBY, activity_type="operativ_insats"))
    rows.append(ev("activity", "polisen-boras", "2018-06-01 10:00", HULTA, activity_type="operativ_insats"))
    return rows


@pytest.fixture(scope="module")
def env(estd):
    insert(estd.db, fixture_rows())
    police = party_ids(estd)["polisen-boras"]
    # One police event with every detail field filled.
    x = estd.sql("SELECT id FROM events WHERE party_id = %s AND kind = 'incident' ORDER BY id LIMIT 1", (police,))[0][0]
    estd.sql("UPDATE events SET description = 'Fönster krossat', place_name = 'Norrbyhus 3',"
             " attributes = '{\"case\": \"A-17\"}' WHERE id = %s", (x,))
    # Two dead letters: one of the police, one of no known party.
    estd.sql("INSERT INTO dead_letters (channel, topic, kafka_partition, kafka_offset, payload, reason, party_id)"
             " VALUES ('kafka', 'est.polisen', 0, 1, '\\x7b7d', 'schema', %s),"
             " ('kafka', 'est.unbound', 0, 2, '\\x6e6f', 'not_json', NULL)", (police,))
    keys = {
        "read": make_key(estd.db, "ab-bostader", "read"),
        "own": make_key(estd.db, "polisen-boras", "read"),
        "other": make_key(estd.db, "boras-stad", "read"),
        "detail": make_key(estd.db, "ab-bostader", "read,read-detail"),
        "admin": make_key(estd.db, "ab-bostader", "admin"),
        "writer": make_key(estd.db, "polisen-boras", "write-events"),
    }
    sec = Estd(estd.db, env={"ESTD_AUTH": "required", "ESTD_KEY_SECRET": SECRET, "ESTD_RATE_LIMIT_RPS": "0",
                             "ESTD_AUTH_CACHE_TTL_MS": "0", "ESTD_PRIVACY_MIN_COUNT": str(K)}).start()
    yield {"sec": sec, "keys": keys, "x": x, "party": party_ids(estd), "area": area_ids(estd), "db": estd}
    assert sec.stop() == 0, sec.read_log()[-3000:]


def get(env, who, path, **kw):
    headers = dict(kw.pop("headers", {}))
    if who != "none":
        headers["Authorization"] = "Bearer " + env["keys"][who]
    return env["sec"].get(path, headers=headers, **kw)


def visible_parties(env, who):
    """The parties whose events `who` may see (None = all)."""
    return None if who in FULL else {env["party"][PARTY_OF[who]]}


def all_events(env):
    return {i: p for i, p in env["db"].sql("SELECT id, party_id FROM events")}


# ---- /v1/events --------------------------------------------------------------

@pytest.mark.parametrize("who", CLASSES)
def test_events_list(env, who):
    r = get(env, who, "/v1/events", params={"limit": 200})
    if who == "none":
        assert_problem(r, 401)
        return
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    truth = all_events(env)
    vis = visible_parties(env, who)
    want = {i for i, p in truth.items() if vis is None or p in vis}
    assert {e["id"] for e in items} == want
    assert want  # every class sees something of its own
    for e in items:  # a listed event is complete
        for f in DETAIL_FIELDS:
            assert f in e
    xs = [e for e in items if e["id"] == env["x"]]
    if who in FULL or who == "own":
        assert xs[0]["description"] == "Fönster krossat" and xs[0]["place_name"] == "Norrbyhus 3"
        assert xs[0]["attributes"] == {"case": "A-17"} and xs[0]["location"]["lat"] > 57
    else:
        assert xs == []
    # A party filter for another party gives nothing more.
    r = get(env, who, "/v1/events", params={"party_id": env["party"]["polisen-boras"]})
    got = {e["id"] for e in r.json()["items"]}
    police = {i for i, p in truth.items() if p == env["party"]["polisen-boras"]}
    assert got == (police if who in FULL or who == "own" else set())


@pytest.mark.parametrize("who", CLASSES)
def test_single_event(env, who):
    r = get(env, who, "/v1/events/%d" % env["x"])
    if who == "none":
        assert_problem(r, 401)
    elif who in FULL or who == "own":
        assert r.status_code == 200, r.text
        e = r.json()
        assert e["description"] == "Fönster krossat" and e["attributes"] == {"case": "A-17"}
        assert e["place_name"] == "Norrbyhus 3" and e["location"] is not None and e["occurred_at"]
    else:
        doc = assert_problem(r, 404)  # hidden looks exactly like missing
        missing = assert_problem(get(env, who, "/v1/events/99999999"), 404)
        assert doc["title"] == missing["title"]


# ---- situational picture -------------------------------------------------------

def on_grid_centre(env, lon, lat):
    x, y = env["db"].sql("SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3006) p",
                         (lon, lat))[0]
    return abs((x - 50) / 100 - round((x - 50) / 100)) < 1e-3 and abs((y - 50) / 100 - round((y - 50) / 100)) < 1e-3


def ring_on_grid(env, ring):
    for lon, lat in ring:
        x, y = env["db"].sql("SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3006) p",
                             (lon, lat))[0]
        if abs(x / 100 - round(x / 100)) > 1e-3 or abs(y / 100 - round(y / 100)) > 1e-3:
            return False
    return True


def all_counts(doc):
    """Every (name, value) count member of a situation document."""
    out = []

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k in ("count", "previous", "year_ago", "incident_count") and (x is None or isinstance(x, int)):
                    out.append((k, x))
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(doc)
    return out


@pytest.mark.parametrize("who", CLASSES)
def test_situation_json(env, who):
    params = {"week": "2024-W10", "area_id": env["area"]["norrby"]}
    r = get(env, who, "/v1/situation", params=params)
    if who == "none":
        assert_problem(r, 401)
        return
    assert r.status_code == 200, r.text
    doc = r.json()
    assert "ck_" not in r.text and "record_key" not in r.text
    hs = doc["hot_spots"][0]
    exact_c = env["db"].sql(
        "SELECT avg(ST_X(geom)), avg(ST_Y(geom)) FROM events WHERE kind = 'incident' AND category = 'skadegorelse'")[0]
    fr = doc["freshness"]
    if who in FULL:
        assert doc["privacy"]["protection"] is None and doc["privacy"]["detail_scope"] is True
        assert doc["incidents"]["total"]["count"] == 6 and hs["incident_count"] == 6
        assert abs(hs["centroid"]["lon"] - exact_c[0]) < 2e-5 and abs(hs["centroid"]["lat"] - exact_c[1]) < 2e-5
        assert not ring_on_grid(env, hs["hull"]["coordinates"][0])
        assert fr["area_newest_occurred_at"] == "2024-03-08T21:00:00+00:00", fr  # exact
    else:
        assert doc["privacy"]["protection"] == {"method": "cell-key-rounding", "base": K}
        counts = all_counts(doc)
        assert counts and all(v is None or (v > 0 and v % K == 0) for _, v in counts)
        assert doc["incidents"]["total"]["count"] == 6  # a multiple of k is exact
        assert on_grid_centre(env, hs["centroid"]["lon"], hs["centroid"]["lat"])
        assert ring_on_grid(env, hs["hull"]["coordinates"][0])
        # Freshness: local midnight only (the newest Norrby incident was 03-08 22:00 local).
        assert fr["area_newest_occurred_at"] == "2024-03-07T23:00:00+00:00", fr


@pytest.mark.parametrize("who", CLASSES)
def test_situation_geojson_events(env, who):
    params = {"week": "2024-W10", "include": "events"}
    r = get(env, who, "/v1/situation/geojson", params=params)
    if who == "none":
        assert_problem(r, 401)
        return
    assert r.status_code == 200, r.text
    feats = r.json()["features"]
    evs = {f["properties"]["event_id"]: f["properties"]["party_id"] for f in feats
           if f["properties"]["feature_type"] == "event"}
    truth = {i: p for i, p in env["db"].sql(
        "SELECT id, party_id FROM events WHERE geom IS NOT NULL AND occurred_at >= '2024-03-04 00:00+01'"
        " AND occurred_at < '2024-03-11 00:00+01'")}
    vis = visible_parties(env, who)
    assert evs == {i: p for i, p in truth.items() if vis is None or p in vis}
    assert evs
    for f in feats:
        if f["properties"]["feature_type"] == "hot_spot":
            if who in FULL:
                assert f["properties"]["incident_count"] == 6
            else:
                assert ring_on_grid(env, f["geometry"]["coordinates"][0])
                assert f["properties"]["incident_count"] % K == 0


def test_situation_admin_implies_read_detail(env):
    """The admin key (scope admin only) sees exact counts and all events."""
    r = get(env, "admin", "/v1/situation", params={"week": "2024-W10", "area_id": env["area"]["hulta"]})
    doc = r.json()
    assert doc["privacy"]["detail_scope"] is True and doc["privacy"]["protection"] is None
    cats = {c["code"]: c["count"] for c in doc["incidents"]["by_category"]}
    assert cats["klotter"] == 1  # exact, below k


# ---- progress, report, list totals ----------------------------------------------

def commitment(env, code):
    return env["db"].sql("SELECT id, agreement_id FROM commitments WHERE code = %s", (code,))[0]


@pytest.mark.parametrize("who", CLASSES)
def test_progress_last_event_and_values(env, who):
    cid, _ = commitment(env, "ml-3")
    r = get(env, who, "/v1/commitments/%d/progress" % cid)
    if who == "none":
        assert_problem(r, 401)
        return
    assert r.status_code == 200, r.text
    p = r.json()
    assert "ck_" not in r.text
    if who in FULL or who == "own":
        assert p["last_event"]["kind"] == "activity" and p["last_event"]["occurred_at"].startswith("2018-06-01")
    else:
        assert p["last_event"] is None
    if who in FULL:
        assert p["value"] == 2 and p["total"] == 2 and p["percentage"] == 50.0
        assert p["value_suppressed"] is False
    else:
        assert p["value"] in (None, 3) and p["total"] == p["value"]
        assert p["value_suppressed"] is (p["value"] is None)
        # percentage is derived from the published value, never from the true 2
        assert p["percentage"] in (None, 75.0)


@pytest.mark.parametrize("who", CLASSES)
def test_report_csv_and_json(env, who):
    cid, aid = commitment(env, "ml-3")
    r = get(env, who, "/v1/agreements/%d/report" % aid, params={"format": "csv"})
    if who == "none":
        assert_problem(r, 401)
        return
    assert r.status_code == 200, r.text
    rows = {x["code"]: x for x in csv.DictReader(io.StringIO(r.text))}
    row = rows["ml-3"]
    if who in FULL or who == "own":
        assert row["last_event_at"].startswith("2018-06-01")
    else:
        assert row["last_event_at"] == ""
    if who in FULL:
        assert row["value"] == "2"
    else:
        assert row["value"] in ("", "3")
    doc = get(env, who, "/v1/agreements/%d/report" % aid).json()
    ml3 = next(c for c in doc["commitments"] if c["code"] == "ml-3")
    assert (ml3["progress"]["last_event"] is None) is (who not in FULL and who != "own")
    assert "ck_" not in json.dumps(doc)


@pytest.mark.parametrize("who", CLASSES)
def test_commitments_list_progress(env, who):
    r = get(env, who, "/v1/commitments", params={"include": "progress", "limit": 200})
    if who == "none":
        assert_problem(r, 401)
        return
    assert r.status_code == 200, r.text
    ml3 = next(c for c in r.json()["items"] if c["code"] == "ml-3")["progress"]
    assert "ck_" not in r.text
    assert (ml3["value"] == 2) is (who in FULL)
    assert (ml3["last_event"] is None) is (who not in FULL and who != "own")


# ---- dead letters, audit ------------------------------------------------------------

@pytest.mark.parametrize("who", CLASSES + ["writer"])
def test_dead_letters(env, who):
    r = get(env, who, "/v1/dead-letters")
    ids = dict(env["db"].sql("SELECT topic, id FROM dead_letters"))
    if who == "none":
        assert_problem(r, 401)
    elif who == "writer":
        assert r.status_code == 200, r.text
        assert {d["topic"] for d in r.json()["items"]} == {"est.polisen"}
        assert get(env, who, "/v1/dead-letters/%d" % ids["est.polisen"]).status_code == 200
        assert_problem(get(env, who, "/v1/dead-letters/%d" % ids["est.unbound"]), 404)
    elif who == "admin":
        assert {d["topic"] for d in r.json()["items"]} == {"est.polisen", "est.unbound"}
        assert get(env, who, "/v1/dead-letters/%d" % ids["est.unbound"]).status_code == 200
    else:  # no write-events scope
        assert_problem(r, 403)


@pytest.mark.parametrize("who", CLASSES)
def test_audit_images_admin_only(env, who):
    r = get(env, who, "/v1/audit")
    if who == "none":
        assert_problem(r, 401)
    elif who == "admin":
        assert r.status_code == 200
    else:
        assert_problem(r, 403)
