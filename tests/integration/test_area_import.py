"""`estd areas import FILE`: official boundaries from GeoPackage, Shapefile
and GeoJSON files that GDAL's own ogr2ogr writes in the test (SWEREF 99 TM,
EPSG:3006, as Swedish municipalities publish them), against the real
PostgreSQL/PostGIS: the round trip, a re-import that changes nothing, the
re-assignment of events when a boundary changes (and on PATCH/POST of an
area), repair or refusal of invalid geometries by name, and every error
class with its message."""
import json
import os
import subprocess
import uuid

import pytest

from conftest import ESTD_BIN, SQL_DIR, pg_url, register_source

E0, N0 = 376000.0, 6399000.0  # SWEREF 99 TM, in Borås (south-west of the seeded districts)


def ring(x0, y0, x1, y1):
    """A closed counter-clockwise rectangle ring, offsets in metres from (E0, N0)."""
    return [[E0 + x0, N0 + y0], [E0 + x1, N0 + y0], [E0 + x1, N0 + y1], [E0 + x0, N0 + y1], [E0 + x0, N0 + y0]]


def poly(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


def feature(props, geometry):
    return {"type": "Feature", "properties": props, "geometry": geometry}


def fc(features, crs="EPSG:3006"):
    doc = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:" + crs.replace(":", "::")}}
    return doc


def write(tmp_path, doc, name=None):
    p = tmp_path / (name or ("src-%s.geojson" % uuid.uuid4().hex[:6]))
    p.write_text(json.dumps(doc))
    return str(p)


def ogr2ogr(tmp_path, src, driver, ext, layer="stadsdelar"):
    """Converts src with GDAL's ogr2ogr into a new file of driver (keeping its CRS)."""
    out = str(tmp_path / ("%s-%s.%s" % (layer, uuid.uuid4().hex[:6], ext)))
    subprocess.run(["ogr2ogr", "-f", driver, out, src, "-nln", layer], check=True, capture_output=True)
    return out


def run(db, *args, env=None):
    e = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR, ESTD_LOG_LEVEL="warn")
    e.update(env or {})
    return subprocess.run([ESTD_BIN, "areas", "import", *args], capture_output=True, text=True, env=e, timeout=120)


def ok(db, *args):
    r = run(db, *args, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def refused(db, *args):
    r = run(db, *args)
    assert r.returncode == 1, r.stdout + r.stderr
    return r.stderr


BASE = [
    feature({"kod": "T-1", "namn": "Testby"}, poly(ring(0, 0, 1000, 1000))),
    feature({"kod": "T-2", "namn": "Tvådelen"},
            {"type": "MultiPolygon", "coordinates": [[ring(2000, 0, 2500, 500)], [ring(3000, 0, 3500, 500)]]}),
    feature({"kod": "Östra Ängen 3", "namn": "Östra ängen"},
            poly(ring(0, 2000, 1000, 3000), ring(400, 2400, 600, 2600))),  # with a hole
]


def snapshot(estd):
    """Everything a re-import must leave alone."""
    return {
        "areas": estd.sql("SELECT id, code, name, kind, approximate, version, updated_at, ST_AsEWKB(geom) "
                          "FROM areas ORDER BY id"),
        "audit": estd.sql("SELECT count(*) FROM audit_log")[0][0],
        "event_areas": estd.sql("SELECT event_id, area_id FROM event_areas ORDER BY 1, 2"),
        "meta": estd.sql("SELECT version FROM situation_meta")[0][0],
        "buckets": estd.sql("SELECT area_id, day, version FROM situation_versions ORDER BY 1, 2"),
    }


def hausdorff_m(estd, code, geometry):
    """The largest distance in metres between the stored area and the source geometry (EPSG:3006)."""
    return estd.sql("SELECT ST_HausdorffDistance(ST_Transform(a.geom, 3006), ST_SetSRID(ST_GeomFromGeoJSON(%s), "
                    "3006)), ST_Area(ST_Transform(a.geom, 3006)) / ST_Area(ST_GeomFromGeoJSON(%s)) FROM areas a "
                    "WHERE a.code = %s", (json.dumps(geometry), json.dumps(geometry), code))[0]


def test_geopackage_round_trip_in_sweref99tm(estd, tmp_path):
    gpkg = ogr2ogr(tmp_path, write(tmp_path, fc(BASE)), "GPKG", "gpkg")
    info = subprocess.run(["ogrinfo", "-ro", "-so", gpkg, "stadsdelar"], capture_output=True, text=True).stdout
    assert "SWEREF99 TM" in info  # the file really is in EPSG:3006
    before = estd.sql("SELECT count(*) FROM audit_log WHERE entity = 'area'")[0][0]
    rep = ok(estd.db, gpkg)
    assert (rep["code_field"], rep["name_field"], rep["layer"]) == ("kod", "namn", "stadsdelar")
    assert (rep["features"], rep["created"], rep["updated"], rep["unchanged"], rep["refused"]) == (3, 3, 0, 0, 0)
    assert rep["stored"] is True and rep["problems"] == [] and rep["repaired"] == []
    rows = {c: (n, k, a, t) for c, n, k, a, t in estd.sql(
        "SELECT code, name, kind, approximate, ST_GeometryType(geom) FROM areas WHERE code IN "
        "('t-1', 't-2', 'ostra-angen-3')")}
    assert rows == {"t-1": ("Testby", "district", False, "ST_MultiPolygon"),
                    "t-2": ("Tvådelen", "district", False, "ST_MultiPolygon"),
                    "ostra-angen-3": ("Östra ängen", "district", False, "ST_MultiPolygon")}
    for f, code in zip(BASE, ("t-1", "t-2", "ostra-angen-3")):
        dist, ratio = hausdorff_m(estd, code, f["geometry"])
        assert dist < 0.001, (code, dist)  # below a millimetre after 3006 -> 4326 -> 3006
        assert abs(ratio - 1) < 1e-6
    assert estd.sql("SELECT ST_NumInteriorRings(ST_GeometryN(geom, 1)) FROM areas WHERE code = 'ostra-angen-3'") \
        == [(1,)]
    # one create audit row per area, readable through the API like any other
    assert estd.sql("SELECT count(*) FROM audit_log WHERE entity = 'area' AND action = 'create'")[0][0] == before + 3
    a = estd.get("/v1/areas", params={"include": "geometry", "limit": 100}).json()["items"]
    assert {x["code"] for x in a} >= {"t-1", "t-2", "ostra-angen-3"}


def test_reimport_changes_nothing(estd, tmp_path):
    gpkg = ogr2ogr(tmp_path, write(tmp_path, fc(BASE)), "GPKG", "gpkg")
    ok(estd.db, gpkg)  # created by the previous test or now
    aid = estd.sql("SELECT id FROM areas WHERE code = 't-1'")[0][0]
    etag = estd.get(f"/v1/areas/{aid}").headers["ETag"]
    snap = snapshot(estd)
    rep = ok(estd.db, gpkg)
    assert (rep["created"], rep["updated"], rep["unchanged"], rep["events_moved"]) == (0, 0, 3, 0)
    assert rep["areas"] == []
    assert snapshot(estd) == snap
    assert estd.get(f"/v1/areas/{aid}").headers["ETag"] == etag
    # the same boundaries from a Shapefile and from GeoJSON change nothing either
    src = write(tmp_path, fc(BASE))
    shp = ogr2ogr(tmp_path, src, "ESRI Shapefile", "shp")
    assert ok(estd.db, shp)["unchanged"] == 3
    assert snapshot(estd) == snap


def ce(eid, source, lat, lon):
    return {"specversion": "1.0", "id": eid, "source": source, "type": "se.est.incident.v1", "party": "polisen-boras",
            "datacontenttype": "application/json",
            "data": {"occurred_at": "2024-05-01T21:30:00+02:00", "category": "skadegorelse",
                     "location": {"lat": lat, "lon": lon}}}


def lonlat(estd, dx, dy):
    return estd.sql("SELECT ST_Y(p), ST_X(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 3006), 4326) p",
                    (E0 + dx, N0 + dy))[0]


def push(estd, source, points):
    """Events through the HTTP intake (which assigns their areas); returns their ids by name."""
    events = [ce(name, source, *lonlat(estd, dx, dy)) for name, (dx, dy) in points.items()]
    r = estd.post("/v1/events", data=json.dumps(events).encode(),
                  headers={"Content-Type": "application/cloudevents-batch+json"})
    assert r.status_code == 200, r.text
    return {x["id"]: x["event_id"] for x in r.json()["results"]}


def members(estd, area_id):
    return {e for (e,) in estd.sql("SELECT event_id FROM event_areas WHERE area_id = %s", (area_id,))}


def test_changed_boundary_reassigns_events(estd, tmp_path):
    ok(estd.db, ogr2ogr(tmp_path, write(tmp_path, fc(BASE)), "GPKG", "gpkg"))
    a1, a2 = (estd.sql("SELECT id FROM areas WHERE code = %s", (c,))[0][0] for c in ("t-1", "t-2"))
    s = register_source(estd.db, "urn:import-test:" + uuid.uuid4().hex[:8])
    ev = push(estd, s, {"stays": (500, 500), "leaves": (900, 500), "arrives": (1500, 500), "other": (2200, 200),
                        "stripped": (950, 950)})
    # retention's strip mode removed this one's position: it keeps its area (counts stay)
    estd.sql("UPDATE events SET geom = NULL, location_precision = NULL, flags = flags || '{detail_removed}' WHERE id = %s", (ev["stripped"],))
    assert members(estd, a1) == {ev["stays"], ev["leaves"], ev["stripped"]}
    assert members(estd, a2) == {ev["other"]}
    v1, v2 = (estd.sql("SELECT version FROM areas WHERE id = %s", (i,))[0][0] for i in (a1, a2))
    buckets = estd.sql("SELECT COALESCE(sum(version), 0) FROM situation_versions WHERE area_id = %s", (a1,))[0][0]
    moved = [dict(f) for f in BASE]
    moved[0] = feature({"kod": "T-1", "namn": "Testby"},
                       {"type": "MultiPolygon", "coordinates": [[ring(-200, 0, 800, 1000)], [ring(1400, 400, 1600, 600)]]})
    rep = ok(estd.db, ogr2ogr(tmp_path, write(tmp_path, fc(moved)), "GPKG", "gpkg"))
    assert (rep["created"], rep["updated"], rep["unchanged"], rep["events_moved"]) == (0, 1, 2, 2)
    assert rep["areas"] == [{"id": a1, "code": "t-1", "name": "Testby", "status": "updated", "geometry_changed": True}]
    assert members(estd, a1) == {ev["stays"], ev["arrives"], ev["stripped"]}
    assert members(estd, a2) == {ev["other"]}
    # events.area_ids agrees with event_areas, and memberships in other areas are kept
    for name, eid in ev.items():
        ids = estd.get(f"/v1/events/{eid}").json()["area_ids"]
        assert set(ids) == {a for (a,) in estd.sql("SELECT area_id FROM event_areas WHERE event_id = %s", (eid,))}
        assert (a1 in ids) == (name in ("stays", "arrives", "stripped"))
    assert estd.sql("SELECT version FROM areas WHERE id = %s", (a1,))[0][0] == v1 + 1
    assert estd.sql("SELECT version FROM areas WHERE id = %s", (a2,))[0][0] == v2
    (after,) = estd.sql("SELECT after FROM audit_log WHERE entity = 'area_assignment' ORDER BY id DESC LIMIT 1")[0]
    assert after["cause"] == "import" and after["events_moved"] == 2
    assert after["areas"] == [{"id": a1, "code": "t-1", "events_in": 1, "events_out": 1}]
    upd = estd.sql("SELECT before->>'version', after->>'version', request_id FROM audit_log WHERE entity = 'area' "
                   "AND entity_id = %s AND action = 'update' ORDER BY id DESC LIMIT 1", (a1,))[0]
    assert upd == (str(v1), str(v1 + 1), "cli")
    # the picture's invalidation (statement triggers on event_areas) saw the change
    assert estd.sql("SELECT sum(version) FROM situation_versions WHERE area_id = %s", (a1,))[0][0] > buckets
    # the all-areas count of the period is unchanged: events moved, none was added or lost
    assert estd.sql("SELECT count(*) FROM events WHERE source = %s", (s,))[0][0] == 5

    # PATCH of the geometry through the API re-assigns with the same function
    etag = estd.get(f"/v1/areas/{a1}").headers["ETag"]
    back = json.loads(estd.sql("SELECT ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(%s), 3006), 4326))",
                               (json.dumps(BASE[0]["geometry"]),))[0][0])
    r = estd.patch(f"/v1/areas/{a1}", data=json.dumps({"geometry": back}).encode(),
                   headers={"If-Match": etag, "Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text
    assert members(estd, a1) == {ev["stays"], ev["leaves"], ev["stripped"]}
    (eid, after) = estd.sql("SELECT entity_id, after FROM audit_log WHERE entity = 'area_assignment' "
                            "ORDER BY id DESC LIMIT 1")[0]
    assert eid == a1 and after["cause"] == "update" and after["events_moved"] == 2
    # a PATCH that leaves the geometry alone moves nothing and writes no assignment row
    n = estd.sql("SELECT count(*) FROM audit_log WHERE entity = 'area_assignment'")[0][0]
    etag = estd.get(f"/v1/areas/{a1}").headers["ETag"]
    r = estd.patch(f"/v1/areas/{a1}", data=json.dumps({"description": "officiell gräns"}).encode(),
                   headers={"If-Match": etag, "Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text
    assert estd.sql("SELECT count(*) FROM audit_log WHERE entity = 'area_assignment'")[0][0] == n

    # a new area gets the events already inside it
    square = json.loads(estd.sql("SELECT ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(%s), 3006), 4326))",
                                 (json.dumps(poly(ring(1450, 450, 1550, 550))),))[0][0])
    r = estd.post("/v1/areas", data=json.dumps({"name": "Ny plats", "kind": "hot_spot", "geometry": square}).encode(),
                  headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert members(estd, r.json()["id"]) == {ev["arrives"]}


def test_seeded_area_gets_its_official_boundary(estd, tmp_path):
    (aid, version, approx) = estd.sql("SELECT id, version, approximate FROM areas WHERE code = 'norrby'")[0]
    assert approx is True
    src = write(tmp_path, fc([feature({"code": "norrby", "name": "Norrby"}, poly(ring(-5000, 4000, -4000, 5000)))]))
    rep = ok(estd.db, ogr2ogr(tmp_path, src, "GPKG", "gpkg"))
    assert (rep["code_field"], rep["name_field"], rep["updated"]) == ("code", "name", 1)
    assert estd.sql("SELECT id, version, approximate, kind FROM areas WHERE code = 'norrby'")[0] == \
        (aid, version + 1, False, "district")


def test_shapefile_and_geojson_inputs(estd, tmp_path):
    feats = [feature({"kod": "S-1", "namn": "Shapeby"}, poly(ring(5000, 0, 5600, 700)))]
    shp = ogr2ogr(tmp_path, write(tmp_path, fc(feats)), "ESRI Shapefile", "shp", layer="shp_areas")
    assert os.path.exists(shp[:-4] + ".prj")
    assert ok(estd.db, shp)["created"] == 1
    assert hausdorff_m(estd, "s-1", feats[0]["geometry"])[0] < 0.001
    # RFC 7946 GeoJSON (WGS84, no crs member), as ogr2ogr writes it
    gj_feats = [feature({"kod": "G-1", "namn": "Geojsonby"}, poly(ring(6000, 0, 6500, 800)))]
    gj = str(tmp_path / "wgs84.geojson")
    subprocess.run(["ogr2ogr", "-f", "GeoJSON", "-t_srs", "EPSG:4326", "-lco", "RFC7946=YES", gj,
                    write(tmp_path, fc(gj_feats))], check=True, capture_output=True)
    assert '"crs"' not in open(gj).read()
    assert ok(estd.db, gj)["created"] == 1
    assert hausdorff_m(estd, "g-1", gj_feats[0]["geometry"])[0] < 0.05  # RFC 7946: 7 decimals (~1 cm)
    # a GeoPackage in another projected CRS (ETRS89 / UTM 33N, EPSG:25833): GDAL transforms it
    utm = str(tmp_path / "utm.gpkg")
    subprocess.run(["ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:25833", utm, write(tmp_path, fc(
        [feature({"kod": "U-1", "namn": "Utm"}, poly(ring(7000, 0, 7500, 500)))]))], check=True, capture_output=True)
    assert ok(estd.db, utm)["created"] == 1
    assert hausdorff_m(estd, "u-1", poly(ring(7000, 0, 7500, 500)))[0] < 0.01


# A ring that touches itself in one point, with a 25 m² loop on a 1 km² square: ST_MakeValid
# splits off the loop, the area changes by far less than 1 %: repaired.
TOUCHING = poly([[E0 + x, N0 + y] for x, y in
                 [(10000, 0), (11000, 0), (11000, 1000), (10000, 1000), (10000, 10), (9995, 15), (9995, 5),
                  (10000, 10), (10000, 0)]])
# A bow tie: its drawn area is about 0, ST_MakeValid doubles it: refused.
BOWTIE = poly([[E0 + x, N0 + y] for x, y in [(12000, 0), (13000, 1000), (13000, 0), (12000, 1000), (12000, 0)]])


def test_invalid_geometry_repaired_or_refused_by_name(estd, tmp_path):
    feats = [feature({"kod": "R-1", "namn": "Reparerad"}, TOUCHING),
             feature({"kod": "X-1", "namn": "Fluga"}, BOWTIE),
             feature({"kod": "V-1", "namn": "Giltig"}, poly(ring(14000, 0, 14500, 500)))]
    gpkg = ogr2ogr(tmp_path, write(tmp_path, fc(feats)), "GPKG", "gpkg")
    n_areas, n_audit = estd.sql("SELECT (SELECT count(*) FROM areas), (SELECT count(*) FROM audit_log)")[0]
    err = refused(estd.db, gpkg)
    assert "refused: feature 2 (code X-1, name Fluga): invalid geometry (Self-intersection" in err
    assert "cannot repair safely" in err
    assert "repaired: feature 1 (code R-1, name Reparerad): Ring Self-intersection" in err
    assert "nothing stored" in err
    assert estd.sql("SELECT (SELECT count(*) FROM areas), (SELECT count(*) FROM audit_log)")[0] == (n_areas, n_audit)
    # --skip-invalid: the valid and the repaired ones are stored, the bow tie is refused by name
    r = run(estd.db, gpkg, "--skip-invalid")
    assert r.returncode == 0, r.stderr
    assert "refused: feature 2 (code X-1, name Fluga)" in r.stdout
    rep = ok(estd.db, gpkg, "--skip-invalid", "--dry-run")  # now nothing left to change
    assert (rep["unchanged"], rep["refused"]) == (2, 1)
    assert [p["code"] for p in rep["repaired"]] == ["R-1"] and rep["repaired"][0]["area_change_pct"] < 1
    assert rep["problems"][0]["skippable"] is True
    valid, ratio = estd.sql("SELECT ST_IsValid(geom), ST_Area(ST_Transform(geom, 3006)) / 1e6 FROM areas "
                            "WHERE code = 'r-1'")[0]
    assert valid and abs(ratio - 1) < 0.01
    assert estd.sql("SELECT count(*) FROM areas WHERE code = 'x-1'")[0][0] == 0


def test_dry_run_stores_nothing(estd, tmp_path):
    gpkg = ogr2ogr(tmp_path, write(tmp_path, fc([feature({"kod": "D-1", "namn": "Torr"},
                                                         poly(ring(16000, 0, 16500, 500)))])), "GPKG", "gpkg")
    snap = snapshot(estd)
    rep = ok(estd.db, gpkg, "--dry-run")
    assert (rep["dry_run"], rep["stored"], rep["created"]) == (True, False, 1)
    assert snapshot(estd) == snap


def test_where_filter(estd, tmp_path):
    src = write(tmp_path, fc([feature({"kod": "K-1", "namn": "Borås del", "kommun": "1490"}, poly(ring(40000, 0, 40500, 500))),
                              feature({"kod": "K-2", "namn": "Annan kommun", "kommun": "1480"},
                                      poly(ring(41000, 0, 41500, 500)))]))
    rep = ok(estd.db, ogr2ogr(tmp_path, src, "GPKG", "gpkg"), "--where", "kommun = '1490'")
    assert (rep["features"], rep["created"], [a["code"] for a in rep["areas"]]) == (1, 1, ["k-1"])


def test_options_code_prefix_kind_and_fields(estd, tmp_path):
    src = write(tmp_path, fc([feature({"DESO": "1490C1010", "kommunnamn": "Borås"}, poly(ring(18000, 0, 18500, 500)))]))
    rep = ok(estd.db, ogr2ogr(tmp_path, src, "GPKG", "gpkg"), "--code-field", "DESO", "--code-prefix", "deso",
             "--kind", "other", "--approximate")
    assert (rep["code_field"], rep["name_field"]) == ("DESO", None)
    assert estd.sql("SELECT name, kind, approximate FROM areas WHERE code = 'deso-1490c1010'") == \
        [("1490C1010", "other", True)]


# ---- every error class, with its message -------------------------------------------------------------

def test_error_no_crs(estd, tmp_path):
    shp = ogr2ogr(tmp_path, write(tmp_path, fc([feature({"kod": "N-1", "namn": "Utan prj"},
                                                        poly(ring(20000, 0, 20500, 500)))])), "ESRI Shapefile", "shp",
                  layer="noprj")
    os.remove(shp[:-4] + ".prj")
    err = refused(estd.db, shp)
    assert "has no coordinate reference system" in err and "--srs" in err
    assert estd.sql("SELECT count(*) FROM areas WHERE code = 'n-1'")[0][0] == 0
    # naming the data's CRS imports it
    assert ok(estd.db, shp, "--srs", "EPSG:3006")["created"] == 1
    assert hausdorff_m(estd, "n-1", poly(ring(20000, 0, 20500, 500)))[0] < 0.001
    assert "does not know the CRS 'EPSG:999999'" in refused(estd.db, shp, "--srs", "EPSG:999999")


def test_error_wrong_crs(estd, tmp_path):
    # SWEREF 99 TM coordinates in a GeoJSON that declares no CRS (read as WGS84)
    gj = write(tmp_path, fc([feature({"kod": "W-1", "namn": "Fel crs"}, poly(ring(0, 0, 100, 100)))], crs=None))
    err = refused(estd.db, gj)
    assert "refused: feature 1 (code W-1, name Fel crs)" in err and "outside WGS84" in err and "wrong CRS" in err
    # longitude/latitude in a file that says SWEREF 99 TM: a boundary of a fraction of a square metre
    lonlat_sq = [[12.90, 57.70], [12.91, 57.70], [12.91, 57.71], [12.90, 57.71], [12.90, 57.70]]
    gpkg = ogr2ogr(tmp_path, write(tmp_path, fc([feature({"kod": "W-2", "namn": "Grader"}, poly(lonlat_sq))])),
                   "GPKG", "gpkg")
    err = refused(estd.db, gpkg)
    assert "refused: feature 1 (code W-2, name Grader): the area is smaller than 1 m²: wrong CRS?" in err
    assert estd.sql("SELECT count(*) FROM areas WHERE code IN ('w-1', 'w-2')")[0][0] == 0


def test_error_missing_fields(estd, tmp_path):
    gpkg = ogr2ogr(tmp_path, write(tmp_path, fc([feature({"kod": "M-1", "namn": "Med"}, poly(ring(0, 0, 10, 10))),
                                                 feature({"kod": "M-2"}, poly(ring(20, 0, 30, 10)))])),
                   "GPKG", "gpkg")
    err = refused(estd.db, gpkg, "--code-field", "nope")
    assert 'refused: feature 1 (code -, name Med): no value for the code property "nope"' in err
    assert "properties of feature 1: kod, namn" in err
    err = refused(estd.db, gpkg)
    assert 'refused: feature 2 (code M-2, name -): no value for the name property "namn"' in err
    nocode = write(tmp_path, fc([feature({"titel": "x"}, poly(ring(0, 0, 10, 10)))]))
    err = refused(estd.db, nocode)
    assert 'no code property: the features have neither "code" nor "kod" (--code-field names it)' in err
    assert estd.sql("SELECT count(*) FROM areas WHERE code LIKE 'm-%'")[0][0] == 0


def test_error_duplicate_codes(estd, tmp_path):
    gj = write(tmp_path, fc([feature({"kod": "Dup 1", "namn": "A"}, poly(ring(0, 0, 10, 10))),
                             feature({"kod": "Ok", "namn": "B"}, poly(ring(20, 0, 30, 10))),
                             feature({"kod": "DUP-1", "namn": "C"}, poly(ring(40, 0, 50, 10)))]))
    err = refused(estd.db, gj, "--skip-invalid")  # not a geometry problem: never skipped
    assert 'refused: feature 1 (code Dup 1, name A): the code "dup-1" occurs in more than one feature (features 1, 3)' \
        in err
    assert "refused: feature 3 (code DUP-1, name C)" in err
    assert estd.sql("SELECT count(*) FROM areas WHERE code IN ('dup-1', 'ok')")[0][0] == 0


def test_error_empty_file(estd, tmp_path):
    gj = write(tmp_path, fc([]))
    err = refused(estd.db, gj)
    assert "the layer has no features; nothing was stored" in err


def test_error_non_polygon_and_missing_geometry(estd, tmp_path):
    gj = write(tmp_path, fc([feature({"kod": "L-1", "namn": "Linje"},
                                     {"type": "LineString", "coordinates": [[E0, N0], [E0 + 10, N0 + 10]]}),
                             feature({"kod": "P-1", "namn": "Punkt"}, {"type": "Point", "coordinates": [E0, N0]}),
                             feature({"kod": "E-1", "namn": "Ingen"}, None),
                             feature({"kod": "OK-1", "namn": "Yta"}, poly(ring(0, 0, 10, 10)))]))
    err = refused(estd.db, gj)
    assert "refused: feature 1 (code L-1, name Linje): the geometry is a LineString, not a Polygon or MultiPolygon" \
        in err
    assert "refused: feature 2 (code P-1, name Punkt): the geometry is a Point" in err
    assert "refused: feature 3 (code E-1, name Ingen): the feature has no geometry" in err
    assert estd.sql("SELECT count(*) FROM areas WHERE code = 'ok-1'")[0][0] == 0
    rep = ok(estd.db, gj, "--skip-invalid", "--dry-run")
    assert (rep["created"], rep["refused"]) == (1, 3)


def test_error_file_layers_and_gdal(estd, tmp_path):
    src = write(tmp_path, fc(BASE))
    two = str(tmp_path / "two.gpkg")
    subprocess.run(["ogr2ogr", "-f", "GPKG", two, src, "-nln", "forsta"], check=True, capture_output=True)
    subprocess.run(["ogr2ogr", "-f", "GPKG", "-update", two, src, "-nln", "andra"], check=True, capture_output=True)
    err = refused(estd.db, two)
    assert "has 2 layers; choose one with --layer:" in err and "forsta" in err and "andra" in err
    assert ok(estd.db, two, "--layer", "andra", "--dry-run")["layer"] == "andra"
    assert "could not read layer 'saknas'" in refused(estd.db, two, "--layer", "saknas")
    assert "cannot read" in refused(estd.db, str(tmp_path / "missing.gpkg"))
    junk = tmp_path / "junk.gpkg"
    junk.write_text("not a geopackage")
    assert "GDAL cannot open" in refused(estd.db, str(junk))
    r = run(estd.db, src, env={"PATH": "/nonexistent"})
    assert r.returncode == 1 and "ogrinfo (Debian gdal-bin) is not on PATH" in r.stderr
    r = run(estd.db, src, "--kind", "stadsdel")
    assert r.returncode == 2 and "--kind must be" in r.stderr
    r = run(estd.db, src, "--bogus")
    assert r.returncode == 2 and "unknown argument '--bogus'" in r.stderr
