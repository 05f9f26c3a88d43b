"""Areas (områden): PostGIS geometry as GeoJSON, filters, paging, writes."""
import json

from conftest import assert_problem, page_all, archive

JSON = {"Content-Type": "application/json"}
PATCH = {"Content-Type": "application/merge-patch+json"}


def square(lon, lat, d=0.002):
    return {"type": "Polygon",
            "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]}


def by_code(estd):
    return {a["code"]: a for a in page_all(estd, "/v1/areas", limit=100)}


def snapshot(estd):
    """Everything a rejected write must leave untouched."""
    return (
        estd.sql("SELECT id, code, name, kind, ST_AsText(geom), approximate, description, version, updated_at "
                 "FROM areas ORDER BY id"),
        estd.sql("SELECT id, area_id, version FROM area_focuses ORDER BY id"),
        estd.sql("SELECT commitment_id, area_id FROM commitment_areas ORDER BY 1, 2"),
        estd.sql("SELECT count(*) FROM audit_log"),
    )


def audit_rows(estd, entity_id):
    return estd.sql("SELECT action, before, after FROM audit_log WHERE entity = 'area' AND entity_id = %s "
                    "ORDER BY id", (entity_id,))


def create(estd, **fields):
    body = {"name": "Testområde", "kind": "hot_spot", "geometry": square(12.95, 57.70)}
    body.update(fields)
    r = estd.post("/v1/areas", body)
    assert r.status_code == 201, r.text
    return r


# ---- reads -------------------------------------------------------------------------------------

def test_seeded_areas(estd):
    areas = by_code(estd)
    assert sorted(areas) == sorted(["centrum", "norrby", "sjobo", "hassleholmen", "hulta", "kristineberg",
                                    "hassleholmen-hulta", "norrby-suo"])
    assert areas["norrby-suo"]["kind"] == "sarskilt_utsatt_omrade"
    assert areas["centrum"]["kind"] == "district"
    # Lists leave the geometry out unless asked for.
    assert all("geometry" not in a for a in areas.values())
    with_geom = page_all(estd, "/v1/areas", {"include": "geometry"})
    assert all(a["geometry"]["type"] == "MultiPolygon" for a in with_geom)
    assert_problem(estd.get("/v1/areas", params={"include": "everything"}), 400, "include")


def test_get_area_geometry_centroid_and_area(estd):
    norrby = by_code(estd)["norrby"]
    r = estd.get(f"/v1/areas/{norrby['id']}")
    assert r.status_code == 200
    doc = r.json()
    assert r.headers["ETag"] == '"%d"' % doc["version"]
    g = doc["geometry"]
    assert g["type"] == "MultiPolygon"
    ring = g["coordinates"][0][0]
    assert ring[0] == ring[-1] and [12.924, 57.727] in ring  # lon, lat order
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    assert min(lats) < doc["centroid"]["lat"] < max(lats)
    assert min(lons) < doc["centroid"]["lon"] < max(lons)
    # About 600 m across: a few hundred thousand square metres on the spheroid.
    assert 2e5 < doc["area_m2"] < 6e5
    assert estd.get(f"/v1/areas/{norrby['id']}", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_not_found(estd):
    assert_problem(estd.get("/v1/areas/999999"), 404)
    assert_problem(estd.get("/v1/areas/abc"), 404)
    assert_problem(estd.patch("/v1/areas/999999", {"name": "x"}, headers={"If-Match": '"1"'}), 404)
    assert_problem(estd.delete("/v1/areas/999999", headers={"If-Match": '"1"'}), 404)
    assert_problem(estd.delete("/v1/areas/999999"), 428)


def test_filter_contains_point(estd):
    areas = by_code(estd)
    # A point inside Norrby: its centroid (the polygon is convex), read from the API.
    n = estd.get(f"/v1/areas/{areas['norrby']['id']}").json()["centroid"]
    r = estd.get("/v1/areas", params={"contains": f"{n['lat']},{n['lon']}"})
    assert r.status_code == 200
    assert sorted(a["code"] for a in r.json()["items"]) == ["norrby", "norrby-suo"]
    c = estd.get(f"/v1/areas/{areas['centrum']['id']}").json()["centroid"]
    r = estd.get("/v1/areas", params={"contains": f"{c['lat']},{c['lon']}"})
    assert [a["code"] for a in r.json()["items"]] == ["centrum"]
    # Combined with kind.
    r = estd.get("/v1/areas", params={"contains": f"{n['lat']},{n['lon']}", "kind": "district"})
    assert [a["code"] for a in r.json()["items"]] == ["norrby"]
    # Stockholm is in none of them.
    assert estd.get("/v1/areas", params={"contains": "59.33,18.06"}).json()["items"] == []
    for bad in ["57.7", "57.7,12.9,1", "a,b", "91,12", "57.7,181", "57.7;12.9"]:
        assert_problem(estd.get("/v1/areas", params={"contains": bad}), 400, "contains")


def test_filter_intersects_bbox(estd):
    # East Borås: Hässleholmen, Hulta and their union; nothing else.
    r = estd.get("/v1/areas", params={"intersects_bbox": "12.97,57.73,12.99,57.74"})
    assert sorted(a["code"] for a in r.json()["items"]) == ["hassleholmen", "hassleholmen-hulta", "hulta"]
    # A box touching only Kristineberg's interior.
    r = estd.get("/v1/areas", params={"intersects_bbox": "12.920,57.706,12.925,57.708"})
    assert [a["code"] for a in r.json()["items"]] == ["kristineberg"]
    # Inside Norrby's bounding box corner but outside its polygon (the real
    # geometry is tested, not only the envelope).
    r = estd.get("/v1/areas", params={"intersects_bbox": "12.9241,57.7301,12.9245,57.7309"})
    assert r.json()["items"] == []
    for bad in ["1,2,3", "13,57,12,58", "12,57,13,91", "x,1,2,3"]:
        assert_problem(estd.get("/v1/areas", params={"intersects_bbox": bad}), 400, "intersects_bbox")


def test_filter_kind(estd):
    r = estd.get("/v1/areas", params={"kind": "sarskilt_utsatt_omrade"})
    assert sorted(a["code"] for a in r.json()["items"]) == ["hassleholmen-hulta", "norrby-suo"]
    assert_problem(estd.get("/v1/areas", params={"kind": "stadsdel"}), 400, "kind")


def test_sorts(estd):
    all_ids = [a["id"] for a in page_all(estd, "/v1/areas")]
    assert all_ids == sorted(all_ids)
    assert [a["id"] for a in page_all(estd, "/v1/areas", {"sort": "-id"}, limit=3)] == sorted(all_ids, reverse=True)
    names = [(a["name"].encode(), a["id"]) for a in page_all(estd, "/v1/areas", {"sort": "name"}, limit=2)]
    assert names == sorted(names) and len(names) == len(all_ids)
    created = [(a["created_at"], a["id"]) for a in page_all(estd, "/v1/areas", {"sort": "-created_at"}, limit=2)]
    assert len(created) == len(all_ids)
    assert_problem(estd.get("/v1/areas", params={"sort": "area_m2"}), 400, "sort")


def _pages_with_inserts(estd, params, names_to_insert):
    """Pages with limit 3, creating one area after each page; returns the
    ids seen in order and the ids created."""
    seen, created = [], []
    r = estd.get("/v1/areas", params=dict(params, limit=3))
    i = 0
    while True:
        assert r.status_code == 200, r.text
        doc = r.json()
        seen.extend(a["id"] for a in doc["items"])
        if i < len(names_to_insert):
            created.append(create(estd, name=names_to_insert[i]).json()["id"])
            i += 1
        if not doc["next"]:
            return seen, created
        r = estd.get(doc["next"])


def test_paging_with_inserts_between_pages(estd):
    made = []
    before = [a["id"] for a in page_all(estd, "/v1/areas", limit=100)]
    # Ascending id: rows created while paging have higher ids and show up at the end.
    seen, created = _pages_with_inserts(estd, {"sort": "id"}, ["P1", "P2"])
    made += created
    assert seen == before + created
    # Descending id: new rows are before the cursor and never appear; none repeats.
    before = [a["id"] for a in page_all(estd, "/v1/areas", {"sort": "-id"}, limit=100)]
    seen, created = _pages_with_inserts(estd, {"sort": "-id"}, ["P3", "P4"])
    made += created
    assert seen == before
    # By name: a name sorting before the cursor is skipped, one after it appears
    # exactly where it sorts.
    before = page_all(estd, "/v1/areas", {"sort": "name"}, limit=100)
    seen, created = _pages_with_inserts(estd, {"sort": "name"}, ["AAA first", "zzz last"])
    made += created
    assert seen == [a["id"] for a in before] + [created[1]]
    for aid in made:
        assert archive(estd, f"/v1/areas/{aid}").status_code == 204


# ---- writes ------------------------------------------------------------------------------------

def test_create_get_patch_delete(estd):
    geom = {"type": "MultiPolygon", "coordinates": [
        [[[12.9400, 57.7210, 140.0], [12.9420, 57.7210, 141.0], [12.9420, 57.7225, 140.5], [12.9400, 57.7210, 140.0]]]]}
    r = estd.post("/v1/areas", {"name": "Stora torget", "kind": "hot_spot", "code": "stora-torget",
                                "approximate": True, "description": "Hot spot, beräknad från händelser.",
                                "geometry": geom})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert r.headers["Location"] == f"/v1/areas/{doc['id']}"
    assert r.headers["ETag"] == '"1"' and doc["version"] == 1
    assert (doc["name"], doc["kind"], doc["code"], doc["approximate"]) == ("Stora torget", "hot_spot", "stora-torget", True)
    # Stored 2D (altitude dropped), lon/lat kept.
    assert doc["geometry"]["coordinates"] == [[[[12.94, 57.721], [12.942, 57.721], [12.942, 57.7225], [12.94, 57.721]]]]
    assert estd.get(r.headers["Location"]).json() == doc
    # The new hot spot is found by a point inside it, together with Centrum.
    r = estd.get("/v1/areas", params={"contains": "57.7214,12.9412"})
    assert sorted(a["code"] for a in r.json()["items"]) == ["centrum", "stora-torget"]

    # Merge patch: name changes, description is removed, geometry replaced, rest kept.
    r = estd.patch(f"/v1/areas/{doc['id']}", {"name": "Stora torget (ny)", "description": None,
                                              "geometry": square(12.94, 57.721, 0.004)},
                   headers=dict(PATCH, **{"If-Match": '"1"'}))
    assert r.status_code == 200, r.text
    new = r.json()
    assert r.headers["ETag"] == '"2"' and new["version"] == 2
    assert (new["name"], new["description"], new["code"], new["approximate"]) == \
        ("Stora torget (ny)", None, "stora-torget", True)
    assert new["area_m2"] > doc["area_m2"] * 4
    assert new["updated_at"] > doc["updated_at"] and new["created_at"] == doc["created_at"]
    assert estd.sql("SELECT version FROM areas WHERE id = %s", (doc["id"],)) == [(2,)]

    r = archive(estd, f"/v1/areas/{doc['id']}")
    assert r.status_code == 204 and r.content == b""
    gone = estd.get(f"/v1/areas/{doc['id']}").json()  # archived, not removed
    assert gone["archived_at"] is not None and gone["version"] == 3

    rows = audit_rows(estd, doc["id"])
    assert [a for a, _, _ in rows] == ["create", "update", "archive"]
    assert rows[0][1] is None and rows[0][2]["name"] == "Stora torget"
    assert rows[1][1]["name"] == "Stora torget" and rows[1][2]["name"] == "Stora torget (ny)"
    assert rows[1][2]["geometry"]["type"] == "MultiPolygon"
    assert rows[2][1]["version"] == 2 and rows[2][2]["archived_at"] is not None


def test_bad_geometry_rejected_and_nothing_written(estd):
    before = snapshot(estd)
    bow_tie = {"type": "Polygon", "coordinates": [[[12.95, 57.70], [12.96, 57.71], [12.96, 57.70],
                                                   [12.95, 57.71], [12.95, 57.70]]]}
    doc = assert_problem(estd.post("/v1/areas", {"name": "Fluga", "kind": "other", "geometry": bow_tie}), 422,
                         "/geometry")
    errs = [e for e in doc["errors"] if e["field"] == "/geometry"]
    assert "Self-intersection" in errs[0]["detail"], doc
    unclosed = {"type": "Polygon", "coordinates": [[[12.95, 57.70], [12.96, 57.70], [12.96, 57.71], [12.95, 57.71]]]}
    doc = assert_problem(estd.post("/v1/areas", {"name": "Öppen", "kind": "other", "geometry": unclosed}), 422)
    assert any(e["field"] == "/geometry/coordinates/0" and "closed" in e["detail"] for e in doc["errors"]), doc
    # lat,lon swapped into SWEREF-like metres / out of range
    out = {"type": "Polygon", "coordinates": [[[12.95, 57.70], [12.96, 95.0], [12.96, 57.71], [12.95, 57.70]]]}
    doc = assert_problem(estd.post("/v1/areas", {"name": "Ute", "kind": "other", "geometry": out}), 422)
    assert any(e["field"] == "/geometry/coordinates/0/1/1" for e in doc["errors"]), doc
    too_few = {"type": "Polygon", "coordinates": [[[12.95, 57.70], [12.96, 57.70], [12.95, 57.70]]]}
    assert_problem(estd.post("/v1/areas", {"name": "Få", "kind": "other", "geometry": too_few}), 422,
                   "/geometry/coordinates/0")
    point = {"type": "Point", "coordinates": [12.95, 57.70]}
    assert_problem(estd.post("/v1/areas", {"name": "P", "kind": "other", "geometry": point}), 422, "/geometry/type")
    boxed = dict(too_few, coordinates=[too_few["coordinates"][0][:2] + [[12.96, 57.71]] + too_few["coordinates"][0][2:]])
    for bbox in ([12.95, 57.70, 12.96], "12.95,57.70,12.96,57.71", [12.95, 57.70, 12.96, 557.71]):  # openapi GeoBbox
        assert_problem(estd.post("/v1/areas", {"name": "B", "kind": "other", "geometry": dict(boxed, bbox=bbox)}), 422,
                       "/geometry/bbox")
    # A bow-tie through PATCH is refused the same way and changes nothing.
    norrby = by_code(estd)["norrby"]
    doc = assert_problem(estd.patch(f"/v1/areas/{norrby['id']}", {"geometry": bow_tie},
                                    headers={"If-Match": '"%d"' % norrby["version"]}), 422, "/geometry")
    assert "Self-intersection" in doc["detail"]
    assert snapshot(estd) == before


def test_validation_collects_all_errors(estd):
    before = snapshot(estd)
    doc = assert_problem(estd.post("/v1/areas", {"name": "", "kind": "stadsdel", "code": "Ej Slug",
                                                 "approximate": "ja", "colour": "red", "description": 5}), 422)
    fields = sorted(e["field"] for e in doc["errors"])
    assert fields == sorted(["/name", "/kind", "/code", "/approximate", "/colour", "/description", "/geometry"])
    assert_problem(estd.post("/v1/areas", {"name": "x" * 201, "kind": "other", "geometry": square(12.9, 57.7)}),
                   422, "/name")
    assert_problem(estd.post("/v1/areas", [1, 2]), 422)
    assert_problem(estd.post("/v1/areas", data="{bad json", headers=JSON), 400)
    assert_problem(estd.post("/v1/areas", data="{}", headers={"Content-Type": "text/plain"}), 415)
    assert snapshot(estd) == before


def test_duplicate_code_conflict(estd):
    before = snapshot(estd)
    doc = assert_problem(estd.post("/v1/areas", {"name": "Norrby 2", "kind": "district", "code": "norrby",
                                                 "geometry": square(12.9, 57.7)}), 409, "/code")
    assert doc["type"] == "/problems/conflict"
    sjobo = by_code(estd)["sjobo"]
    assert_problem(estd.patch(f"/v1/areas/{sjobo['id']}", {"code": "norrby"}, headers={"If-Match": '"1"'}), 409,
                   "/code")
    assert snapshot(estd) == before


def test_archiving_a_referenced_area_keeps_every_reference(estd):
    """DELETE archives: an area that commitments, focuses and events refer
    to is archived (no 409 any more), and every reference stays."""
    areas = by_code(estd)
    before = snapshot(estd)
    refs = estd.sql("SELECT (SELECT count(*) FROM commitment_areas WHERE area_id = %s), "
                    "(SELECT count(*) FROM area_focuses WHERE area_id = %s)", (areas["norrby"]["id"],) * 2)
    assert refs[0][0] > 0 and refs[0][1] > 0
    assert archive(estd, f"/v1/areas/{areas['norrby']['id']}").status_code == 204
    assert estd.sql("SELECT (SELECT count(*) FROM commitment_areas WHERE area_id = %s), "
                    "(SELECT count(*) FROM area_focuses WHERE area_id = %s)", (areas["norrby"]["id"],) * 2) == refs
    assert "norrby" not in by_code(estd)
    r = estd.post(f"/v1/areas/{areas['norrby']['id']}/restore",
                  headers={"If-Match": estd.get(f"/v1/areas/{areas['norrby']['id']}").headers["ETag"]})
    assert r.status_code == 200 and r.json()["archived_at"] is None
    assert "norrby" in by_code(estd)
    after = snapshot(estd)
    assert after[1] == before[1] and after[2] == before[2]  # focuses and commitment areas untouched
    assert [r[:3] for r in after[0]] == [r[:3] for r in before[0]]  # no area removed


def test_if_match(estd):
    aid = create(estd, name="Versionerat").json()["id"]
    before = snapshot(estd)
    # Missing -> 428 precondition-required.
    r = estd.patch(f"/v1/areas/{aid}", {"name": "A"}, headers=PATCH)
    doc = assert_problem(r, 428)
    assert doc["type"] == "/problems/precondition-required"
    # Stale -> 412, malformed -> 400.
    assert_problem(estd.patch(f"/v1/areas/{aid}", {"name": "A"}, headers={"If-Match": '"7"'}), 412)
    assert_problem(estd.patch(f"/v1/areas/{aid}", {"name": "A"}, headers={"If-Match": "seven"}), 400)
    assert_problem(archive(estd, f"/v1/areas/{aid}", headers={"If-Match": '"7"'}), 412)
    assert snapshot(estd) == before
    # Current (strong or weak) -> 200; then the old tag is stale.
    r = estd.patch(f"/v1/areas/{aid}", {"name": "A"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = estd.patch(f"/v1/areas/{aid}", {"approximate": True}, headers={"If-Match": 'W/"2"'})
    assert r.status_code == 200 and r.json()["version"] == 3 and r.json()["name"] == "A"
    assert_problem(estd.patch(f"/v1/areas/{aid}", {"name": "B"}, headers={"If-Match": '"2"'}), 412)
    # Wildcard.
    r = estd.patch(f"/v1/areas/{aid}", {"name": "C"}, headers={"If-Match": "*"})
    assert r.status_code == 200 and r.json()["version"] == 4
    # null is refused for required members; nothing changes.
    before = snapshot(estd)
    assert_problem(estd.patch(f"/v1/areas/{aid}", {"name": None, "kind": None}, headers={"If-Match": '"4"'}), 422,
                   "/name")
    assert snapshot(estd) == before
    assert archive(estd, f"/v1/areas/{aid}", headers={"If-Match": '"4"'}).status_code == 204
    assert [a for a, _, _ in audit_rows(estd, aid)] == ["create", "update", "update", "update", "archive"]


def test_concurrent_writes(estd):
    """Uniqueness and versions are decided by the database, not by a prior
    read: racing creates with one code give one 201, racing updates with one
    ETag give one 200."""
    from concurrent.futures import ThreadPoolExecutor
    body = {"name": "Racer", "kind": "hot_spot", "code": "racer", "geometry": square(12.95, 57.70)}
    with ThreadPoolExecutor(8) as pool:
        codes = sorted(r.status_code for r in pool.map(lambda _: estd.post("/v1/areas", body), range(8)))
    assert codes == [201] + [409] * 7
    (aid,), = estd.sql("SELECT id FROM areas WHERE code = 'racer'")
    with ThreadPoolExecutor(8) as pool:
        rs = list(pool.map(lambda i: estd.patch(f"/v1/areas/{aid}", {"name": f"Racer {i}"},
                                                headers={"If-Match": '"1"'}), range(8)))
    assert sorted(r.status_code for r in rs) == [200] + [412] * 7
    winner = next(r.json() for r in rs if r.status_code == 200)
    assert estd.get(f"/v1/areas/{aid}").json()["name"] == winner["name"]
    assert [a for a, _, _ in audit_rows(estd, aid)] == ["create", "update"]
    assert archive(estd, f"/v1/areas/{aid}").status_code == 204
