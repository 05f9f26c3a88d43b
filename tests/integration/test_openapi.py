"""openapi.yaml is the contract: every route the server registers is in
it and vice versa, and what the spec says about a route holds on the wire."""
import os
import re
import subprocess

import psycopg
import requests
import yaml

from conftest import ESTD_BIN, REPO, Estd, pg_url

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


def resolve(doc, o):
    """o with its local $ref (#/...) followed, in doc."""
    while isinstance(o, dict) and "$ref" in o:
        node = doc
        for part in o["$ref"].split("/")[1:]:
            node = node[part]
        o = node
    return o


def operations():
    doc = spec()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                params = [resolve(doc, p) for p in item.get("parameters", []) + op.get("parameters", [])]
                yield method.upper(), path, op, params


def server_scopes():
    out = subprocess.run([ESTD_BIN, "routes", "--scopes"], check=True, capture_output=True, text=True).stdout
    return {(m, p): s for m, p, s in (line.split(" ", 2) for line in out.splitlines())}


def test_rate_limit_is_documented_exactly_where_the_server_limits():
    """The server limits every route that needs a credential (server.c dispatch: the
    credential's bucket in auth.c, the address's bucket for 401s) and none of the public
    ones: 429 with Retry-After is documented on exactly those, in both directions."""
    limited = {k for k, s in server_scopes().items() if s != "public"}
    documented = {(m, p) for m, p, op, _ in operations() if "429" in op["responses"]}
    assert limited, "estd routes --scopes printed nothing"
    assert limited - documented == set(), "rate-limited routes without 429 in openapi.yaml"
    assert documented - limited == set(), "openapi.yaml documents 429 on routes the server never limits"
    r429 = spec()["components"]["responses"]["TooManyRequests"]
    assert r429["headers"]["Retry-After"]["required"] is True


def test_rate_limit_answers_429_on_every_documented_route(db):
    """Live: with the address bucket exhausted, every route documented with 429 answers
    it (with Retry-After) to a request without a key; the public ones never do."""
    from test_security import SECRET
    e = Estd(db, env={"ESTD_AUTH": "required", "ESTD_KEY_SECRET": SECRET, "ESTD_RATE_LIMIT_ANON_RPS": "1",
                      "ESTD_RATE_LIMIT_ANON_BURST": "1", "ESTD_RATE_LIMIT_RPS": "0"}).start()
    try:
        got = {}
        for method, path, op, _ in operations():
            url = e.url(re.sub(r"\{[a-z_]+\}", "1", path))
            r = requests.request(method, url, timeout=10, allow_redirects=False)
            got[(method, path)] = (r.status_code, "429" in op["responses"], r.headers.get("Retry-After"))
        limited = [k for k, (_, doc429, _) in got.items() if doc429]
        assert all(got[k][0] in (401, 429) for k in limited), {k: got[k] for k in limited if got[k][0] not in (401, 429)}
        # The bucket refills one token a second: nearly all of them are refused with 429.
        hits = [k for k in limited if got[k][0] == 429]
        assert len(hits) >= len(limited) - 10, (len(hits), len(limited))
        assert all(int(got[k][2]) >= 1 for k in hits)
        assert [k for k, (code, doc429, _) in got.items() if not doc429 and code == 429] == []
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]


SCOPES = ["read", "read-detail", "write-events", "write-commitments", "admin"]
# A scope-like word: one of the base names followed by a separator and more letters.
SCOPE_WORD = re.compile(r"(?<![A-Za-z0-9_/.-])(read|write)([-_:. ])(detail|events|commitments)\b")


def test_scopes_have_one_spelling_everywhere():
    """One spelling of each scope: in the server's table (what `estd keys create --scopes`
    and the 403 message use), in openapi.yaml and in the docs and web app texts."""
    used = set()
    for scopes in server_scopes().values():
        if scopes not in ("public", "-"):
            used.update(scopes.split(","))
    assert used and used <= set(SCOPES), used
    roots = [os.path.join(REPO, d) for d in ("docs", "web/src", "src", "include")] + \
        [os.path.join(REPO, f) for f in ("openapi.yaml", "README.md")]
    bad = []
    for root in roots:
        files = [root] if os.path.isfile(root) else [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
        for f in files:
            if not f.endswith((".md", ".yaml", ".c", ".h", ".js", ".html", ".json")):
                continue
            with open(f, encoding="utf-8", errors="replace") as fh:
                for n, line in enumerate(fh, 1):
                    for m in SCOPE_WORD.finditer(line):
                        if m.group(2) != "-":
                            bad.append(f"{os.path.relpath(f, REPO)}:{n}: {m.group(0)}")
    assert bad == [], "scopes spelled otherwise than " + ", ".join(SCOPES)


def test_403_names_the_missing_scope_as_spelled(db):
    from test_security import SECRET, create_key
    token = create_key(db, "boras-stad", ["read"])
    e = Estd(db, env={"ESTD_AUTH": "required", "ESTD_KEY_SECRET": SECRET, "ESTD_RATE_LIMIT_RPS": "0"}).start()
    try:
        h = {"Authorization": "Bearer " + token}
        r = requests.get(e.url("/v1/audit"), headers=h, timeout=10)
        assert r.status_code == 403 and "admin" in r.json()["detail"], r.text
        r = requests.post(e.url("/v1/events"), headers=h, json={}, timeout=10)
        assert r.status_code == 403 and "write-events" in r.json()["detail"], r.text
        r = requests.post(e.url("/v1/actions"), headers=h, json={}, timeout=10)
        assert r.status_code == 403 and "write-commitments" in r.json()["detail"], r.text
    finally:
        assert e.stop() == 0


def worst_query_bytes(s, doc):
    """(encoded, decoded): the most bytes a value the schema allows takes in a
    percent-encoded query string, and decoded."""
    s = resolve(doc, s)
    if "anyOf" in s:
        base = {k: v for k, v in s.items() if k != "anyOf"}
        return max(worst_query_bytes({**base, **a}, doc) for a in s["anyOf"])
    if "enum" in s:
        n = max(len(str(v).encode()) for v in s["enum"])
        return n * 3, n
    types = s.get("type") if isinstance(s.get("type"), list) else [s.get("type")]
    if "integer" in types or "number" in types:
        return 21, 21
    if "boolean" in types:
        return 5, 5
    if s.get("format") == "date":
        return 10, 10
    if s.get("format") == "date-time":  # the pattern: at most 35 characters
        return 35 * 3, 35
    assert "maxLength" in s, ("a query string parameter without maxLength", s)
    n, pattern = s["maxLength"], s.get("pattern", "")
    if re.fullmatch(r"\^(\[[A-Za-z0-9_\\-]*\][+*]?)+\$", pattern):
        return n, n  # unreserved characters only: sent as they are
    if pattern and not re.search(r"\\u|\\x[89a-fA-F]|[^\x00-\x7f]|\.[*+]|\[\^", pattern):
        return n * 3, n  # printable ASCII, some percent-encoded
    return n * 12, n * 4  # any code point: up to 4 UTF-8 bytes, each percent-encoded


def test_every_allowed_query_fits_the_servers_limits():
    """Each parameter fits ESTD_MAX_PARAM_BYTES (1024, decoded) and the longest query string
    an operation's parameters allow fits ESTD_MAX_QUERY_BYTES (4096): a request the spec
    calls valid never gets the 414 (or the per-parameter 400) that bound the server's work."""
    doc = spec()
    over = {}
    for method, path, op, params in operations():
        q = [p for p in params if p["in"] == "query"]
        if not q:
            continue
        assert "414" in op["responses"], (method, path)
        per = {p["name"]: worst_query_bytes(p.get("schema", {}), doc) for p in q}
        for name, (_, decoded) in per.items():
            if decoded > 1024:
                over[(method, path, name)] = decoded
        total = sum(len(n) + 2 + encoded for n, (encoded, _) in per.items())
        if total > 4096:
            over[(method, path)] = total
    assert over == {}
