"""Personal identity numbers never reach the database through a free-text
field: over HTTP each such field is refused with 422 naming the field, and
nothing is written (the Kafka path redacts instead: test_intake_kafka.py)."""
from conftest import assert_problem

PNR = "811218-9876"  # a syntactically valid personnummer (valid date and Luhn digit)


def count(estd, table):
    return estd.sql(f"SELECT count(*), coalesce(max(id), 0) FROM {table}")[0]


def test_commitment_text_and_note_refuse_personnummer(estd):
    before = count(estd, "commitments")
    for field, body in (("/text", {"text": f"Kontakta {PNR}"}),
                        ("/follow_up_note", {"text": "Åtagande", "follow_up_note": f"Samtal med 19{PNR}"})):
        body.update({"agreement_id": 1, "responsible_party_ids": [1]})
        doc = assert_problem(estd.post("/v1/commitments", body), 422, field)
        assert any("personnummer" in e["detail"] for e in doc["errors"])
    assert count(estd, "commitments") == before
    r = estd.get("/v1/commitments/1")
    patch = estd.patch("/v1/commitments/1", {"follow_up_note": f"Ring {PNR.replace('-', '')}"},
                       headers={"If-Match": r.headers["ETag"], "Content-Type": "application/merge-patch+json"})
    assert_problem(patch, 422, "/follow_up_note")
    assert estd.get("/v1/commitments/1").json() == r.json()


def test_area_and_focus_free_text_refuse_personnummer(estd):
    geom = {"type": "Polygon", "coordinates": [[[12.90, 57.70], [12.91, 57.70], [12.91, 57.71], [12.90, 57.70]]]}
    areas = count(estd, "areas")
    assert_problem(estd.post("/v1/areas", {"name": "Torget", "kind": "hot_spot", "geometry": geom,
                                           "description": f"Anmäld av {PNR}"}), 422, "/description")
    assert count(estd, "areas") == areas
    focuses = count(estd, "area_focuses")
    assert_problem(estd.post("/v1/area-focuses", {"area_id": 1, "agreement_id": 1, "valid_from": "2024-01-01",
                                                  "reason": f"Oro kring {PNR}"}), 422, "/reason")
    assert count(estd, "area_focuses") == focuses


def test_event_free_text_refuses_personnummer(estd):
    before = count(estd, "events")
    for data, field in (({"category": "klotter", "description": f"Gärningsperson {PNR}"}, "/data/description"),
                        ({"category": "klotter", "location": {"name": f"Trapphus {PNR}"}}, "/data/location/name")):
        ev = {"specversion": "1.0", "id": "pnr-" + field.replace("/", "-"), "source": "urn:test:pnr",
              "type": "se.est.incident.v1", "time": "2026-11-28T21:40:00+01:00", "party": "ab-bostader", "data": data}
        r = estd.post("/v1/events", ev, headers={"Content-Type": "application/cloudevents+json"})
        results = r.json()["results"]
        assert results[0]["status"] == "rejected", r.text
        assert any(e["field"] == field for e in results[0]["errors"]), results
    assert count(estd, "events") == before


def test_audit_images_are_redacted_when_written(estd):
    """The last line of defence: a row that carries a number (written
    before a screening rule existed, or by SQL) is redacted in every audit
    image written for it (here: before and after of an archive)."""
    cid = estd.sql("INSERT INTO commitments (agreement_id, text, status) VALUES (1, %s, 'planned') RETURNING id",
                   (f"Gammal rad: kontakt {PNR}",))[0][0]
    r = estd.delete(f"/v1/commitments/{cid}", headers={"If-Match": '"1"'})
    assert r.status_code == 204, r.text
    before, after = estd.sql("SELECT before::text, after::text FROM audit_log WHERE entity = 'commitment' "
                             "AND entity_id = %s AND action = 'archive'", (cid,))[0]
    assert PNR not in before and PNR not in after and PNR.replace("-", "") not in before
    assert "XXXXXX-XXXX" in before and "XXXXXX-XXXX" in after
