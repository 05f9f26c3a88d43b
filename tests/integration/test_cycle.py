"""The EST work cycle as records (issue 16), against the real PostgreSQL:
writable, versioned parties, agreements (revisions, signing) and
cooperation areas; meetings with a frozen lägesbild; actions with evidence
and findings; outcome indicators; follow-up reports at every cadence and
the statutory lägesbild; the whole cycle end to end; party scoping."""
import csv
import hashlib
import io
import os
import subprocess

import pytest
import requests

import sit_events
from conftest import ESTD_BIN, SQL_DIR, Estd, assert_problem, page_all, pg_url
from sit_events import HASSLEHOLMEN, HULTA, NORRBY, ev, insert

SECRET = "cycle-key-secret-" + "0123456789abcdef" * 3


def ids(server):
    parties = {code: i for i, code in server.sql("SELECT id, code FROM parties")}
    agreements = {code: i for i, code in server.sql("SELECT id, code FROM agreements")}
    areas = sit_events.area_ids(server)
    return parties, agreements, areas


def audit(server, entity, entity_id):
    return server.sql("SELECT action, before IS NOT NULL, after IS NOT NULL FROM audit_log WHERE entity = %s AND "
                      "entity_id = %s ORDER BY id", (entity, entity_id))


def etag(r):
    return r.headers["ETag"]


# ---- parties ----------------------------------------------------------------------------

def test_party_create_update_archive_with_if_match_and_audit(estd):
    r = estd.post("/v1/parties", {"code": "raddningstjansten", "name": "Södra Älvsborgs Räddningstjänstförbund",
                                  "kind": "other"})
    assert r.status_code == 201, r.text
    p = r.json()
    assert r.headers["Location"] == "/v1/parties/%d" % p["id"]
    assert etag(r) == '"1"' and p["version"] == 1 and p["archived_at"] is None
    assert audit(estd, "party", p["id"]) == [("create", False, True)]
    # duplicate code: 409 naming the field; invalid kind and missing name: 422 naming both
    assert_problem(estd.post("/v1/parties", {"code": "raddningstjansten", "name": "X", "kind": "other"}), 409, "/code")
    doc = assert_problem(estd.post("/v1/parties", {"code": "x-y", "kind": "church"}), 422)
    assert {"/name", "/kind"} <= {e["field"] for e in doc["errors"]}
    assert_problem(estd.post("/v1/parties", {"code": "Bad Code", "name": "X", "kind": "other"}), 422, "/code")
    # update: If-Match required, stale 412, then ok with a new version
    url = "/v1/parties/%d" % p["id"]
    assert_problem(estd.patch(url, {"name_en": "Rescue services"}), 428)
    assert_problem(estd.patch(url, {"name_en": "Rescue services"}, headers={"If-Match": '"7"'}), 412)
    r = estd.patch(url, {"name_en": "Rescue services"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["name_en"] == "Rescue services" and etag(r) == '"2"'
    assert_problem(estd.patch(url, {"name": None}, headers={"If-Match": '"2"'}), 422, "/name")
    # archive: If-Match required, a stale tag refused; then archived: still readable, out of the list
    assert_problem(estd.delete(url), 428)
    assert_problem(estd.delete(url, headers={"If-Match": '"1"'}), 412)
    assert estd.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    got = estd.get(url).json()
    assert got["archived_at"] is not None and got["version"] == 3
    assert p["id"] not in [x["id"] for x in page_all(estd, "/v1/parties")]
    assert p["id"] in [x["id"] for x in page_all(estd, "/v1/parties", {"archived": "true"})]
    assert estd.delete(url, headers={"If-Match": '"3"'}).status_code == 204  # idempotent, no new version
    assert estd.get(url).json()["version"] == 3
    r = estd.post(url + "/restore", headers={"If-Match": '"3"'})
    assert r.status_code == 200 and r.json()["archived_at"] is None and r.json()["version"] == 4
    assert p["id"] in [x["id"] for x in page_all(estd, "/v1/parties")]
    assert [a for a, _, _ in audit(estd, "party", p["id"])] == ["create", "update", "archive", "restore"]


def test_party_list_pages(estd):
    for i in range(3):
        assert estd.post("/v1/parties", {"code": "forening-%d" % i, "name": "Förening %d" % i,
                                         "kind": "other"}).status_code == 201
    everything = page_all(estd, "/v1/parties", {"sort": "name"}, limit=2)
    names = [p["name"] for p in everything]
    assert names == sorted(names) and len(names) == len(set(p["id"] for p in everything)) >= 6
    others = [p["code"] for p in page_all(estd, "/v1/parties", {"kind": "other"}, limit=1)]
    assert [c for c in others if c.startswith("forening-")] == ["forening-0", "forening-1", "forening-2"]
    assert all(p["kind"] == "other" for p in page_all(estd, "/v1/parties", {"kind": "other"}))


# ---- agreements, revisions, signing --------------------------------------------------------

NEXT = {"code": "boras-polisen-2021-2023", "title": "Samverkansöverenskommelse mellan Borås Stad och "
        "Polismyndigheten, lokalpolisområde Borås 2021-2023", "valid_from": "2021-01-01", "valid_to": "2023-12-31"}


@pytest.fixture(scope="module")
def follow_up(estd):
    """The follow-up agreement 2021-2023 entered through the API as a revision of the seed's 2018-2020."""
    _, agreements, _ = ids(estd)
    r = estd.post("/v1/agreements/%d/revisions" % agreements["boras-polisen-2018-2020"], NEXT)
    assert r.status_code == 201, r.text
    return r.json()


def test_revision_carries_commitments_over_and_keeps_history(estd, follow_up):
    _, agreements, _ = ids(estd)
    old_id = agreements["boras-polisen-2018-2020"]
    assert follow_up["previous_agreement_id"] == old_id and follow_up["supersedes"] is False
    assert [c["code"] for c in follow_up["cooperation_areas"]] == ["so-1", "so-2", "so-3"]
    assert {p["code"] for p in follow_up["parties"]} == {"polisen-boras", "boras-stad"}
    old = {c["id"]: c for c in page_all(estd, "/v1/commitments", {"agreement_id": old_id})}
    new = page_all(estd, "/v1/commitments", {"agreement_id": follow_up["id"]})
    assert len(new) == len(old) == 27
    preds = estd.sql("SELECT id, predecessor_commitment_id FROM commitments WHERE agreement_id = %s",
                     (follow_up["id"],))
    assert sorted(p for _, p in preds) == sorted(old)
    by_pred = {p: i for i, p in preds}
    for oid, oc in old.items():
        nc = next(c for c in new if c["id"] == by_pred[oid])
        assert nc["text"] == oc["text"] and nc["status"] == "planned"
        assert nc["responsible_party_ids"] == oc["responsible_party_ids"] and nc["area_ids"] == oc["area_ids"]
        assert nc["code"] == "%s-v%d" % (oc["code"], follow_up["id"])
        if oc["target"]:
            assert nc["target"]["from"] == "2021-01-01" and nc["target"]["to"] == "2023-12-31"
    # the predecessor is untouched: its own version, its commitments' codes and targets
    assert estd.get("/v1/agreements/%d" % old_id).json()["next_agreement_id"] == follow_up["id"]
    assert estd.get("/v1/agreements/%d" % old_id).json()["version"] == 1
    # indicators are carried too (progress of the new version measures the same way)
    assert estd.sql("SELECT count(*) FROM commitment_indicators ci JOIN commitments c ON c.id = ci.commitment_id "
                    "WHERE c.agreement_id = %s", (follow_up["id"],))[0][0] == 2
    rows = estd.sql("SELECT action, after->'carried_over_commitment_ids' FROM audit_log WHERE entity = 'agreement' "
                    "AND entity_id = %s", (follow_up["id"],))
    assert rows[0][0] == "create" and len(rows[0][1]) == 27


def test_revision_overlap_needs_explicit_supersede(estd, follow_up):
    base = estd.post("/v1/agreements", {"code": "ml-norrby-2021", "kind": "medborgarlofte", "title": "Medborgarlöfte "
                                        "Norrby 2021", "valid_from": "2021-01-01", "valid_to": "2021-12-31"})
    assert base.status_code == 201, base.text
    bid = base.json()["id"]
    before = estd.sql("SELECT count(*) FROM agreements")[0][0]
    overlap = {"code": "ml-norrby-2021-rev", "title": "Medborgarlöfte Norrby 2021 (reviderat)",
               "valid_from": "2021-07-01", "valid_to": "2022-06-30"}
    doc = assert_problem(estd.post("/v1/agreements/%d/revisions" % bid, overlap), 409, "/valid_from")
    assert "supersede" in doc["detail"]
    assert estd.sql("SELECT count(*) FROM agreements")[0][0] == before  # nothing half-written
    # supersede without an overlap is refused as meaningless
    assert_problem(estd.post("/v1/agreements/%d/revisions" % bid, dict(overlap, valid_from="2022-01-01",
                                                                        supersede=True)), 409, "/supersede")
    r = estd.post("/v1/agreements/%d/revisions" % bid, dict(overlap, supersede=True))
    assert r.status_code == 201, r.text
    assert r.json()["supersedes"] is True and r.json()["kind"] == "medborgarlofte"
    assert estd.get("/v1/agreements/%d" % bid).json()["effective_to"] == "2021-06-30"
    # one direct revision per version
    assert_problem(estd.post("/v1/agreements/%d/revisions" % bid, dict(overlap, code="another", supersede=True)), 409)
    # the seed's follow-up period cannot start before it either
    assert_problem(estd.post("/v1/agreements/%d/revisions" % follow_up["id"], dict(NEXT, code="x", valid_from="2020-06-01",
                                                                                   supersede=True)), 409, "/valid_from")


def test_seed_signatories_are_shown_by_role_title(estd):
    _, agreements, _ = ids(estd)
    a = estd.get("/v1/agreements/%d" % agreements["boras-polisen-2018-2020"]).json()
    roles = {p["code"]: (p["signatory_role"], p["signed_on"]) for p in a["parties"]}
    assert roles == {"boras-stad": ("Kommunstyrelsens ordförande", "2018-02-20"),
                     "polisen-boras": ("Lokalpolisområdeschef", "2018-02-20")}


def test_agreement_crud_and_signing_with_role_titles(estd):
    parties, _, _ = ids(estd)
    r = estd.post("/v1/agreements", {"code": "boras-bostader-2022", "kind": "samverkansoverenskommelse",
                                     "title": "Överenskommelse Borås Stad och AB Bostäder 2022", "valid_from":
                                     "2022-01-01", "valid_to": "2022-12-31", "party_ids": [parties["boras-stad"]],
                                     "goals": ["Ökad trygghet"]})
    assert r.status_code == 201, r.text
    a = r.json()
    url = "/v1/agreements/%d" % a["id"]
    assert_problem(estd.post("/v1/agreements", {"code": "z", "kind": "avtal", "title": "", "valid_from": "2022-02-01",
                                                "valid_to": "2022-01-01"}), 422)
    assert_problem(estd.patch(url, {"valid_to": "2021-01-01"}, headers={"If-Match": '"1"'}), 422, "/valid_to")
    r = estd.patch(url, {"party_ids": [parties["boras-stad"], parties["ab-bostader"]]}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and {p["code"] for p in r.json()["parties"]} == {"boras-stad", "ab-bostader"}
    sign = {"signed_on": "2022-01-15", "signatories": [
        {"party_id": parties["boras-stad"], "role_title": "Kommunstyrelsens ordförande"},
        {"party_id": parties["ab-bostader"], "role_title": "Verkställande direktör"}]}
    assert_problem(estd.post(url + "/signing", sign), 428)
    assert_problem(estd.post(url + "/signing", sign, headers={"If-Match": '"1"'}), 412)
    bad = {"signed_on": "2022-01-15", "signatories": [{"party_id": parties["boras-stad"],
                                                       "role_title": "Ordförande 19121212-1212"}]}
    assert_problem(estd.post(url + "/signing", bad, headers={"If-Match": '"2"'}), 422, "/signatories/0/role_title")
    r = estd.post(url + "/signing", sign, headers={"If-Match": '"2"'})
    assert r.status_code == 200, r.text
    signed = r.json()
    assert signed["signed_on"] == "2022-01-15"
    assert {p["signatory_role"] for p in signed["parties"]} == {"Kommunstyrelsens ordförande", "Verkställande direktör"}
    assert all(p["signed_on"] == "2022-01-15" for p in signed["parties"])
    assert_problem(estd.post(url + "/signing", sign, headers={"If-Match": etag(r)}), 409)
    assert [x for x, _, _ in audit(estd, "agreement", a["id"])] == ["create", "update", "update"]
    assert estd.delete(url, headers={"If-Match": etag(r)}).status_code == 204
    assert a["id"] not in [x["id"] for x in page_all(estd, "/v1/agreements")]


# ---- cooperation areas ------------------------------------------------------------------------

def test_cooperation_areas_crud_filter_paging(estd, follow_up):
    r = estd.post("/v1/cooperation-areas", {"agreement_id": follow_up["id"], "code": "so-4", "title":
                                            "Trygg skolväg", "ordinal": 4})
    assert r.status_code == 201, r.text
    ca = r.json()
    assert_problem(estd.post("/v1/cooperation-areas", {"agreement_id": follow_up["id"], "code": "so-4", "title": "x",
                                                       "ordinal": 5}), 409, "/code")
    assert_problem(estd.post("/v1/cooperation-areas", {"agreement_id": 999999, "code": "so-9", "title": "x",
                                                       "ordinal": 5}), 422, "/agreement_id")
    url = "/v1/cooperation-areas/%d" % ca["id"]
    assert_problem(estd.patch(url, {"agreement_id": 1}, headers={"If-Match": '"1"'}), 422, "/agreement_id")
    r = estd.patch(url, {"title": "Trygg skolväg och fritid"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["version"] == 2
    listed = page_all(estd, "/v1/cooperation-areas", {"agreement_id": follow_up["id"], "sort": "ordinal"}, limit=1)
    assert [c["code"] for c in listed] == ["so-1", "so-2", "so-3", "so-4"]
    assert estd.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    assert [c["code"] for c in page_all(estd, "/v1/cooperation-areas", {"agreement_id": follow_up["id"]})] == \
        ["so-1", "so-2", "so-3"]
    assert [x for x, _, _ in audit(estd, "cooperation_area", ca["id"])] == ["create", "update", "archive"]


# ---- meetings and the frozen lägesbild -------------------------------------------------------

def week_of_incidents(db, day_prefix="2021-02-2", at=NORRBY, n=8):
    rows = [ev("incident", "polisen-boras", "%s%d 2%d:00" % (day_prefix, 2 + i % 5, i % 4), at,
               category="skadegorelse", dx=0.0002 * i, dy=0.0001 * (i % 3)) for i in range(n)]
    insert(db, rows)


@pytest.fixture(scope="module")
def meeting(estd, db, follow_up):
    parties, _, _ = ids(estd)
    week_of_incidents(db)
    served = estd.get("/v1/situation", params={"week": "2021-W08"})  # what the meeting is shown
    r = estd.post("/v1/meetings", {"agreement_id": follow_up["id"], "held_on": "2021-03-01", "week": "2021-W08",
                                   "party_ids": [parties["polisen-boras"], parties["boras-stad"], parties["ab-bostader"]],
                                   "title": "EST-möte vecka 9", "decisions": ["Fotpatrullering vid hot spot 1"],
                                   "hot_spots": [{"rank": 1, "reason": "Skadegörelse kvällstid vid centrumhuset",
                                                  "valid_from": "2021-03-01", "valid_to": "2021-03-31"}]})
    assert r.status_code == 201, r.text
    return dict(r.json(), served_before=served.content)


def test_meeting_freezes_the_lagesbild_byte_for_byte(estd, db, meeting):
    url = "/v1/meetings/%d/lagesbild" % meeting["id"]
    first = estd.get(url)
    assert first.status_code == 200
    assert hashlib.sha256(first.content).hexdigest() == meeting["snapshot"]["sha256"]
    assert first.headers["ETag"] == '"%s"' % meeting["snapshot"]["sha256"]
    assert len(first.content) == meeting["snapshot"]["bytes"]
    # it is what /v1/situation served for that week at that moment
    assert meeting["served_before"] == first.content
    # more events arrive for the same week: the situation changes, the snapshot does not
    insert(db, [ev("incident", "polisen-boras", "2021-02-25 22:30", NORRBY, category="klotter")])
    now = estd.get("/v1/situation", params={"week": "2021-W08"})
    assert now.content != first.content
    again = estd.get(url)
    assert again.content == first.content
    assert estd.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    diff = estd.get("/v1/meetings/%d/diff" % meeting["id"]).json()
    assert diff["changed"] is True and diff["total"]["change"] == 1
    klotter = next(c for c in diff["by_category"] if c["code"] == "klotter")
    assert (klotter["then"], klotter["now"], klotter["change"]) == (0, 1, 1)


def test_snapshot_cannot_be_edited(estd, meeting):
    url = "/v1/meetings/%d" % meeting["id"]
    for method in ("put", "patch", "delete"):
        assert_problem(getattr(requests, method)(estd.url(url + "/lagesbild"), timeout=10), 405)
    assert_problem(estd.patch(url, {"held_on": "2021-03-02"}, headers={"If-Match": '"1"'}), 409, "/held_on")
    assert_problem(estd.patch(url, {"snapshot": "{}"}, headers={"If-Match": '"1"'}), 409, "/snapshot")
    # the database refuses it too, whatever path a write takes
    with pytest.raises(Exception, match="cannot be changed"):
        estd.sql("UPDATE meetings SET snapshot_body = '{}' WHERE id = %s", (meeting["id"],))
    r = estd.patch(url, {"notes": "Uppföljning nästa vecka"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["snapshot"]["sha256"] == meeting["snapshot"]["sha256"]
    assert [x for x, _, _ in audit(estd, "meeting", meeting["id"])] == ["create", "update"]


def test_chosen_hot_spots_become_focuses(estd, meeting, follow_up):
    assert len(meeting["focus_ids"]) == 1
    f = estd.get("/v1/area-focuses/%d" % meeting["focus_ids"][0]).json()
    assert f["agreement_id"] == follow_up["id"] and f["reason"] == "Skadegörelse kvällstid vid centrumhuset"
    assert (f["valid_from"], f["valid_to"]) == ("2021-03-01", "2021-03-31")
    area = estd.get("/v1/areas/%d" % f["area_id"]).json()
    assert area["kind"] == "hot_spot" and area["approximate"] is True
    # the hot spot's area holds the incidents it was drawn around
    n = estd.sql("SELECT count(*) FROM events e JOIN areas a ON ST_Contains(a.geom, e.geom) WHERE a.id = %s AND "
                 "e.category = 'skadegorelse'", (f["area_id"],))[0][0]
    assert n >= 5
    # ... and they are assigned to it (event_areas and events.area_ids alike: store_areas_reassign)
    assert estd.sql("SELECT count(*) FROM event_areas ea JOIN events e ON e.id = ea.event_id WHERE ea.area_id = %s "
                    "AND e.category = 'skadegorelse' AND %s = ANY (e.area_ids)", (f["area_id"], f["area_id"]))[0][0] == n
    assert estd.sql("SELECT meeting_id FROM area_focuses WHERE id = %s", (f["id"],))[0][0] == meeting["id"]
    assert audit(estd, "area_focus", f["id"]) == [("create", False, True)]


def test_meeting_with_unknown_hot_spot_rank_writes_nothing(estd, follow_up):
    parties, _, _ = ids(estd)
    counts = lambda: estd.sql("SELECT (SELECT count(*) FROM meetings), (SELECT count(*) FROM areas), "
                              "(SELECT count(*) FROM area_focuses), (SELECT count(*) FROM audit_log)")[0]
    before = counts()
    r = estd.post("/v1/meetings", {"agreement_id": follow_up["id"], "held_on": "2021-03-08", "week": "2021-W08",
                                   "party_ids": [parties["polisen-boras"]], "hot_spots": [
                                       {"rank": 1, "reason": "a", "valid_from": "2021-03-08", "valid_to": "2021-03-31"},
                                       {"rank": 40, "reason": "b", "valid_from": "2021-03-08", "valid_to": "2021-03-31"}]})
    assert_problem(r, 422, "/hot_spots/1/rank")
    assert counts() == before
    assert_problem(estd.post("/v1/meetings", {"agreement_id": follow_up["id"], "held_on": "2021-03-08",
                                              "party_ids": [999999]}), 422, "/party_ids")
    assert_problem(estd.post("/v1/meetings", {"agreement_id": follow_up["id"], "held_on": "2021-03-08",
                                              "party_ids": [1], "area_id": 999999}), 422, "/area_id")
    assert counts() == before


def test_meetings_list_filters_and_paging(estd, meeting, follow_up):
    parties, _, _ = ids(estd)
    r = estd.post("/v1/meetings", {"agreement_id": follow_up["id"], "held_on": "2021-03-08",
                                   "party_ids": [parties["boras-stad"]]})
    assert r.status_code == 201, r.text
    assert r.json()["week"] == "2021-W09"  # default: the ISO week before the meeting
    both = page_all(estd, "/v1/meetings", {"agreement_id": follow_up["id"], "sort": "-held_on"}, limit=1)
    assert [m["held_on"] for m in both] == ["2021-03-08", "2021-03-01"]
    assert [m["id"] for m in page_all(estd, "/v1/meetings", {"party_id": parties["ab-bostader"]})] == [meeting["id"]]
    assert [m["id"] for m in page_all(estd, "/v1/meetings", {"from": "2021-03-02", "to": "2021-03-31"})] == \
        [r.json()["id"]]


# ---- actions ------------------------------------------------------------------------------------

def commitment_of(estd, agreement_id, code_prefix):
    return next(c for c in page_all(estd, "/v1/commitments", {"agreement_id": agreement_id})
                if c["code"].startswith(code_prefix))


def test_action_for_a_commitment_of_another_agreement_is_422(estd, follow_up, meeting):
    parties, agreements, areas = ids(estd)
    old = commitment_of(estd, agreements["boras-polisen-2018-2020"], "so-2-polisen-2")
    before = estd.sql("SELECT count(*) FROM actions")[0][0]
    assert_problem(estd.post("/v1/actions", {"agreement_id": follow_up["id"], "commitment_id": old["id"],
                                             "responsible_party_id": parties["polisen-boras"],
                                             "area_id": areas["norrby"], "title": "Patrull"}), 422, "/commitment_id")
    # a meeting of another agreement likewise
    assert_problem(estd.post("/v1/actions", {"agreement_id": agreements["boras-polisen-2018-2020"],
                                             "meeting_id": meeting["id"], "responsible_party_id": 1,
                                             "area_id": areas["norrby"], "title": "Patrull"}), 422, "/meeting_id")
    assert_problem(estd.post("/v1/actions", {"agreement_id": follow_up["id"], "responsible_party_id": 1,
                                             "title": "Utan plats"}), 422, "/area_id")
    assert_problem(estd.post("/v1/actions", {"agreement_id": follow_up["id"], "responsible_party_id": 1,
                                             "area_id": areas["norrby"], "title": "x", "planned_from": "2021-03-10",
                                             "planned_to": "2021-03-01"}), 422, "/planned_to")
    assert estd.sql("SELECT count(*) FROM actions")[0][0] == before


def test_action_status_transitions_evidence_and_findings(estd, db, follow_up):
    parties, _, areas = ids(estd)
    c = commitment_of(estd, follow_up["id"], "so-2-boras-stad-3")
    r = estd.post("/v1/actions", {"agreement_id": follow_up["id"], "commitment_id": c["id"], "kind": "trygghetsvandring",
                                  "responsible_party_id": parties["boras-stad"], "area_id": areas["norrby"],
                                  "title": "Trygghetsvandring Norrby", "planned_from": "2021-04-12",
                                  "planned_to": "2021-04-12"})
    assert r.status_code == 201, r.text
    walk = r.json()
    url = "/v1/actions/%d" % walk["id"]
    assert walk["status"] == "planned" and walk["open"] is True
    assert_problem(estd.patch(url, {"status": "done"}), 428)
    r = estd.patch(url, {"status": "done", "outcome_note": "12 deltagare"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert_problem(estd.patch(url, {"status": "cancelled"}, headers={"If-Match": '"2"'}), 422, "/status")
    # the walk as an event, linked as evidence (idempotent; a new link is a new version)
    insert(db, [ev("activity", "boras-stad", "2021-04-12 18:00", NORRBY, activity_type="trygghetsvandring")])
    event_id = estd.sql("SELECT max(id) FROM events WHERE activity_type = 'trygghetsvandring'")[0][0]
    r = estd.post(url + "/evidence", {"event_id": event_id})
    assert r.status_code == 200 and [e["event_id"] for e in r.json()["evidence"]] == [event_id]
    v = r.json()["version"]
    assert estd.post(url + "/evidence", {"event_id": event_id}).json()["version"] == v
    assert_problem(estd.post(url + "/evidence", {"event_id": 99999999}), 422, "/event_id")
    # findings become actions for the responsible party
    r = estd.post(url + "/findings", {"title": "Trasig belysning i gångtunneln", "responsible_party_id":
                                      parties["ab-bostader"], "planned_to": "2021-05-01"})
    assert r.status_code == 201, r.text
    finding = r.json()
    assert finding["found_in_action_id"] == walk["id"] and finding["kind"] == "repair"
    assert finding["agreement_id"] == follow_up["id"] and finding["commitment_id"] == c["id"]
    assert finding["area_id"] == areas["norrby"] and finding["responsible_party_id"] == parties["ab-bostader"]
    assert estd.get(url).json()["finding_ids"] == [finding["id"]]
    assert_problem(estd.post("/v1/actions/%d/findings" % finding["id"], {"title": "x", "responsible_party_id": 1}),
                   409, "/kind")
    r = estd.delete(url + "/evidence/%d" % event_id)
    assert r.status_code == 200 and r.json()["evidence"] == []
    assert_problem(estd.delete(url + "/evidence/%d" % event_id), 404)
    assert [a for a, _, _ in audit(estd, "action", walk["id"])] == ["create", "update", "update", "update"]
    # filters and paging
    opened = page_all(estd, "/v1/actions", {"agreement_id": follow_up["id"], "open": "true"}, limit=1)
    assert finding["id"] in [a["id"] for a in opened] and walk["id"] not in [a["id"] for a in opened]
    assert [a["id"] for a in page_all(estd, "/v1/actions", {"found_in_action_id": walk["id"]})] == [finding["id"]]
    assert walk["id"] in [a["id"] for a in page_all(estd, "/v1/actions", {"status": "done",
                                                                          "responsible_party_id": parties["boras-stad"]})]
    assert_problem(estd.get("/v1/actions", params={"status": "finished"}), 400)


# ---- indicators and outcome targets -----------------------------------------------------------

def test_indicator_values_need_unit_and_source_and_judge_outcomes(estd, follow_up):
    _, _, areas = ids(estd)
    base = {"indicator": "trygghet", "measure": "andel-trygga-kvall", "area_id": areas["norrby"],
            "period_from": "2017-01-01", "period_to": "2017-12-31", "value": 48.0, "unit": "percent",
            "source": "Trygghetsundersökning Borås Stad 2017", "sample_size": 412, "margin_of_error": 4.8}
    for missing in ("unit", "source"):
        doc = assert_problem(estd.post("/v1/indicator-values", {k: v for k, v in base.items() if k != missing}), 422,
                             "/" + missing)
        assert doc["errors"][0]["field"] == "/" + missing
    r = estd.post("/v1/indicator-values", base)
    assert r.status_code == 201, r.text
    b = r.json()
    assert (b["value"], b["margin_of_error"], b["sample_size"]) == (48.0, 4.8, 412)
    assert_problem(estd.post("/v1/indicator-values", base), 409, "/source")
    # the next survey: 55 % ± 4.5 — a change of 7 within the combined margins of 9.3 is not significant
    later = dict(base, period_from="2021-01-01", period_to="2021-12-31", value=55.0, margin_of_error=4.5,
                 source="Trygghetsmätning Borås Stad 2021")
    r2 = estd.post("/v1/indicator-values", later)
    assert r2.status_code == 201, r2.text
    c = commitment_of(estd, follow_up["id"], "so-3-polisen-1")
    target = {"indicator": "trygghet", "measure": "andel-trygga-kvall", "area_id": areas["norrby"],
              "direction": "increase", "baseline_value_id": b["id"]}
    r = estd.put("/v1/commitments/%d/outcome-target" % c["id"], target)
    assert r.status_code == 201, r.text
    j = r.json()
    assert j["latest"]["id"] == r2.json()["id"]
    assert j["judgement"]["verdict"] == "no_significant_change" and j["judgement"]["combined_margin"] == 9.3
    p = estd.get("/v1/commitments/%d/progress" % c["id"]).json()
    assert p["outcome"]["judgement"]["verdict"] == "no_significant_change"
    # a later value beyond the margins is judged improved
    r3 = estd.patch("/v1/indicator-values/%d" % r2.json()["id"], {"value": 60.0, "margin_of_error": 3.0},
                    headers={"If-Match": etag(r2)})
    assert r3.status_code == 200, r3.text
    j = estd.get("/v1/commitments/%d/outcome-target" % c["id"]).json()
    assert j["judgement"]["verdict"] == "improved" and j["judgement"]["significant"] is True
    # the baseline must be of the same measure; replacing gives 200
    other = estd.post("/v1/indicator-values", dict(base, measure="andel-utsatta", indicator="utsatthet")).json()
    assert_problem(estd.put("/v1/commitments/%d/outcome-target" % c["id"], dict(target, baseline_value_id=other["id"])),
                   422, "/baseline_value_id")
    assert estd.put("/v1/commitments/%d/outcome-target" % c["id"], dict(target, direction="decrease")).status_code == 200
    assert estd.get("/v1/commitments/%d/outcome-target" % c["id"]).json()["judgement"]["verdict"] == "worsened"
    listed = page_all(estd, "/v1/indicator-values", {"area_id": areas["norrby"], "indicator": "trygghet",
                                                     "from": "2020-01-01", "sort": "period_from"}, limit=1)
    assert [v["source"] for v in listed] == ["Trygghetsmätning Borås Stad 2021"]
    assert [a for a, _, _ in audit(estd, "commitment_outcome_target", c["id"])] == ["create", "update"]
    assert estd.delete("/v1/commitments/%d/outcome-target" % c["id"]).status_code == 204
    assert_problem(estd.get("/v1/commitments/%d/outcome-target" % c["id"]), 404)


def test_patrols_without_duration_count_instead_of_zero_hours(estd, db, follow_up):
    # ml-1 (medborgarlöftet 2018) measures patrol hours in the särskilt utsatta områdena
    c = next(x for x in page_all(estd, "/v1/commitments") if x["code"] == "ml-1")
    insert(db, [ev("patrol", "polisen-boras", "2018-06-%02d 20:00" % d, NORRBY) for d in (4, 5, 6)])
    p = estd.get("/v1/commitments/%d/progress" % c["id"]).json()
    assert p["measure_used"] == "count" and p["total"] == 3 and p["events_without_duration"] == 3
    insert(db, [ev("patrol", "polisen-boras", "2018-06-07 20:00", NORRBY, duration_s=5400)])
    p = estd.get("/v1/commitments/%d/progress" % c["id"]).json()
    assert p["measure_used"] == "duration_hours" and p["total"] == 1.5 and p["events_without_duration"] == 3


# ---- follow-up reports ------------------------------------------------------------------------

def test_both_agreement_periods_report_separately(estd, db, follow_up):
    _, agreements, areas = ids(estd)
    old_id = agreements["boras-polisen-2018-2020"]
    insert(db, [ev("incident", "polisen-boras", "2019-05-1%d 21:00" % d, HASSLEHOLMEN, category="brand")
                for d in range(5)])
    insert(db, [ev("incident", "polisen-boras", "2022-05-1%d 21:00" % d, HASSLEHOLMEN, category="brand")
                for d in range(7)])
    old = estd.get("/v1/agreements/%d/follow-up" % old_id, params={"cadence": "period"}).json()
    new = estd.get("/v1/agreements/%d/follow-up" % follow_up["id"], params={"cadence": "period"}).json()
    assert old["period"] == {"from": "2018-01-01", "to": "2020-12-31", "time_zone": "Europe/Stockholm"}
    assert new["period"]["from"] == "2021-01-01" and new["period"]["to"] == "2023-12-31"
    assert not {c["id"] for c in old["commitments"]} & {c["id"] for c in new["commitments"]}
    trend = lambda doc: next(t for t in doc["incident_trends"] if t["code"] == "hassleholmen")
    assert trend(old)["total"] == 5 and trend(new)["total"] == 7
    y2019 = estd.get("/v1/agreements/%d/follow-up" % old_id, params={"cadence": "year", "period": "2019"}).json()
    assert trend(y2019)["total"] == 5 and len(trend(y2019)["series"]) == 12
    assert_problem(estd.get("/v1/agreements/%d/follow-up" % old_id, params={"cadence": "year", "period": "2022"}),
                   400, "period")
    wk = estd.get("/v1/agreements/%d/follow-up" % follow_up["id"], params={"cadence": "week", "period": "2022-W19"})
    assert wk.status_code == 200 and len(trend(wk.json())["series"]) == 7


def test_full_cycle_events_meeting_focus_action_patrols_quarterly_report(estd, db, follow_up):
    """events → meeting → chosen hot spot becomes a focus → action → patrols linked → quarterly report."""
    parties, _, areas = ids(estd)
    week_of_incidents(db, day_prefix="2022-03-0", at=HULTA, n=9)  # 2022-W09 (2022-03-02..06)
    r = estd.post("/v1/meetings", {"agreement_id": follow_up["id"], "held_on": "2022-03-07", "week": "2022-W09",
                                   "area_id": areas["hulta"], "party_ids": [parties["polisen-boras"],
                                                                            parties["boras-stad"]],
                                   "decisions": ["Polisen patrullerar hot spot 1 under mars"],
                                   "hot_spots": [{"rank": 1, "reason": "Skadegörelse vid Hulta torg",
                                                  "valid_from": "2022-03-07", "valid_to": "2022-03-31", "priority": 1}]})
    assert r.status_code == 201, r.text
    m = r.json()
    focus = estd.get("/v1/area-focuses/%d" % m["focus_ids"][0]).json()
    c = commitment_of(estd, follow_up["id"], "so-2-polisen-2")  # identifiera hot-spots och arbeta med insatser
    r = estd.post("/v1/actions", {"agreement_id": follow_up["id"], "meeting_id": m["id"], "commitment_id": c["id"],
                                  "responsible_party_id": parties["polisen-boras"], "area_focus_id": focus["id"],
                                  "kind": "patrol", "title": "Fotpatrullering Hulta torg", "planned_from":
                                  "2022-03-07", "planned_to": "2022-03-31"})
    assert r.status_code == 201, r.text
    action = r.json()
    # the lägesbild and the commitments board show the open action in its area
    sit = estd.get("/v1/situation", params={"week": "2022-W10"}).json()
    oa = next(x for x in sit["open_actions"] if x["area_id"] == focus["area_id"])
    assert oa["count"] == 1 and oa["href"] == "/v1/actions?area_id=%d&open=true" % focus["area_id"]
    listed = estd.get(oa["href"]).json()["items"]
    assert [x["id"] for x in listed] == [action["id"]]
    board = next(x for x in page_all(estd, "/v1/commitments", {"agreement_id": follow_up["id"], "include": "progress"})
                 if x["id"] == c["id"])
    assert board["progress"]["open_actions"]["count"] == 1
    assert board["progress"]["open_actions"]["by_area"] == [{"area_id": focus["area_id"], "count": 1}]
    insert(db, [ev("patrol", "polisen-boras", "2022-03-%02d 21:00" % d, HULTA, duration_s=3600) for d in (8, 15, 22)])
    patrols = [i for i, in estd.sql("SELECT id FROM events WHERE kind = 'patrol' AND occurred_at >= '2022-03-08' "
                                    "AND occurred_at < '2022-03-23' ORDER BY id")]
    for e in patrols:
        assert estd.post("/v1/actions/%d/evidence" % action["id"], {"event_id": e}).status_code == 200
    r = estd.patch("/v1/actions/%d" % action["id"], {"status": "done", "outcome_note": "Tre kvällspass genomförda"},
                   headers={"If-Match": '"%d"' % (action["version"] + 3)})
    assert r.status_code == 200, r.text
    rep = estd.get("/v1/agreements/%d/follow-up" % follow_up["id"], params={"cadence": "quarter", "period": "2022-Q1"})
    assert rep.status_code == 200, rep.text
    doc = rep.json()
    assert doc["period"]["from"] == "2022-01-01" and doc["period"]["to"] == "2022-03-31" and doc["bucket"] == "week"
    a = next(x for x in doc["actions"] if x["id"] == action["id"])
    assert a["status"] == "done" and a["evidence_count"] == 3 and a["evidence_hours"] == 3.0
    assert a["outcome_note"] == "Tre kvällspass genomförda" and a["area_id"] == focus["area_id"]
    mt = next(x for x in doc["meetings"] if x["id"] == m["id"])
    assert mt["focus_count"] == 1 and mt["action_count"] == 1 and mt["snapshot_sha256"] == m["snapshot"]["sha256"]
    hulta = next(t for t in doc["incident_trends"] if t["area_id"] == areas["hulta"])
    assert hulta["total"] == 9
    hs = next(t for t in doc["incident_trends"] if t["area_id"] == focus["area_id"])
    assert hs["kind"] == "hot_spot" and hs["total"] >= 5
    cm = next(x for x in doc["commitments"] if x["id"] == c["id"])
    assert cm["open_actions"] == 0 and cm["progress"]["open_actions"]["count"] == 0
    assert all(x["area_id"] != focus["area_id"] for x in estd.get("/v1/situation").json()["open_actions"])
    # the action appears in the quarter's CSV with its evidence
    text = estd.get("/v1/agreements/%d/follow-up" % follow_up["id"],
                    params={"cadence": "quarter", "period": "2022-Q1", "format": "csv"}).text
    assert estd.get("/v1/agreements/%d/follow-up.csv" % follow_up["id"],
                    params={"cadence": "quarter", "period": "2022-Q1"}).text == text  # the CSV-only twin
    rows = list(csv.DictReader(io.StringIO(text)))
    row = next(x for x in rows if x["section"] == "action" and x["id"] == str(action["id"]))
    assert row["status"] == "done" and row["value"] == "3" and row["note"] == "Tre kvällspass genomförda"
    assert any(x["section"] == "meeting" and x["id"] == str(m["id"]) for x in rows)
    # another quarter does not show it
    q2 = estd.get("/v1/agreements/%d/follow-up" % follow_up["id"], params={"cadence": "quarter", "period": "2022-Q2"})
    assert action["id"] not in [x["id"] for x in q2.json()["actions"]]


def test_statutory_lagesbild_sections(estd, follow_up):
    r = estd.get("/v1/agreements/%d/statutory-report" % follow_up["id"], params={"from": "2022-01-01",
                                                                                 "to": "2022-12-31"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert "2023:196" in doc["legal_basis"]
    s = doc["sections"]
    assert {"kartlaggning", "ovrig_relevant_information", "analys"} <= set(s)
    assert s["kartlaggning"]["incidents"]["total"] >= 16
    assert any(t["code"] == "hulta" for t in s["kartlaggning"]["incident_trends"])
    assert any(a["kind"] == "patrol" for a in s["ovrig_relevant_information"]["actions"])
    parts = s["analys"]["parts"]
    assert parts and all(p["text"] is None and p["placeholder"] for p in parts)
    text = estd.get("/v1/agreements/%d/statutory-report" % follow_up["id"], headers={"Accept": "text/csv"}).text
    assert text.startswith("section,item,area,value,note\r\n") and "\r\nanalys," in text
    twin = estd.get("/v1/agreements/%d/statutory-report.csv" % follow_up["id"])  # the CSV-only twin
    assert twin.status_code == 200 and twin.headers["Content-Type"].startswith("text/csv") and twin.text == text
    assert_problem(estd.get("/v1/agreements/%d/statutory-report.csv" % follow_up["id"],
                            params={"from": "2022-01-01", "to": "2021-01-01"}), 400, "to")
    assert_problem(estd.get("/v1/agreements/%d/statutory-report" % follow_up["id"],
                            params={"from": "2022-01-01", "to": "2021-01-01"}), 400, "to")


# ---- party scoping (auth on) --------------------------------------------------------------------

def key(db, party, scopes):
    env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR, ESTD_KEY_SECRET=SECRET,
               ESTD_LOG_LEVEL="warn")
    r = subprocess.run([ESTD_BIN, "keys", "create", "--party", party, "--scopes", scopes, "--name", party + scopes],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return {"Authorization": "Bearer " + r.stdout.strip()}


@pytest.fixture(scope="module")
def secured(db):
    s = Estd(db, env={"ESTD_AUTH": "required", "ESTD_KEY_SECRET": SECRET, "ESTD_AUTH_CACHE_TTL_MS": "0",
                      "ESTD_RATE_LIMIT_RPS": "0"}).start()
    yield s
    assert s.stop() == 0, s.read_log()[-3000:]


def test_only_the_responsible_party_or_admin_updates_an_action(estd, db, secured, follow_up):
    parties, _, areas = ids(estd)
    polis = key(db, "polisen-boras", "read,write-commitments")
    stad = key(db, "boras-stad", "read,write-commitments")
    admin = key(db, "boras-stad", "admin")
    body = {"agreement_id": follow_up["id"], "responsible_party_id": parties["polisen-boras"],
            "area_id": areas["norrby"], "kind": "patrol", "title": "Kvällspatrull Norrby"}
    # a party enters actions only for itself
    assert_problem(requests.post(secured.url("/v1/actions"), json=body, headers=stad, timeout=10), 403,
                   "/responsible_party_id")
    r = requests.post(secured.url("/v1/actions"), json=body, headers=polis, timeout=10)
    assert r.status_code == 201, r.text
    a = r.json()
    url = secured.url("/v1/actions/%d" % a["id"])
    h = lambda k, v: dict(k, **{"If-Match": '"%d"' % v})
    assert_problem(requests.patch(url, json={"status": "ongoing"}, headers=h(stad, 1), timeout=10), 403)
    assert_problem(requests.post(url + "/evidence", json={"event_id": 1}, headers=stad, timeout=10), 403)
    assert_problem(requests.delete(url, headers=stad, timeout=10), 403)
    # the responsible party changes status and outcome, not who is responsible
    assert_problem(requests.patch(url, json={"responsible_party_id": parties["boras-stad"]}, headers=h(polis, 1),
                                  timeout=10), 403)
    r = requests.patch(url, json={"status": "ongoing"}, headers=h(polis, 1), timeout=10)
    assert r.status_code == 200, r.text
    r = requests.patch(url, json={"responsible_party_id": parties["boras-stad"]}, headers=h(admin, 2), timeout=10)
    assert r.status_code == 200 and r.json()["responsible_party_id"] == parties["boras-stad"]
    rows = estd.sql("SELECT action, party_id, key_id IS NOT NULL FROM audit_log WHERE entity = 'action' AND "
                    "entity_id = %s ORDER BY id", (a["id"],))
    assert rows == [("create", parties["polisen-boras"], True), ("update", parties["polisen-boras"], True),
                    ("update", parties["boras-stad"], True)]
    # writing parties, agreements and indicators' archive needs admin
    assert_problem(requests.post(secured.url("/v1/parties"), json={"code": "x", "name": "x", "kind": "other"},
                                 headers=polis, timeout=10), 403)


def test_reports_suppress_small_counts_without_read_detail(db, secured, follow_up):
    reader = key(db, "boras-stad", "read")
    detail = key(db, "polisen-boras", "read,read-detail")
    params = {"cadence": "year", "period": "2022"}
    url = secured.url("/v1/agreements/%d/follow-up" % follow_up["id"])
    plain = requests.get(url, params=params, headers=reader, timeout=30).json()
    full = requests.get(url, params=params, headers=detail, timeout=30).json()
    assert plain["privacy"]["suppression_applied"] is True and full["privacy"]["suppression_applied"] is False
    k = plain["privacy"]["protection"]["base"]
    assert k >= 2 and full["privacy"]["protection"] is None
    pick = lambda doc: next(t for t in doc["incident_trends"] if t["code"] == "hassleholmen")
    may = lambda doc: next(s for s in pick(doc)["series"] if s["from"] == "2022-05-01")
    assert may(full)["count"] == 7  # exact with read-detail
    # without it every incident count is rounded to a multiple of k (cell key), a rounded 0 is null
    assert may(plain)["count"] in (k * (7 // k), k * (7 // k) + k)
    counts = [s["count"] for t in plain["incident_trends"] for s in t["series"]] + \
        [t["total"] for t in plain["incident_trends"]] + [c["count"] for c in plain["incidents"]["by_category"]]
    assert counts and all(c is None or c % k == 0 for c in counts)
    assert "ck_total" not in str(plain) and "ck_count" not in str(plain)
    # a snapshot taken with read-detail is not shown to a caller without it
    m = requests.post(secured.url("/v1/meetings"), json={"agreement_id": follow_up["id"], "held_on": "2022-03-07",
                                                         "week": "2022-W09", "party_ids": [1]},
                      headers=key(db, "polisen-boras", "read,read-detail,write-commitments"), timeout=30)
    assert m.status_code == 201, m.text
    assert m.json()["snapshot"]["detail_scope"] is True
    assert_problem(requests.get(secured.url("/v1/meetings/%d/lagesbild" % m.json()["id"]), headers=reader, timeout=10),
                   403)
    assert requests.get(secured.url("/v1/meetings/%d/lagesbild" % m.json()["id"]), headers=detail,
                        timeout=10).status_code == 200


# ---- the contract of the new routes ------------------------------------------------------------

def resolve(node, comps):
    """The schema with every local $ref inlined (the new schemas have no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            return resolve(comps[name], comps)
        return {k: resolve(v, comps) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, comps) for v in node]
    return node


def test_new_routes_answer_as_the_contract_says(estd, follow_up, meeting):
    """Every GET of the new routes, called with real ids, answers with a documented status and a body
    that validates against the documented schema; every documented path is served."""
    import jsonschema
    import yaml
    from conftest import REPO
    with open(os.path.join(REPO, "openapi.yaml"), encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    comps = spec["components"]["schemas"]
    action = page_all(estd, "/v1/actions")[0]
    indicator = page_all(estd, "/v1/indicator-values", {"archived": "true"})[0]
    coop = page_all(estd, "/v1/cooperation-areas")[0]
    ids_for = {"/v1/agreements/{id}/follow-up": follow_up["id"], "/v1/agreements/{id}/statutory-report": follow_up["id"],
               "/v1/cooperation-areas/{id}": coop["id"], "/v1/meetings/{id}": meeting["id"],
               "/v1/meetings/{id}/lagesbild": meeting["id"], "/v1/meetings/{id}/diff": meeting["id"],
               "/v1/actions/{id}": action["id"], "/v1/indicator-values/{id}": indicator["id"]}
    lists = ["/v1/cooperation-areas", "/v1/meetings", "/v1/actions", "/v1/indicator-values", "/v1/parties",
             "/v1/agreements"]
    checked = 0
    for path in lists + list(ids_for):
        op = spec["paths"][path]["get"]
        r = estd.get(path.replace("{id}", str(ids_for.get(path, 0))))
        assert str(r.status_code) in op["responses"], (path, r.status_code, r.text[:300])
        media = op["responses"][str(r.status_code)]["content"]
        ctype = r.headers["Content-Type"].split(";")[0]
        assert ctype in media, (path, ctype)
        jsonschema.Draft202012Validator(resolve(media[ctype]["schema"], comps)).validate(r.json())
        checked += 1
    assert checked == len(lists) + len(ids_for)
    # unknown ids of every new item route: 404 problem, as documented
    for path in ids_for:
        r = estd.get(path.replace("{id}", "99999999"))
        assert "404" in spec["paths"][path]["get"]["responses"]
        assert_problem(r, 404)
    # every write route of the cycle is documented with its body schema closed
    for name in ("PartyInput", "AgreementInput", "AgreementRevisionInput", "SigningInput", "CooperationAreaInput",
                 "MeetingInput", "MeetingPatch", "ActionInput", "ActionPatch", "FindingInput", "EvidenceInput",
                 "IndicatorValueInput", "OutcomeTargetInput"):
        assert comps[name]["additionalProperties"] is False, name
