"""openapi.yaml is the contract: every route the server registers is in
it and vice versa, and what the spec says about a route holds on the wire."""
import os
import re
import subprocess

import psycopg
import yaml

from conftest import ESTD_BIN, REPO, pg_url

METHODS = {"get", "post", "put", "patch", "delete"}


def spec():
    with open(os.path.join(REPO, "openapi.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def spec_routes():
    routes = set()
    for path, item in spec()["paths"].items():
        for method in item:
            if method in METHODS:
                routes.add((method.upper(), path))
    return routes


def server_routes():
    out = subprocess.run([ESTD_BIN, "routes"], check=True, capture_output=True, text=True).stdout
    routes = set()
    for line in out.splitlines():
        method, path = line.split(" ", 1)
        routes.add((method, path))
    return routes


def test_registered_routes_match_spec():
    registered, documented = server_routes(), spec_routes()
    assert registered, "estd routes printed nothing"
    assert registered - documented == set(), "routes missing from openapi.yaml"
    assert documented - registered == set(), "openapi.yaml documents routes the server lacks"


def spec_query_params():
    """{(METHOD, path): set of query parameter names} as openapi.yaml states them."""
    doc = spec()
    comp = doc["components"].get("parameters", {})

    def res(p):
        return comp[p["$ref"].split("/")[-1]] if "$ref" in p else p

    out = {}
    for path, item in doc["paths"].items():
        common = [res(p) for p in item.get("parameters", [])]
        for method, op in item.items():
            if method in METHODS:
                ps = common + [res(p) for p in op.get("parameters", [])]
                out[(method.upper(), path)] = {p["name"] for p in ps if p["in"] == "query"}
    return out


def server_query_params():
    out = subprocess.run([ESTD_BIN, "routes", "--query"], check=True, capture_output=True, text=True).stdout
    routes = {}
    for line in out.splitlines():
        method, path, *rest = line.split(" ")
        routes[(method, path)] = {w for w in rest if w}
    return routes


def test_query_parameters_match_spec():
    """The dispatcher refuses every query parameter its route does not list
    (http_route.query): the lists are the spec's, operation by operation."""
    server, documented = server_query_params(), spec_query_params()
    assert server.keys() == documented.keys()
    # "*": the web app's pages, whose query string is the page's own state (the server reads none).
    pages = {k for k, v in server.items() if v == {"*"}}
    assert pages and all(k[1].startswith("/app") for k in pages), pages
    diff = {k: (server[k], documented[k]) for k in server if k not in pages and server[k] != documented[k]}
    assert diff == {}, "query parameters differ (server, openapi.yaml)"
    # Any other operation answers an unknown query parameter with 400, so each documents it.
    doc = spec()
    no400 = [(m, p) for p, item in doc["paths"].items() for m, op in item.items()
             if m in METHODS and "400" not in op["responses"] and (m.upper(), p) not in pages]
    assert no400 == []


def test_every_operation_is_described():
    doc = spec()
    ids = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            ids.append(op["operationId"])
            assert op.get("summary"), (method, path)
            codes = set(str(c) for c in op["responses"])
            assert any(c.startswith("2") or c in ("302", "304") for c in codes), (method, path)  # 302: sign-in redirects
            # Every protected route documents the auth failures.
            if op.get("security", doc.get("security")) != []:
                assert {"401", "403"} <= codes, (method, path, codes)
            for p in op.get("parameters", []):
                if "$ref" in p:
                    continue
                assert p["in"] != "path" or p["name"] in path, (method, path, p)
    assert len(ids) == len(set(ids)), "duplicate operationId"


def test_spec_routes_answer_on_the_wire(estd):
    """Every documented GET without path parameters answers with a status
    the spec lists (a route the spec documents but the server does not
    serve would give 404/405)."""
    doc = spec()
    for path, item in doc["paths"].items():
        op = item.get("get")
        if not op or "{" in path:
            continue
        r = estd.get(path)
        assert str(r.status_code) in {str(c) for c in op["responses"]}, (path, r.status_code, r.text[:300])


def server_reasons():
    out = subprocess.run([ESTD_BIN, "reasons"], check=True, capture_output=True, text=True).stdout
    return [tuple(line.split(" ")) for line in out.splitlines()]


def test_reason_codes_match_the_one_table(db):
    """EST_EVENT_REASONS (printed by `estd reasons`) is the one list: the
    OpenAPI enums and the database constraint must hold exactly its codes,
    in its order."""
    table = server_reasons()
    assert table, "estd reasons printed nothing"
    schemas = spec()["components"]["schemas"]
    assert schemas["IntakeReason"]["enum"] == [code for code, _ in table]
    assert schemas["DeadLetterReason"]["enum"] == [code for code, kind in table if kind == "dead_letter"]
    with psycopg.connect(pg_url(db)) as c:
        check = c.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                          "WHERE conname = 'dead_letters_reason_check'").fetchone()[0]
    in_db = re.findall(r"'([a-z_]+)'::text", check)
    assert in_db == [code for code, kind in table if kind == "dead_letter"], check
