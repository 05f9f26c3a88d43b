"""Area focuses (fokusområden): seeded list, filters, paging, writes."""
from conftest import assert_problem, page_all, archive

SEEDED = ["so-2018-suo-hassleholmen-hulta", "so-2018-suo-norrby", "ml-2018-hassleholmen-hulta", "ml-2018-norrby",
          "so-2018-trygghetssatsning-hassleholmen", "so-2018-trygghetssatsning-hulta",
          "so-2018-trygghetssatsning-norrby", "so-2018-trygghetssatsning-sjobo", "so-2018-motesplats-sjobo",
          "so-2018-motesplats-kristineberg", "so-2018-torg-och-parker-centrum"]


def codes(items):
    return sorted(f["code"] for f in items)


def lookup(estd):
    areas = {a["code"]: a["id"] for a in page_all(estd, "/v1/areas")}
    agreements = {a["code"]: a["id"] for a in page_all(estd, "/v1/agreements")}
    parties = {p["code"]: p["id"] for p in page_all(estd, "/v1/parties")}
    return areas, agreements, parties


def snapshot(estd):
    return (estd.sql("SELECT id, code, area_id, agreement_id, party_id, reason, priority, valid_from, valid_to, "
                     "version, updated_at FROM area_focuses ORDER BY id"),
            estd.sql("SELECT count(*) FROM audit_log"))


def new_focus(estd, **fields):
    areas, agreements, parties = lookup(estd)
    body = {"area_id": areas["kristineberg"], "party_id": parties["ab-bostader"], "reason": "Ny mötesplats",
            "valid_from": "2021-01-01"}
    body.update(fields)
    r = estd.post("/v1/area-focuses", body)
    assert r.status_code == 201, r.text
    return r.json()


def test_seeded_focuses(estd):
    items = page_all(estd, "/v1/area-focuses", limit=4)
    assert codes(items) == sorted(SEEDED)
    areas, agreements, parties = lookup(estd)
    f = {x["code"]: x for x in items}["ml-2018-norrby"]
    assert (f["area_id"], f["agreement_id"], f["party_id"], f["priority"]) == \
        (areas["norrby-suo"], agreements["medborgarlofte-hassleholmen-hulta-norrby-2018"], parties["polisen-boras"], 1)
    assert (f["valid_from"], f["valid_to"]) == ("2018-01-01", "2019-01-31")
    r = estd.get(f"/v1/area-focuses/{f['id']}")
    assert r.status_code == 200 and r.json() == f and r.headers["ETag"] == '"1"'
    assert_problem(estd.get("/v1/area-focuses/999999"), 404)


def test_priority_one_is_the_sarskilt_utsatta_omradena(estd):
    items = page_all(estd, "/v1/area-focuses", {"priority": 1})
    assert codes(items) == sorted(["so-2018-suo-hassleholmen-hulta", "so-2018-suo-norrby",
                                   "ml-2018-hassleholmen-hulta", "ml-2018-norrby"])
    kinds = {estd.get(f"/v1/areas/{f['area_id']}").json()["kind"] for f in items}
    assert kinds == {"sarskilt_utsatt_omrade"}
    assert codes(page_all(estd, "/v1/area-focuses", {"priority": 3})) == \
        sorted(["so-2018-motesplats-sjobo", "so-2018-motesplats-kristineberg", "so-2018-torg-och-parker-centrum"])
    for bad in ["0", "6", "x", "1.5"]:
        assert_problem(estd.get("/v1/area-focuses", params={"priority": bad}), 400, "priority")


def test_filters(estd):
    areas, agreements, parties = lookup(estd)
    get = lambda **p: codes(page_all(estd, "/v1/area-focuses", p))  # noqa: E731
    assert get(area_id=areas["norrby-suo"]) == ["ml-2018-norrby", "so-2018-suo-norrby"]
    assert get(area_id=areas["sjobo"]) == ["so-2018-motesplats-sjobo", "so-2018-trygghetssatsning-sjobo"]
    assert get(agreement_id=agreements["medborgarlofte-hassleholmen-hulta-norrby-2018"]) == \
        ["ml-2018-hassleholmen-hulta", "ml-2018-norrby"]
    assert get(party_id=parties["polisen-boras"]) == ["ml-2018-hassleholmen-hulta", "ml-2018-norrby"]
    assert len(get(party_id=parties["boras-stad"])) == 6
    assert get(party_id=parties["ab-bostader"]) == []
    # active_on: the medborgarlöfte ran until 2019-01-31, the agreement until 2020-12-31.
    assert get(active_on="2018-06-01") == sorted(SEEDED)
    assert get(active_on="2019-01-31") == sorted(SEEDED)
    assert "ml-2018-norrby" not in get(active_on="2019-02-01") and len(get(active_on="2019-02-01")) == 9
    assert get(active_on="2017-12-31") == [] and get(active_on="2021-01-01") == []
    # Combined.
    assert get(area_id=areas["norrby-suo"], party_id=parties["polisen-boras"], priority=1) == ["ml-2018-norrby"]
    assert_problem(estd.get("/v1/area-focuses", params={"active_on": "2019-02-30"}), 400, "active_on")
    assert_problem(estd.get("/v1/area-focuses", params={"area_id": "-1"}), 400, "area_id")
    assert_problem(estd.get("/v1/area-focuses", params={"sort": "reason"}), 400, "sort")


def test_sorts_and_paging(estd):
    ids = [f["id"] for f in page_all(estd, "/v1/area-focuses", limit=100)]
    by_prio = page_all(estd, "/v1/area-focuses", {"sort": "priority"}, limit=2)
    assert [(f["priority"], f["id"]) for f in by_prio] == sorted((f["priority"], f["id"]) for f in by_prio)
    assert len(by_prio) == len(ids)
    by_prio_d = page_all(estd, "/v1/area-focuses", {"sort": "-priority"}, limit=3)
    assert [f["id"] for f in by_prio_d] == [f["id"] for f in sorted(by_prio, key=lambda f: (-f["priority"], -f["id"]))]
    by_from = page_all(estd, "/v1/area-focuses", {"sort": "-valid_from"}, limit=4)
    assert len(by_from) == len(ids)


def test_paging_with_inserts_between_pages(estd):
    # Sorted by priority: a new priority-1 focus (before the cursor) is never
    # seen, a new priority-5 focus (after it) appears last; nothing repeats.
    before = [f["id"] for f in page_all(estd, "/v1/area-focuses", {"sort": "priority"}, limit=100)]
    r = estd.get("/v1/area-focuses", params={"sort": "priority", "limit": 3})
    seen = [f["id"] for f in r.json()["items"]]
    created = []
    r = estd.get(r.json()["next"])
    seen += [f["id"] for f in r.json()["items"]]
    created.append(new_focus(estd, priority=1, code="page-p1")["id"])
    created.append(new_focus(estd, priority=5, code="page-p5")["id"])
    while r.json()["next"]:
        r = estd.get(r.json()["next"])
        assert r.status_code == 200
        seen += [f["id"] for f in r.json()["items"]]
    assert seen == before + [created[1]]
    for fid in created:
        assert archive(estd, f"/v1/area-focuses/{fid}").status_code == 204


def test_create_get_patch_delete(estd):
    areas, agreements, parties = lookup(estd)
    r = estd.post("/v1/area-focuses", {"area_id": areas["hulta"], "party_id": parties["ab-bostader"],
                                       "reason": "Grannsamverkan i flerfamiljshus", "valid_from": "2021-01-01",
                                       "code": "ab-hulta-2021"})
    assert r.status_code == 201, r.text
    f = r.json()
    assert r.headers["Location"] == f"/v1/area-focuses/{f['id']}" and r.headers["ETag"] == '"1"'
    assert (f["priority"], f["agreement_id"], f["valid_to"], f["version"]) == (3, None, None, 1)  # defaults
    assert estd.get(r.headers["Location"]).json() == f
    r = estd.patch(f"/v1/area-focuses/{f['id']}",
                   {"priority": 2, "valid_to": "2021-12-31", "agreement_id": agreements["boras-polisen-2018-2020"],
                    "code": None},
                   headers={"If-Match": '"1"', "Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text
    g = r.json()
    assert (g["priority"], g["valid_to"], g["agreement_id"], g["code"], g["version"]) == \
        (2, "2021-12-31", agreements["boras-polisen-2018-2020"], None, 2)
    assert (g["reason"], g["party_id"], g["area_id"]) == (f["reason"], f["party_id"], f["area_id"])
    assert r.headers["ETag"] == '"2"'
    assert archive(estd, f"/v1/area-focuses/{f['id']}").status_code == 204
    assert estd.get(f"/v1/area-focuses/{f['id']}").json()["archived_at"] is not None  # archived, kept
    rows = estd.sql("SELECT action, before, after FROM audit_log WHERE entity = 'area_focus' AND entity_id = %s "
                    "ORDER BY id", (f["id"],))
    assert [a for a, _, _ in rows] == ["create", "update", "archive"]
    assert rows[0][1] is None and rows[0][2]["code"] == "ab-hulta-2021"
    assert rows[1][1]["priority"] == 3 and rows[1][2]["priority"] == 2
    assert rows[2][1]["version"] == 2 and rows[2][2]["archived_at"] is not None


def test_unknown_references(estd):
    areas, agreements, parties = lookup(estd)
    before = snapshot(estd)
    base = {"area_id": areas["hulta"], "agreement_id": agreements["boras-polisen-2018-2020"], "reason": "r",
            "valid_from": "2021-01-01"}
    for field in ["area_id", "agreement_id", "party_id"]:
        body = dict(base, **{field: 987654})
        doc = assert_problem(estd.post("/v1/area-focuses", body), 422, "/" + field)
        assert [e["field"] for e in doc["errors"]] == ["/" + field]
    fid = new_focus(estd)["id"]
    before = snapshot(estd)
    assert_problem(estd.patch(f"/v1/area-focuses/{fid}", {"area_id": 987654}, headers={"If-Match": "*"}), 422,
                   "/area_id")
    assert snapshot(estd) == before
    assert archive(estd, f"/v1/area-focuses/{fid}").status_code == 204


def test_validation_and_rules(estd):
    areas, _, parties = lookup(estd)
    before = snapshot(estd)
    doc = assert_problem(estd.post("/v1/area-focuses", {"reason": "", "priority": 9, "valid_from": "2021-02-30",
                                                        "valid_to": "2020-01-01", "whatever": 1}), 422)
    assert sorted(e["field"] for e in doc["errors"]) == sorted(
        ["/area_id", "/agreement_id", "/reason", "/priority", "/valid_from", "/whatever"])
    assert_problem(estd.post("/v1/area-focuses", {"area_id": areas["hulta"], "party_id": parties["boras-stad"],
                                                  "reason": "r", "valid_from": "2021-01-01",
                                                  "valid_to": "2020-12-31"}), 422, "/valid_to")
    assert snapshot(estd) == before
    # Rules spanning the stored row are the table's constraints, still 422 naming the field.
    fid = new_focus(estd, valid_from="2021-06-01")["id"]
    before = snapshot(estd)
    assert_problem(estd.patch(f"/v1/area-focuses/{fid}", {"party_id": None}, headers={"If-Match": '"1"'}), 422,
                   "/agreement_id")
    assert_problem(estd.patch(f"/v1/area-focuses/{fid}", {"valid_to": "2021-05-31"}, headers={"If-Match": '"1"'}),
                   422, "/valid_to")
    assert_problem(estd.patch(f"/v1/area-focuses/{fid}", {"priority": None}, headers={"If-Match": '"1"'}), 422,
                   "/priority")
    assert snapshot(estd) == before
    assert archive(estd, f"/v1/area-focuses/{fid}").status_code == 204


def test_duplicate_code_conflict(estd):
    before = snapshot(estd)
    doc = assert_problem(estd.post("/v1/area-focuses", dict(_body(estd), code="ml-2018-norrby")), 409, "/code")
    assert doc["type"] == "/problems/conflict"
    fid = new_focus(estd, code="unik-kod")["id"]
    mid = snapshot(estd)
    assert_problem(estd.patch(f"/v1/area-focuses/{fid}", {"code": "so-2018-suo-norrby"},
                              headers={"If-Match": '"1"'}), 409, "/code")
    assert snapshot(estd) == mid
    assert archive(estd, f"/v1/area-focuses/{fid}").status_code == 204
    assert [r for r in snapshot(estd)[0] if r[0] != fid] == before[0]  # archived rows are kept


def _body(estd):
    areas, agreements, _ = lookup(estd)
    return {"area_id": areas["centrum"], "agreement_id": agreements["boras-polisen-2018-2020"], "reason": "r",
            "valid_from": "2021-01-01"}


def test_if_match(estd):
    fid = new_focus(estd)["id"]
    before = snapshot(estd)
    doc = assert_problem(estd.patch(f"/v1/area-focuses/{fid}", {"priority": 1}), 428)
    assert doc["type"] == "/problems/precondition-required"
    assert_problem(estd.patch(f"/v1/area-focuses/{fid}", {"priority": 1}, headers={"If-Match": '"2"'}), 412)
    assert_problem(archive(estd, f"/v1/area-focuses/{fid}", headers={"If-Match": '"2"'}), 412)
    assert_problem(estd.patch("/v1/area-focuses/999999", {"priority": 1}, headers={"If-Match": '"1"'}), 404)
    assert snapshot(estd) == before
    r = estd.patch(f"/v1/area-focuses/{fid}", {"priority": 1}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["version"] == 2
    assert_problem(estd.patch(f"/v1/area-focuses/{fid}", {"priority": 2}, headers={"If-Match": '"1"'}), 412)
    assert archive(estd, f"/v1/area-focuses/{fid}", headers={"If-Match": '"2"'}).status_code == 204


def test_archiving_an_area_keeps_its_focus(estd):
    r = estd.post("/v1/areas", {"name": "Fokusyta", "kind": "other", "geometry": {
        "type": "Polygon", "coordinates": [[[13.0, 57.7], [13.01, 57.7], [13.01, 57.71], [13.0, 57.7]]]}})
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    fid = new_focus(estd, area_id=aid)["id"]
    assert archive(estd, f"/v1/areas/{aid}").status_code == 204
    assert estd.get(f"/v1/area-focuses/{fid}").json()["area_id"] == aid
    assert archive(estd, f"/v1/area-focuses/{fid}").status_code == 204
