"""The web app's static serving under /app/ (routes_web.c): content types,
caching of hashed and unhashed names, the Content-Security-Policy,
precompressed variants by Accept-Encoding, and that no URL reaches a file
outside the asset table (traversal, symbolic links, dot files)."""
import gzip
import os

import pytest
import requests

from conftest import Estd, assert_problem
from test_situation import published

CSP_PARTS = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
             "base-uri 'none'", "frame-ancestors 'none'"]


@pytest.fixture(scope="module")
def webdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("web")
    (d / "assets").mkdir()
    (d / "index.html").write_text("<!doctype html><title>app</title>")
    (d / "public.html").write_text("<!doctype html><title>public</title>")
    (d / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    js = b"console.log('estd');" * 50
    (d / "assets" / "app-ABCD2345.js").write_bytes(js)
    (d / "assets" / "app-ABCD2345.js.gz").write_bytes(gzip.compress(js))
    (d / "assets" / "app-ABCD2345.js.br").write_bytes(b"BROTLI-VARIANT")
    (d / "assets" / "app-WXYZ6789.css").write_text("body{color:#000}")
    (d / ".secret").write_text("dot file")
    os.symlink("/etc/passwd", d / "assets" / "passwd-AAAAAAAA.js")
    os.symlink("/etc", d / "etc")
    return d


@pytest.fixture(scope="module")
def web(db, webdir):
    e = Estd(db, env={"ESTD_WEB_DIR": str(webdir), "ESTD_UI_BASEMAP_URL": "https://{s}.tile.example.org/{z}/{x}/{y}.png"}).start()
    yield e
    assert e.stop() == 0, e.read_log()[-3000:]


def csp_ok(r, basemap=None):
    csp = r.headers["Content-Security-Policy"]
    for p in CSP_PARTS:
        assert p in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp.replace("https://*.tile.example.org", "")
    if basemap:
        assert f"img-src 'self' {basemap}" in csp, csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_index_and_views(web):
    r = requests.get(web.url("/app"), allow_redirects=False, timeout=10)
    assert r.status_code == 308 and r.headers["Location"] == "/app/"
    for path in ("/app/", "/app/commitments", "/app/weekly"):
        r = web.get(path)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert r.headers["Cache-Control"] == "no-cache"
        assert "<title>app</title>" in r.text
        csp_ok(r, "https://*.tile.example.org")
        etag = r.headers["ETag"]
        assert web.get(path, headers={"If-None-Match": etag}).status_code == 304
    r = web.get("/app/favicon.svg")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/svg+xml"


def test_hashed_assets_are_immutable_and_precompressed(web):
    path = "/app/assets/app-ABCD2345.js"
    r = web.get(path, headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers["Vary"] == "Accept-Encoding"
    assert "Content-Encoding" not in r.headers
    assert r.content == b"console.log('estd');" * 50
    raw = requests.get(web.url(path), headers={"Accept-Encoding": "gzip, br"}, stream=True, timeout=10)
    assert raw.headers["Content-Encoding"] == "br" and raw.raw.read(decode_content=False) == b"BROTLI-VARIANT"
    raw = requests.get(web.url(path), headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw.raw.read(decode_content=False)) == b"console.log('estd');" * 50
    raw = requests.get(web.url(path), headers={"Accept-Encoding": "br;q=0, gzip;q=0.5"}, stream=True, timeout=10)
    assert raw.headers["Content-Encoding"] == "gzip"
    r = web.get("/app/assets/app-WXYZ6789.css")
    assert r.headers["Content-Type"] == "text/css; charset=utf-8" and "Vary" not in r.headers
    assert requests.head(web.url(path), timeout=10).status_code == 200


@pytest.mark.parametrize("path", [
    "/app/assets/nope-ABCDEFGH.js", "/app/assets/..%2f..%2f..%2fetc%2fpasswd", "/app/..%2f..%2fetc%2fpasswd",
    "/app/assets/passwd-AAAAAAAA.js", "/app/.secret", "/app/etc/passwd", "/app/assets/app-ABCD2345.js.br",
    "/app/%2e%2e/%2e%2e/etc/passwd", "/app/assets/%2fetc%2fpasswd", "/app/index.html%00.js",
    "/app/no-such-view", "/app/1' OR '1'='1",
])
def test_no_file_outside_the_table(web, path):
    r = requests.get(web.url(path), timeout=10)
    assert r.status_code == 404, (path, r.status_code, r.text[:200])
    assert "root:" not in r.text
    assert_problem(r, 404)


def test_config_and_public_page_off(web):
    r = web.get("/app/config.json")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert r.json() == {"basemap_url": "https://{s}.tile.example.org/{z}/{x}/{y}.png", "public_page": False, "auth": "off"}
    for path in ("/app/public", "/app/public/", "/app/public/2", "/v1/public/agreements", "/v1/public/agreements/2"):
        assert_problem(web.get(path), 404)


def test_public_api_only_pledges_and_no_detail(db, webdir):
    e = Estd(db, env={"ESTD_WEB_DIR": str(webdir), "ESTD_PUBLIC_PAGE": "on"}).start()
    try:
        r = e.get("/app/public/")
        assert r.status_code == 200 and "<title>public</title>" in r.text
        assert e.get("/app/public/2").status_code == 200
        assert_problem(e.get("/app/public/x'--"), 404)
        items = e.get("/v1/public/agreements").json()["items"]
        assert items and all(a["kind"] == "medborgarlofte" for a in items)
        pledge = items[0]["id"]
        other = e.sql("SELECT id FROM agreements WHERE kind <> 'medborgarlofte' LIMIT 1")[0][0]
        assert_problem(e.get(f"/v1/public/agreements/{other}"), 404)
        # Two matching activities for ml-3 (a count below k = 3); their record keys give the
        # cell key 2e9, with which the cell-key rounding takes 2 to 0: hidden.
        pid = e.sql("SELECT id FROM parties WHERE code = 'polisen-boras'")[0][0]
        e.sql("""WITH e AS (
                   INSERT INTO events (source, source_event_id, party_id, kind, activity_type, occurred_at, geom, channel,
                                       record_key, area_ids)
                   SELECT 'web-test', 'w' || i, %s, 'activity', 'operativ_insats', timestamp '2018-05-01' + i * interval '1 day',
                          ST_SetSRID(ST_MakePoint(12.93, 57.7285), 4326), 'http', 1000000000,
                          (SELECT array_agg(id ORDER BY id) FROM areas WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(12.93, 57.7285), 4326)))
                   FROM generate_series(1, 2) i RETURNING id, geom, occurred_at, kind, category, party_id)
                 INSERT INTO event_areas (event_id, area_id, occurred_at, kind, category, party_id)
                 SELECT e.id, a.id, e.occurred_at, e.kind, e.category, e.party_id FROM e JOIN areas a ON ST_Contains(a.geom, e.geom)""",
              (pid,))
        doc = e.get(f"/v1/public/agreements/{pledge}").json()
        k = doc["privacy"]["min_count"]
        assert k == 3
        ml3 = next(c for c in doc["commitments"] if c["code"] == "ml-3")
        assert ml3["progress"]["value"] is None and ml3["progress"]["value_suppressed"] is True
        assert ml3["progress"]["percentage"] is None and ml3["progress"]["on_track"] is None
        assert published(2, 2000000000, k) is None
        for b in ml3["progress"]["buckets"]:
            assert b["value"] is None or b["value"] % k == 0
        # The internal report has it (2): the public one hides what it shows.
        full = e.get(f"/v1/agreements/{pledge}/report").json()
        assert next(c for c in full["commitments"] if c["code"] == "ml-3")["progress"]["value"] == 2
        for c in doc["commitments"]:
            assert set(c) <= {"id", "code", "text", "status", "follow_up_note", "responsible_parties", "target", "progress"}
            if c["progress"]:
                assert "last_event" not in c["progress"]
                assert "party_ids" not in (c["progress"].get("indicator") or {})
    finally:
        assert e.stop() == 0


def test_bad_basemap_url_is_a_config_error(db):
    import subprocess
    from conftest import ESTD_BIN, pg_url
    for bad in ("javascript:alert(1)", "https://x.example/a'; script-src *", "https://a b/"):
        env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_UI_BASEMAP_URL=bad, ESTD_PORT="1")
        p = subprocess.run([ESTD_BIN, "serve"], env=env, capture_output=True, text=True, timeout=20)
        assert p.returncode == 2 and "ESTD_UI_BASEMAP_URL" in p.stderr, (bad, p.stderr)
