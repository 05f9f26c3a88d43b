"""The Police feed as it really is, against the real database: location.gps
is the municipality's (or county's) centroid, so such events are stored with
that precision, assigned to no area and to no hot spot, yet counted in the
whole municipality's totals; the occurrence time comes from `name`
(Europe/Stockholm), the publication time is kept beside it."""
import uuid

from conftest import register_source

POLICE_SOURCE = "https://polisen.se/api/events"  # registered for polisen-boras by the dev seed
WEEK = "2023-W06"  # 2023-02-06 .. 2023-02-13, no seeded events
CENTROID = (57.721035, 12.939819)  # Borås, as the feed gives it


def police_record(eid, day, hhmm, place="Borås", gps=CENTROID):
    return {"specversion": "1.0", "id": eid, "source": POLICE_SOURCE, "type": "se.polisen.event.v1",
            "party": "polisen-boras",
            "data": {"id": int(uuid.uuid4().int % 10**8), "datetime": f"2023-02-{day + 1:02d} 08:03:11 +01:00",
                     "name": f"{day} februari {hhmm}, Skadegörelse, {place}", "summary": "Fönster krossat.",
                     "url": "/aktuellt/handelser/2023/februari/", "type": "Skadegörelse",
                     "location": {"name": place, "gps": f"{gps[0]},{gps[1]}"}}}


def precise_incident(eid, source, day, lat, lon):
    return {"specversion": "1.0", "id": eid, "source": source, "type": "se.est.incident.v1", "party": "boras-stad",
            "data": {"category": "skadegorelse", "occurred_at": f"2023-02-{day:02d}T21:15:00+01:00",
                     "location": {"lat": lat, "lon": lon}}}


def situation(estd, **params):
    r = estd.get("/v1/situation", params={"week": WEEK, **params})
    assert r.status_code == 200, r.text
    return r.json()


def post(estd, events):
    r = estd.post("/v1/events", events, headers={"Content-Type": "application/cloudevents-batch+json"})
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == len(events), r.text


def test_centroid_events_count_in_the_municipality_but_in_no_district_or_hot_spot(estd):
    tag = uuid.uuid4().hex[:8]
    before = situation(estd)
    assert before["incidents"]["total"]["count"] == 0 and before["hot_spots"] == []
    # Six records at Borås' centroid (it lies in a district: a point there would make a hot spot).
    district = estd.sql("SELECT id FROM areas WHERE kind = 'district' AND "
                        "ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))", (CENTROID[1], CENTROID[0]))
    assert district, "the seed's districts no longer contain the Borås centroid"
    post(estd, [police_record(f"pol-{tag}-{i}", 7, f"{20 + i // 2}.1{i}") for i in range(6)]
         + [police_record(f"pol-{tag}-lan", 8, "9.05", place="Västra Götalands län", gps=(58.252793, 13.059643))])
    rows = estd.sql("SELECT source_event_id, location_precision, area_ids, occurred_at::text, published_at::text "
                    "FROM events WHERE source_event_id LIKE %s ORDER BY source_event_id", (f"pol-{tag}-%",))
    assert len(rows) == 7
    by_id = {r[0]: r for r in rows}
    assert by_id[f"pol-{tag}-0"][1:] == ("municipality", [], "2023-02-07 19:10:00+00", "2023-02-08 07:03:11+00")
    assert by_id[f"pol-{tag}-lan"][1:] == ("county", [], "2023-02-08 08:05:00+00", "2023-02-09 07:03:11+00")
    # The API shows both times and the precision.
    ev = estd.get("/v1/events", params={"source": POLICE_SOURCE, "from": "2023-02-07T00:00:00+01:00",
                                        "to": "2023-02-08T00:00:00+01:00", "limit": 100}).json()["items"]
    mine = [e for e in ev if e["source_event_id"].startswith(f"pol-{tag}-")]
    assert len(mine) == 6 and {e["location_precision"] for e in mine} == {"municipality"}
    assert all(e["area_ids"] == [] and e["published_at"] for e in mine)

    after = situation(estd)
    assert after["incidents"]["total"]["count"] == 7  # the whole municipality counts them
    assert after["hot_spots"] == []  # but they make no hot spot
    in_district = situation(estd, area_id=district[0][0])
    assert in_district["incidents"]["total"]["count"] == 0  # and are in no district

    # Control: the same six as precise points do make a hot spot in that district.
    s = register_source(estd.db, f"urn:police-control:{tag}")
    post(estd, [precise_incident(f"pt-{i}", s, 7, CENTROID[0] + i * 0.00001, CENTROID[1]) for i in range(6)])
    control = situation(estd)
    assert control["incidents"]["total"]["count"] == 13
    assert len(control["hot_spots"]) == 1 and control["hot_spots"][0]["incident_count"] == 6
    assert situation(estd, area_id=district[0][0])["incidents"]["total"]["count"] == 6
