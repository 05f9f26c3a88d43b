"""OGC API - Features under /ogc (docs/OGC.md) against the real server and
PostgreSQL/PostGIS, read by a real GIS client: GDAL's OAPIF driver
(ogrinfo/ogr2ogr from Debian's gdal-bin) lists every collection, reads every
feature in CRS84 and in EPSG:3006 (compared with coordinates PostGIS computes
in the test database), follows paging to the end, and applies the bbox and
datetime filters. Direct HTTP tests cover the conformance declaration, the
links, the CRS parameters and their axis order, the errors, authentication
and the disclosure policy (events: read-detail only, a key sees its own
party's events; hot spots rounded and on the grid without read-detail).

GDAL 3.6 (Debian 12) has no CRS open option (that came in 3.7): it repeats
the dataset URL's query on every request, so the EPSG:3006 reads open
OAPIF:.../collections/<id>?crs=<uri>; the coordinates then arrive in the
authority's axis order (northing, easting), which is also what GDAL >= 3.7
expects (SERVER_FEATURE_AXIS_ORDER=AUTHORITY_COMPLIANT, its default)."""
import datetime as dt
import json
import math
import os
import re
import subprocess
from zoneinfo import ZoneInfo

import pytest
import requests

from conftest import Estd, assert_problem, create_key
from sit_events import HASSLEHOLMEN, HULTA, NORRBY, OUTSIDE, ev, insert, party_ids

SECRET = "ogc-key-secret-" + "0123456789abcdef" * 3
K = 3
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG3006 = "http://www.opengis.net/def/crs/EPSG/0/3006"
COLLECTIONS = ["areas", "area-focuses", "hot-spots", "events"]
CLUSTER = [(-0.0003, -0.0002), (-0.00015, 0.0001), (0.0, 0.0), (0.00015, -0.0001), (0.0003, 0.0002),
           (0.0001, 0.0002), (-0.0001, -0.0001)]
STHLM = ZoneInfo("Europe/Stockholm")


def make_key(db, party, scopes):
    return create_key(db, party, scopes, SECRET)


def this_monday():
    """Monday of the current ISO week in Stockholm (the hot spots' default period)."""
    today = dt.datetime.now(STHLM).date()
    return today - dt.timedelta(days=today.weekday())


def local(day, hour):
    return "%s %02d:00" % (day.isoformat(), hour)


def fixture_rows():
    mon = this_monday()
    prev = mon - dt.timedelta(days=7)
    rows = []
    # This week: a police hot spot of 7 incidents in Norrby, Monday..Wednesday.
    for i, (dx, dy) in enumerate(CLUSTER):
        rows.append(ev("incident", "polisen-boras", local(mon + dt.timedelta(days=i % 3), 9 + i), NORRBY,
                       "skadegorelse", dx=dx, dy=dy))
    rows.append(ev("incident", "boras-stad", local(mon, 10), HULTA, "klotter"))
    rows.append(ev("incident", "boras-stad", local(mon + dt.timedelta(days=1), 11), HULTA, "klotter", dx=0.001))
    rows.append(ev("incident", "ab-bostader", local(mon + dt.timedelta(days=2), 12), HASSLEHOLMEN, "klotter"))
    rows.append(ev("patrol", "polisen-boras", local(mon + dt.timedelta(days=1), 20), NORRBY, duration_s=1800))
    rows.append(ev("incident", "boras-stad", local(mon, 13), OUTSIDE, "brand"))
    rows.append(ev("incident", "ab-bostader", local(mon, 14), None, "ovrigt"))  # no position
    # The week before: some more, for the datetime filters.
    for i in range(4):
        rows.append(ev("incident", "polisen-boras", local(prev + dt.timedelta(days=i), 8 + i), HULTA, "narkotika",
                       dx=0.0002 * i))
    rows.append(ev("incident", "boras-stad", local(prev + dt.timedelta(days=5), 22), HASSLEHOLMEN, "klotter"))
    return rows


@pytest.fixture(scope="module")
def env(estd):
    insert(estd.db, fixture_rows())
    keys = {
        "admin": make_key(estd.db, "boras-stad", "admin"),
        "police": make_key(estd.db, "polisen-boras", "read,read-detail"),
        "reader": make_key(estd.db, "boras-stad", "read"),
    }
    sec = Estd(estd.db, env={"ESTD_AUTH": "required", "ESTD_KEY_SECRET": SECRET, "ESTD_RATE_LIMIT_RPS": "0",
                             "ESTD_RATE_LIMIT_ANON_RPS": "0", "ESTD_AUTH_CACHE_TTL_MS": "0",
                             "ESTD_PRIVACY_MIN_COUNT": str(K)}).start()
    yield {"sec": sec, "keys": keys, "db": estd, "party": party_ids(estd)}
    assert sec.stop() == 0, sec.read_log()[-3000:]


def get(env, who, path, **kw):
    headers = dict(kw.pop("headers", {}))
    if who:
        headers["Authorization"] = "Bearer " + env["keys"][who]
    return env["sec"].get(path, headers=headers, **kw)


def ok(r, ctype="application/geo+json"):
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith(ctype), r.headers
    return r.json()


def link(doc, rel, type_=None):
    ls = [l for l in doc["links"] if l["rel"] == rel and (type_ is None or l["type"] == type_)]
    return ls[0]["href"] if ls else None


# ---- GDAL ---------------------------------------------------------------------

def gdal_env(env, who):
    e = dict(os.environ, GDAL_HTTP_TIMEOUT="60", CPL_DEBUG="OFF")
    if who:
        e["GDAL_HTTP_HEADERS"] = "Authorization: Bearer " + env["keys"][who]
    return e


def ogr(env, who, *args, check=True):
    p = subprocess.run(list(args), env=gdal_env(env, who), capture_output=True, text=True, timeout=180)
    if check:
        assert p.returncode == 0, (args, p.stderr[-3000:])
        assert "ERROR" not in p.stderr, p.stderr[-3000:]
    return p


def gdal_read(env, who, url, page_size=None, *extra):
    """Every feature GDAL reads from an OAPIF dataset URL, as GeoJSON (ids kept)."""
    args = ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", "-preserve_fid"]
    if page_size:
        args += ["-oo", "PAGE_SIZE=%d" % page_size]
    p = ogr(env, who, *args, "OAPIF:" + url, *extra)
    return json.loads(p.stdout)["features"]


def base(env):
    return env["sec"].base + "/ogc"


def flat(coords):
    if isinstance(coords, (int, float)):
        return [float(coords)]
    return [x for c in coords for x in flat(c)]


def assert_close(got, want, tol, what):
    g, w = flat(got), flat(want)
    assert len(g) == len(w), (what, len(g), len(w))
    worst = max((abs(a - b) for a, b in zip(g, w)), default=0.0)
    assert worst <= tol, (what, worst)


def postgis(env, sql, params=None):
    return env["db"].sql(sql, params)


# PostGIS's own coordinates of each stored geometry, per collection and CRS.
GEOM_SQL = {
    "areas": "SELECT a.id, {g} FROM areas a WHERE a.archived_at IS NULL",
    "area-focuses": "SELECT f.id, {g} FROM area_focuses f JOIN areas a ON a.id = f.area_id WHERE f.archived_at IS NULL",
    "events": "SELECT a.id, {g} FROM events a",
}
GEOM_EXPR = {
    CRS84: "ST_AsGeoJSON(a.geom)::text",
    EPSG3006: "ST_AsGeoJSON(ST_FlipCoordinates(ST_Transform(a.geom, 3006)))::text",
}


def expected_geoms(env, collection, crs):
    sql = GEOM_SQL[collection].format(g=GEOM_EXPR[crs])
    return {i: (json.loads(g)["coordinates"] if g else None) for i, g in postgis(env, sql)}


def test_gdal_lists_every_collection(env):
    p = ogr(env, "admin", "ogrinfo", "-ro", "-so", "-q", "OAPIF:" + base(env))
    names = re.findall(r"^\d+: ([\w-]+)", p.stdout, re.M)
    assert sorted(names) == sorted(COLLECTIONS), p.stdout
    # A key without read-detail reads no events: the collection is not offered.
    p = ogr(env, "reader", "ogrinfo", "-ro", "-so", "-q", "OAPIF:" + base(env))
    assert sorted(re.findall(r"^\d+: ([\w-]+)", p.stdout, re.M)) == sorted(c for c in COLLECTIONS if c != "events")
    # Without credentials GDAL gets 401 and fails.
    p = ogr(env, None, "ogrinfo", "-ro", "-so", "-q", "OAPIF:" + base(env), check=False)
    assert p.returncode != 0 and "401" in p.stderr, p.stderr


@pytest.mark.parametrize("collection", ["areas", "area-focuses", "events"])
def test_gdal_reads_every_feature_in_both_crs(env, collection):
    for crs in (CRS84, EPSG3006):
        url = base(env) + "/collections/" + collection + ("" if crs == CRS84 else "?crs=" + crs)
        feats = gdal_read(env, "admin", url, 3)
        want = expected_geoms(env, collection, crs)
        got = {f["id"]: f["geometry"] for f in feats}
        assert len(feats) == len(got) == len(want) > 0, (collection, crs)
        assert set(got) == set(want)
        for i, g in got.items():
            if want[i] is None:
                assert g is None
                continue
            assert_close(g["coordinates"], want[i], 1e-6 if crs == CRS84 else 2e-3, (collection, crs, i))
        if crs == EPSG3006 and collection == "areas":  # northing first: Borås is near N 6 400 000, E 377 000
            first = flat(next(iter(got.values()))["coordinates"])
            assert 6.3e6 < first[0] < 6.5e6 and 3.0e5 < first[1] < 4.5e5


def test_gdal_reads_hot_spots_in_both_crs(env):
    # The API's own CRS84 hot spots (the situational picture's), transformed by PostGIS.
    api = ok(get(env, "admin", "/ogc/collections/hot-spots/items"))
    assert api["numberMatched"] == len(api["features"]) >= 1
    sit = ok(get(env, "admin", "/v1/situation"), "application/json")
    assert [h["incident_count"] for h in sit["hot_spots"]] == \
        [f["properties"]["incident_count"] for f in api["features"]]
    assert api["features"][0]["properties"]["incident_count"] == len(CLUSTER)
    for crs in (CRS84, EPSG3006):
        url = base(env) + "/collections/hot-spots" + ("" if crs == CRS84 else "?crs=" + crs)
        got = {f["id"]: f["geometry"]["coordinates"] for f in gdal_read(env, "admin", url, 1)}
        assert sorted(got) == sorted(f["id"] for f in api["features"])
        for f in api["features"]:
            want = f["geometry"]["coordinates"]
            if crs == EPSG3006:
                want = json.loads(postgis(env, "SELECT ST_AsGeoJSON(ST_FlipCoordinates(ST_Transform(ST_SetSRID("
                                               "ST_GeomFromGeoJSON(%s), 4326), 3006)))", (json.dumps(f["geometry"]),))
                                  [0][0])["coordinates"]
            assert_close(got[f["id"]], want, 1e-6 if crs == CRS84 else 2e-3, ("hot-spots", crs))


@pytest.mark.parametrize("page_size", [1, 2, 5])
def test_gdal_follows_paging_to_the_end(env, page_size):
    want = sorted(i for (i,) in postgis(env, "SELECT id FROM events"))
    ids = [f["id"] for f in gdal_read(env, "admin", base(env) + "/collections/events", page_size)]
    assert len(ids) == len(set(ids)), "a feature was read twice"
    assert sorted(ids) == want, "a feature was lost"
    assert len(want) > 3 * page_size or page_size == 5


def test_gdal_bbox_filter(env):
    # A box around Norrby in CRS84: GDAL sends it as bbox (and checks the result itself too).
    x0, y0, x1, y1 = NORRBY[0] - 0.002, NORRBY[1] - 0.002, NORRBY[0] + 0.002, NORRBY[1] + 0.002
    for collection, sql in (("events", "SELECT id FROM events WHERE ST_Intersects(geom, ST_MakeEnvelope(%s,%s,%s,%s,4326))"),
                            ("areas", "SELECT id FROM areas WHERE archived_at IS NULL AND "
                                      "ST_Intersects(geom, ST_MakeEnvelope(%s,%s,%s,%s,4326))")):
        want = {i for (i,) in postgis(env, sql, (x0, y0, x1, y1))}
        got = {f["id"] for f in gdal_read(env, "admin", base(env) + "/collections/" + collection, 2,
                                          "-spat", str(x0), str(y0), str(x1), str(y1))}
        total = postgis(env, "SELECT count(*) FROM " + ("events" if collection == "events" else "areas"))[0][0]
        assert got == want and 0 < len(want) < total, (collection, got, want)
    # The server filters (not only GDAL): the same box over HTTP.
    r = ok(get(env, "admin", "/ogc/collections/events/items", params={"bbox": "%r,%r,%r,%r" % (x0, y0, x1, y1)}))
    assert {f["id"] for f in r["features"]} == {i for (i,) in postgis(
        env, "SELECT id FROM events WHERE ST_Intersects(geom, ST_MakeEnvelope(%s,%s,%s,%s,4326))", (x0, y0, x1, y1))}


def test_gdal_datetime_filter(env):
    # GDAL turns a where clause on a date-time field into datetime=start/end and leaves the
    # filtering to the server: a server that ignored it would hand back every event.
    mon = this_monday()
    start = dt.datetime.combine(mon, dt.time(0), STHLM).astimezone(dt.timezone.utc)
    end = start + dt.timedelta(days=1, hours=12)
    fmt = "%Y-%m-%dT%H:%M:%S"
    where = "occurred_at >= '%s' AND occurred_at <= '%s'" % (start.strftime(fmt), end.strftime(fmt))
    got = {f["id"] for f in gdal_read(env, "admin", base(env) + "/collections/events", 2, "-where", where)}
    want = {i for (i,) in postgis(env, "SELECT id FROM events WHERE occurred_at BETWEEN %s AND %s", (start, end))}
    total = postgis(env, "SELECT count(*) FROM events")[0][0]
    assert got == want and 0 < len(want) < total
    # An interval open at its end (datetime=start/..).
    got = {f["id"] for f in gdal_read(env, "admin", base(env) + "/collections/events", 3,
                                      "-where", "occurred_at >= '%s'" % start.strftime(fmt))}
    want = {i for (i,) in postgis(env, "SELECT id FROM events WHERE occurred_at >= %s", (start,))}
    assert got == want and 0 < len(want) < total


# ---- HTTP: documents and links -------------------------------------------------------

def test_landing_page_and_conformance(env):
    land = ok(get(env, "admin", "/ogc"), "application/json")
    assert link(land, "self") == base(env)
    assert link(land, "conformance") == base(env) + "/conformance"
    assert link(land, "data") == base(env) + "/collections"
    assert link(land, "service-desc") == base(env) + "/api"
    api = ok(get(env, "admin", "/ogc/api"), "application/vnd.oai.openapi+json;version=3.0")
    assert api["openapi"].startswith("3.0") and api["servers"] == [{"url": base(env)}]
    assert {"/", "/api", "/conformance", "/collections", "/collections/{collectionId}",
            "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}"} == set(api["paths"])
    conf = ok(get(env, "admin", "/ogc/conformance"), "application/json")
    assert set(conf["conformsTo"]) == {
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"}
    assert ok(get(env, "admin", "/ogc/"), "application/json") == land  # with a trailing slash too
    h = env["sec"].base + "/ogc/collections/areas/items"
    r = requests.head(h, headers={"Authorization": "Bearer " + env["keys"]["admin"]}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/geo+json") and not r.content
    # The links follow the Host the client used.
    r = get(env, "admin", "/ogc", headers={"Host": "gis.example.se:8443"})
    assert link(r.json(), "self") == "http://gis.example.se:8443/ogc"
    assert_problem(get(env, "admin", "/ogc", headers={"Host": "evil\"host"}), 400)


def test_public_url_names_the_links(env):
    """Behind a proxy (TLS, a path prefix) ESTD_PUBLIC_URL is what the links are built from."""
    e = Estd(env["db"].db, env={"ESTD_PUBLIC_URL": "https://gis.example.se/estd"}).start()
    try:
        land = ok(e.get("/ogc"), "application/json")
        assert link(land, "self") == "https://gis.example.se/estd/ogc"
        assert link(land, "data") == "https://gis.example.se/estd/ogc/collections"
        page = ok(e.get("/ogc/collections/areas/items", params={"limit": 1}))
        assert link(page, "next").startswith("https://gis.example.se/estd/ogc/collections/areas/items?limit=1&cursor=")
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]
    for bad in ("gis.example.se", "https://gis.example.se/", "https://gis.example.se/x?y=1", "https://a b"):
        e = Estd(env["db"].db, env={"ESTD_PUBLIC_URL": bad}).start(wait_ready=False)
        assert e.proc.wait(30) != 0
        assert "ESTD_PUBLIC_URL" in e.read_log(), bad


def test_collections_metadata(env):
    doc = ok(get(env, "admin", "/ogc/collections"), "application/json")
    colls = {c["id"]: c for c in doc["collections"]}
    assert sorted(colls) == sorted(COLLECTIONS)
    for c in colls.values():
        assert c["crs"] == [CRS84, EPSG4326, EPSG3006] and c["storageCrs"] == CRS84
        assert link(c, "items", "application/geo+json") == base(env) + "/collections/%s/items" % c["id"]
        assert link(c, "self") == base(env) + "/collections/" + c["id"]
        assert ok(get(env, "admin", "/ogc/collections/" + c["id"]), "application/json") == c
    bbox = colls["areas"]["extent"]["spatial"]["bbox"][0]
    want = postgis(env, "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                        "(SELECT ST_Extent(geom) e FROM areas WHERE archived_at IS NULL) x")[0]
    assert_close(bbox, want, 1e-9, "areas extent")
    t0, t1 = colls["events"]["extent"]["temporal"]["interval"][0]
    lo, hi = postgis(env, "SELECT min(occurred_at), max(occurred_at) FROM events")[0]
    assert dt.datetime.fromisoformat(t0.replace("Z", "+00:00")) == lo.replace(microsecond=0)
    assert dt.datetime.fromisoformat(t1.replace("Z", "+00:00")) == hi.replace(microsecond=0)
    assert "temporal" not in colls["areas"]["extent"]
    # The events' spatial extent is the planner's estimate (no scan of every event per request).
    postgis(env, "ANALYZE events")
    got = ok(get(env, "admin", "/ogc/collections/events"), "application/json")["extent"]["spatial"]["bbox"][0]
    x0, y0, x1, y1 = postgis(env, "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                                  "(SELECT ST_Extent(geom) e FROM events) x")[0]
    assert got[0] <= x1 and got[2] >= x0 and got[1] <= y1 and got[3] >= y0  # overlaps the true extent
    assert 12 < got[0] < 14 and 57 < got[1] < 58
    # crs on a description: its items links ask for it (how GDAL 3.6 reads EPSG:3006).
    c = ok(get(env, "admin", "/ogc/collections/areas", params={"crs": EPSG3006}), "application/json")
    assert link(c, "items", "application/geo+json") == base(env) + "/collections/areas/items?crs=" + EPSG3006


def test_paging_links_and_counts(env):
    n = postgis(env, "SELECT count(*) FROM events")[0][0]
    url = "/ogc/collections/events/items?limit=2"
    seen, pages = [], 0
    while url:
        doc = ok(get(env, "admin", url.replace(env["sec"].base, "")))
        pages += 1
        # numberMatched on the first page (counting all again for every page would cost a scan each)
        assert doc.get("numberMatched") == (n if pages == 1 else None)
        assert doc["numberReturned"] == len(doc["features"]) <= 2
        assert link(doc, "collection") == base(env) + "/collections/events"
        assert link(doc, "self", "application/geo+json").startswith(base(env) + "/collections/events/items?")
        assert "f=json" in link(doc, "alternate", "application/json")
        seen += [f["id"] for f in doc["features"]]
        url = link(doc, "next")
        assert url is None or url.startswith(base(env))
    assert pages == math.ceil(n / 2) and sorted(seen) == sorted(set(seen)) == sorted(
        i for (i,) in postgis(env, "SELECT id FROM events"))
    # f=json: the same page as application/json.
    a = ok(get(env, "admin", "/ogc/collections/events/items", params={"limit": 3}))
    b = ok(get(env, "admin", "/ogc/collections/events/items", params={"limit": 3, "f": "json"}), "application/json")
    assert a["features"] == b["features"] and link(b, "self", "application/json")
    # The default and the maximum of limit.
    assert ok(get(env, "admin", "/ogc/collections/events/items"))["numberReturned"] == min(n, 100)
    assert ok(get(env, "admin", "/ogc/collections/events/items", params={"limit": 1000}))["numberReturned"] == n


def test_single_feature(env):
    i = postgis(env, "SELECT min(id) FROM areas WHERE archived_at IS NULL")[0][0]
    f = ok(get(env, "admin", "/ogc/collections/areas/items/%d" % i))
    assert f["type"] == "Feature" and f["id"] == i
    assert link(f, "self") == base(env) + "/collections/areas/items/%d" % i
    assert link(f, "collection") == base(env) + "/collections/areas"
    assert_problem(get(env, "admin", "/ogc/collections/areas/items/99999999"), 404)
    assert_problem(get(env, "admin", "/ogc/collections/areas/items/abc"), 404)
    assert_problem(get(env, "admin", "/ogc/collections/nope/items"), 404)
    assert_problem(get(env, "admin", "/ogc/collections/nope"), 404)
    h = ok(get(env, "admin", "/ogc/collections/hot-spots/items/1"))
    assert h["id"] == 1 and h["properties"]["incident_count"] == len(CLUSTER)
    assert_problem(get(env, "admin", "/ogc/collections/hot-spots/items/40"), 404)


# ---- HTTP: CRS and axis order ----------------------------------------------------------

def test_crs_axis_order_and_content_crs(env):
    i = postgis(env, "SELECT min(id) FROM areas WHERE archived_at IS NULL")[0][0]
    lon, lat, e, n = postgis(env, "SELECT ST_X(p), ST_Y(p), ST_X(ST_Transform(p, 3006)), ST_Y(ST_Transform(p, 3006)) "
                                  "FROM (SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1) p FROM areas "
                                  "WHERE id = %s) x", (i,))[0]
    for crs, first in ((None, (lon, lat)), (CRS84, (lon, lat)), (EPSG4326, (lat, lon)), (EPSG3006, (n, e))):
        r = get(env, "admin", "/ogc/collections/areas/items/%d" % i, params={"crs": crs} if crs else {})
        f = ok(r)
        assert r.headers["Content-Crs"] == "<%s>" % (crs or CRS84)
        assert "crs" not in f["geometry"]
        assert_close(f["geometry"]["coordinates"][0][0][0], first, 1e-6 if crs != EPSG3006 else 2e-3, crs)
        r = get(env, "admin", "/ogc/collections/areas/items", params={"crs": crs} if crs else {})
        assert r.headers["Content-Crs"] == "<%s>" % (crs or CRS84)


def test_bbox_crs(env):
    # A box in EPSG:3006 around Norrby, given northing first as the CRS defines it.
    e, n = postgis(env, "SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3006) p",
                   NORRBY)[0]
    e0, n0, e1, n1 = e - 150, n - 150, e + 150, n + 150
    want = {i for (i,) in postgis(env, "SELECT id FROM events WHERE ST_Intersects(ST_Transform(geom, 3006), "
                                       "ST_MakeEnvelope(%s, %s, %s, %s, 3006))", (e0, n0, e1, n1))}
    assert len(want) >= len(CLUSTER)
    r = ok(get(env, "admin", "/ogc/collections/events/items",
               params={"bbox": "%r,%r,%r,%r" % (n0, e0, n1, e1), "bbox-crs": EPSG3006}))
    assert {f["id"] for f in r["features"]} == want and r["numberMatched"] == len(want)
    # Easting first is another box (nowhere near Borås): nothing.
    r = ok(get(env, "admin", "/ogc/collections/events/items",
               params={"bbox": "%r,%r,%r,%r" % (e0, n0, e1, n1), "bbox-crs": EPSG3006}))
    assert r["features"] == []
    # EPSG:4326 is latitude first.
    r = ok(get(env, "admin", "/ogc/collections/areas/items",
               params={"bbox": "%r,%r,%r,%r" % (NORRBY[1], NORRBY[0], NORRBY[1], NORRBY[0]), "bbox-crs": EPSG4326}))
    want = {i for (i,) in postgis(env, "SELECT id FROM areas WHERE archived_at IS NULL AND "
                                       "ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))", NORRBY)}
    assert {f["id"] for f in r["features"]} == want and want


def test_datetime_semantics(env):
    rows = postgis(env, "SELECT id, occurred_at FROM events ORDER BY occurred_at, id")
    t = rows[3][1]
    iso = t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def ids(param):
        return {f["id"] for f in ok(get(env, "admin", "/ogc/collections/events/items",
                                        params={"datetime": param, "limit": 1000}))["features"]}

    assert ids(iso) == {i for i, o in rows if o == t}  # an instant
    assert ids(iso + "/" + iso) == {i for i, o in rows if o == t}  # closed, both ends inclusive
    assert ids("../" + iso) == {i for i, o in rows if o <= t}
    assert ids("/" + iso) == {i for i, o in rows if o <= t}
    assert ids(iso + "/..") == {i for i, o in rows if o >= t}
    assert ids(iso + "/") == {i for i, o in rows if o >= t}
    # Area focuses: validity [valid_from, valid_to] intersecting the interval.
    r = ok(get(env, "admin", "/ogc/collections/area-focuses/items",
               params={"datetime": "2019-06-01T00:00:00Z/2019-06-02T00:00:00Z"}))
    want = {i for (i,) in postgis(env, "SELECT id FROM area_focuses WHERE archived_at IS NULL AND valid_from <= "
                                       "'2019-06-02' AND (valid_to IS NULL OR valid_to >= '2019-06-01')")}
    all_focuses = postgis(env, "SELECT count(*) FROM area_focuses WHERE archived_at IS NULL")[0][0]
    assert {f["id"] for f in r["features"]} == want
    assert 0 < len(want) <= all_focuses
    # Hot spots: an instant selects its ISO week; last week has none of this week's cluster.
    last_week = dt.datetime.combine(this_monday() - dt.timedelta(days=4), dt.time(12), STHLM).isoformat()
    r = ok(get(env, "admin", "/ogc/collections/hot-spots/items", params={"datetime": last_week}))
    this_week = ok(get(env, "admin", "/ogc/collections/hot-spots/items"))
    assert r["period"]["from"] == (this_monday() - dt.timedelta(days=7)).isoformat()
    assert this_week["period"]["from"] == this_monday().isoformat()
    assert all(f["properties"]["incident_count"] < len(CLUSTER) for f in r["features"])


# ---- HTTP: errors ---------------------------------------------------------------------

@pytest.mark.parametrize("path,params,field", [
    ("/ogc/collections/areas/items", {"crs": "EPSG:3006"}, "crs"),
    ("/ogc/collections/areas/items", {"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"}, "crs"),
    ("/ogc/collections/areas/items/1", {"crs": "x"}, "crs"),
    ("/ogc/collections/areas", {"crs": "x"}, "crs"),
    ("/ogc/collections", {"crs": "x"}, "crs"),
    ("/ogc/collections/areas/items", {"bbox-crs": "EPSG:4326", "bbox": "1,2,3,4"}, "bbox-crs"),
    ("/ogc/collections/areas/items", {"bbox": "1,2,3"}, "bbox"),
    ("/ogc/collections/areas/items", {"bbox": "13,57.7,12.9,57.8"}, "bbox"),
    ("/ogc/collections/areas/items", {"bbox": "6399000,376000,6401000,379000"}, "bbox"),
    ("/ogc/collections/areas/items", {"datetime": "2026-11-02T00:00:00Z"}, "datetime"),
    ("/ogc/collections/events/items", {"datetime": "2026-11-02"}, "datetime"),
    ("/ogc/collections/events/items", {"datetime": "../.."}, "datetime"),
    ("/ogc/collections/events/items", {"datetime": "2026-11-09T00:00:00Z/2026-11-02T00:00:00Z"}, "datetime"),
    ("/ogc/collections/hot-spots/items", {"datetime": "2026-11-02T00:00:00Z/.."}, "datetime"),
    ("/ogc/collections/areas/items", {"limit": "0"}, "limit"),
    ("/ogc/collections/areas/items", {"limit": "1001"}, "limit"),
    ("/ogc/collections/areas/items", {"cursor": "garbage"}, "cursor"),
    ("/ogc/collections/areas/items", {"f": "html"}, "f"),
    ("/ogc", {"f": "geojson"}, "f"),
    ("/ogc/collections/areas/items", {"stauts": "x"}, "stauts"),
    ("/ogc", {"crs": EPSG3006}, "crs"),
    ("/ogc/conformance", {"limit": "1"}, "limit"),
])
def test_bad_parameters_are_400(env, path, params, field):
    doc = assert_problem(get(env, "admin", path, params=params), 400, field)
    assert field in doc["detail"]


def test_authentication(env):
    for path in ("/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/areas/items"):
        assert_problem(get(env, None, path), 401)
        r = env["sec"].get(path, headers={"Authorization": "Bearer estd_nope"})
        assert_problem(r, 401)
        assert get(env, "reader", path).status_code == 200


# ---- HTTP: disclosure -------------------------------------------------------------------

def test_events_need_read_detail(env):
    for path in ("/ogc/collections/events", "/ogc/collections/events/items",
                 "/ogc/collections/events/items/%d" % postgis(env, "SELECT min(id) FROM events")[0][0]):
        assert_problem(get(env, "reader", path), 403)
    listed = [c["id"] for c in ok(get(env, "reader", "/ogc/collections"), "application/json")["collections"]]
    assert "events" not in listed and "areas" in listed


def test_a_party_key_sees_only_its_own_events(env):
    police = env["party"]["polisen-boras"]
    own = {i for (i,) in postgis(env, "SELECT id FROM events WHERE party_id = %s", (police,))}
    others = {i for (i,) in postgis(env, "SELECT id FROM events WHERE party_id <> %s", (police,))}
    assert own and others
    doc = ok(get(env, "police", "/ogc/collections/events/items", params={"limit": 1000}))
    assert {f["id"] for f in doc["features"]} == own and doc["numberMatched"] == len(own)
    assert all(f["properties"]["party_id"] == police for f in doc["features"])
    assert ok(get(env, "police", "/ogc/collections/events/items/%d" % min(own)))["id"] == min(own)
    assert_problem(get(env, "police", "/ogc/collections/events/items/%d" % min(others)), 404)
    # The extent is that of its own events (times; no spatial estimate of everyone's events).
    c = ok(get(env, "police", "/ogc/collections/events"), "application/json")
    assert "spatial" not in c["extent"]
    t0 = c["extent"]["temporal"]["interval"][0][0]
    lo = postgis(env, "SELECT min(occurred_at) FROM events WHERE party_id = %s", (police,))[0][0]
    assert dt.datetime.fromisoformat(t0.replace("Z", "+00:00")) == lo.replace(microsecond=0)
    # Through GDAL too.
    got = [f["id"] for f in gdal_read(env, "police", base(env) + "/collections/events", 2)]
    assert sorted(got) == sorted(own)
    # admin: every party's.
    doc = ok(get(env, "admin", "/ogc/collections/events/items", params={"limit": 1000}))
    assert {f["id"] for f in doc["features"]} == own | others


def test_hot_spots_under_disclosure_control(env):
    # Without read-detail: counts rounded to multiples of K, the hull a rectangle on the 100 m grid.
    doc = ok(get(env, "reader", "/ogc/collections/hot-spots/items", params={"crs": EPSG3006}))
    assert doc["privacy"]["min_count"] == K and doc["features"]
    for f in doc["features"]:
        assert f["properties"]["incident_count"] % K == 0
        for n, e in f["geometry"]["coordinates"][0]:
            assert abs(n - round(n / 100) * 100) < 0.5 and abs(e - round(e / 100) * 100) < 0.5, (n, e)
    # With read-detail: the exact count and the convex hull (off the grid).
    doc = ok(get(env, "police", "/ogc/collections/hot-spots/items", params={"crs": EPSG3006}))
    f = doc["features"][0]
    assert f["properties"]["incident_count"] == len(CLUSTER)
    assert any(abs(n - round(n / 100) * 100) > 0.5 for n, _ in f["geometry"]["coordinates"][0])
    # The same as the situational picture shows that caller.
    sit = ok(get(env, "reader", "/v1/situation"), "application/json")
    got = ok(get(env, "reader", "/ogc/collections/hot-spots/items"))
    assert [h["incident_count"] for h in sit["hot_spots"]] == [x["properties"]["incident_count"]
                                                               for x in got["features"]]
    assert [h["hull"]["coordinates"] for h in sit["hot_spots"]] == [x["geometry"]["coordinates"]
                                                                    for x in got["features"]]
