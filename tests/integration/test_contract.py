"""The exact contract: a query parameter an operation does not take is 400
problem+json naming it, on every route (the dispatcher checks the route's
list before the handler runs, so nothing is written either)."""
import subprocess

import pytest
import requests

from conftest import ESTD_BIN, Estd, assert_problem


def routes():
    out = subprocess.run([ESTD_BIN, "routes", "--query"], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        method, path, *rest = line.split(" ")
        yield method, path, [w for w in rest if w]


# Not the web app's pages ("*": their query string is the page's own state).
ROUTES = [r for r in routes() if r[2] != ["*"]]


@pytest.mark.parametrize("method,path,query", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_unknown_query_parameter_is_400_naming_it(estd, method, path, query):
    url = path.replace("{id}", "1")
    for params, name in (({"stauts": "open"}, "stauts"), ({"": "false"}, "(empty name)"),
                         ({"limit": "5", "x-garbage": "1"} if "limit" in query else {"x-garbage": "1"}, "x-garbage")):
        r = requests.request(method, estd.url(url), params=params, headers={"If-Match": "*"}, json={}, timeout=10)
        doc = assert_problem(r, 400, field=name)
        assert f"unknown query parameter '{name}'" in doc["detail"], doc


def test_unknown_parameter_writes_nothing(estd):
    before = estd.sql("SELECT count(*) FROM areas")[0][0]
    body = {"code": "contract-x", "name": "Kontrakt", "kind": "district",
            "geometry": {"type": "Polygon", "coordinates": [[[12.9, 57.7], [12.91, 57.7], [12.91, 57.71], [12.9, 57.7]]]}}
    assert_problem(estd.post("/v1/areas", body, params={"dry_run": "true"}), 400, field="dry_run")
    assert estd.sql("SELECT count(*) FROM areas")[0][0] == before


def test_web_pages_keep_their_query_string(estd):
    for page in ("/app/", "/app/commitments", "/app/public/"):
        plain = estd.get(page, allow_redirects=False)
        r = estd.get(page, params={"week": "2026-W45", "area": "4", "lang": "en"}, allow_redirects=False)
        assert r.status_code == plain.status_code != 400, (page, r.status_code, plain.status_code)
    assert_problem(estd.get("/app/assets/app.js", params={"x": "1"}), 400, field="x")


def test_known_parameters_still_pass(estd):
    r = estd.get("/v1/parties", params={"limit": 2, "sort": "id"})
    assert r.status_code == 200, r.text
    r = estd.get("/v1/events", params={"kind": "incident", "limit": 1})
    assert r.status_code == 200, r.text
    r = estd.get("/livez")
    assert r.status_code == 200
    assert_problem(estd.get("/livez", params={"verbose": "1"}), 400, field="verbose")


def test_415_on_json_routes_names_what_is_accepted(estd):
    doc = assert_problem(estd.post("/v1/areas", data=b"{}", headers={"Content-Type": "text/plain"}), 415)
    assert "application/json" in doc["detail"] and "+json" in doc["detail"], doc
