"""Security: API keys, authentication, scopes, party scoping, audit trail,
rate limits, query limits, SQL injection, TLS and configuration errors.

Routes are taken from `estd routes --scopes` at test time, so routes other
modules add later are covered automatically.
"""
import os
import re
import ssl
import subprocess
import time
import urllib.parse

import psycopg
import pytest
import requests
import yaml
from psycopg import sql

import json

from conftest import ESTD_BIN, REPO, SQL_DIR, Estd, assert_problem, free_port, pg_url

SECRET = "test-key-secret-" + "0123456789abcdef" * 3
SCOPES = ["read", "read-detail", "write-events", "write-commitments", "admin"]
NON_ADMIN = [s for s in SCOPES if s != "admin"]
SECURE_ENV = {
    "ESTD_AUTH": "required",
    "ESTD_KEY_SECRET": SECRET,
    "ESTD_AUTH_CACHE_TTL_MS": "0",
    "ESTD_RATE_LIMIT_RPS": "0",
    "ESTD_RATE_LIMIT_ANON_RPS": "0",  # tested in test_resilience
}
INJECTIONS = [
    "1' OR '1'='1",
    "1; DROP TABLE parties;--",
    "%27",
    "' OR 1=1--",
    "\u2019 OR \u20191\u2019=\u20191",   # unicode right single quotes
    "\u02bc OR 1=1 --",                  # modifier letter apostrophe
    "1)) OR ((1=1",
    "\"; SELECT pg_sleep(3);--",
    "-1 UNION SELECT secret_hash FROM api_keys--",
    "2020-01-01' OR '1'='1",
    "'; UPDATE api_keys SET revoked_at = NULL;--",
    "\\x27\\x3B",
    "%00",
    "1e309",
    "99999999999999999999999999",
]


# ---- helpers ---------------------------------------------------------------------

def cli(db, *args, env=None):
    e = dict(os.environ)
    e.update({"ESTD_DATABASE_URL": pg_url(db), "ESTD_SQL_DIR": SQL_DIR, "ESTD_KEY_SECRET": SECRET,
              "ESTD_LOG_LEVEL": "warn"})
    if env:
        e.update(env)
    return subprocess.run([ESTD_BIN, *args], env=e, capture_output=True, text=True, timeout=30)


def create_key(db, party, scopes, name=None):
    args = ["keys", "create", "--party", party, "--scopes", ",".join(scopes)]
    if name:
        args += ["--name", name]
    r = cli(db, *args)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert re.fullmatch(r"estd_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", token), token
    return token


def prefix_of(token):
    return token.split("_")[1]


def auth(token):
    return {"Authorization": "Bearer " + token}


def routes():
    out = subprocess.run([ESTD_BIN, "routes", "--scopes"], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        method, path, scopes = line.split(" ")
        rows.append((method, path, scopes))
    assert rows
    return rows


def fingerprint(server):
    """Row count and checksum of every table (api_keys without last_used_at,
    which a successful authentication may update)."""
    tables = [r[0] for r in server.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' AND table_name NOT IN ('spatial_ref_sys') ORDER BY 1")]
    fp = {}
    with psycopg.connect(pg_url(server.db), autocommit=True) as c:
        for t in tables:
            if t == "api_keys":
                q = sql.SQL("SELECT count(*), md5(coalesce(string_agg(id::text || prefix || coalesce(revoked_at::text, '')"
                            " || array_to_string(scopes, ','), '|' ORDER BY id), '')) FROM api_keys")
            else:
                q = sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                            "FROM {} t").format(sql.Identifier(t))
            fp[t] = c.execute(q).fetchone()
    assert "parties" in fp and fp["parties"][0] == 3
    return fp


def existing_id(server, path, placeholder_index):
    """An existing id for a {placeholder}: the smallest id of the table named
    by the path segment before it (e.g. /v1/area-focuses/{id} -> area_focuses)."""
    segs = path.strip("/").split("/")
    before = segs[placeholder_index - 1] if placeholder_index > 0 else ""
    table = before.replace("-", "_")
    if re.fullmatch(r"[a-z_]+", table) and server.sql(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = %s", (table,)):
        row = server.sql(sql.SQL("SELECT min(id) FROM {}").format(sql.Identifier(table)))
        if row and row[0][0] is not None:
            return str(row[0][0])
    return "1"


def concrete(server, path):
    segs = path.strip("/").split("/")
    out = []
    for i, s in enumerate(segs):
        out.append(existing_id(server, path, i) if s.startswith("{") else s)
    return "/" + "/".join(out)


def send(server, method, path, headers=None, params=None):
    headers = dict(headers or {})
    kw = {"headers": headers, "params": params, "timeout": 15}
    if method in ("POST", "PUT", "PATCH"):
        headers.setdefault("Content-Type", "application/json")
        kw["data"] = "{}"
    if method in ("PATCH", "PUT", "DELETE"):
        headers.setdefault("If-Match", "*")
    return requests.request(method, server.base + path, **kw)


def openapi_query_params(path, method="get"):
    with open(os.path.join(REPO, "openapi.yaml"), encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    op = doc["paths"].get(path, {}).get(method, {})
    names = {"limit", "cursor", "sort"}
    for p in op.get("parameters", []) + doc["paths"].get(path, {}).get("parameters", []):
        if "$ref" in p:
            p = doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        if p.get("in") == "query":
            names.add(p["name"])
    return sorted(names)


def source_param_names():
    """Every parameter name a handler reads: string literals passed next to
    ctx in src/ (http_param(ctx, "kind"), http_param_id(ctx, "party_id"), ...),
    so filters added by later routes are attacked even before they are in
    openapi.yaml. Unknown parameters are ignored by handlers, so sending a
    name to a route that does not read it is harmless."""
    names = set()
    for root, _, files in os.walk(os.path.join(REPO, "src")):
        for f in files:
            if f.endswith(".c"):
                with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
                    names.update(re.findall(r'\w+\(\s*ctx\s*,\s*"([a-z][a-z0-9_]*)"', fh.read()))
    names.discard("id")
    return sorted(names)


# ---- fixtures --------------------------------------------------------------------

@pytest.fixture(scope="module")
def sec(db):
    e = Estd(db, env=SECURE_ENV).start()
    yield e
    code = e.stop()
    assert code == 0, "estd exited with %s:\n%s" % (code, e.read_log()[-5000:])


@pytest.fixture(scope="module")
def keys(db):
    k = {
        "admin": create_key(db, "boras-stad", ["admin"], name="admin"),
        "read": create_key(db, "polisen-boras", ["read"], name="reader"),
        "revoked": create_key(db, "polisen-boras", SCOPES, name="to be revoked"),
    }
    r = cli(db, "keys", "revoke", prefix_of(k["revoked"]))
    assert r.returncode == 0, r.stderr
    return k


@pytest.fixture(scope="module")
def complement_keys(db):
    """For a scope set S, a key holding every non-admin scope except S."""
    cache = {}

    def get(required):
        need = frozenset(required.split(","))
        if need not in cache:
            have = [s for s in NON_ADMIN if s not in need]
            cache[need] = create_key(db, "ab-bostader", have or ["read"], name="lacks " + ",".join(sorted(need)))
        return cache[need]
    return get


# ---- configuration -----------------------------------------------------------------

def _serve_output(db, env):
    e = dict(os.environ)
    e.update({"ESTD_DATABASE_URL": pg_url(db), "ESTD_SQL_DIR": SQL_DIR, "ESTD_PORT": str(free_port()),
              "ESTD_LISTEN_ADDRESS": "127.0.0.1"})
    e.pop("ESTD_KEY_SECRET", None)
    e.pop("ESTD_AUTH", None)
    e.update(env)
    r = subprocess.run([ESTD_BIN, "serve"], env=e, capture_output=True, text=True, timeout=30)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    return r.returncode, lines


def test_missing_key_secret_is_one_clear_error(db):
    code, lines = _serve_output(db, {})  # ESTD_AUTH defaults to required
    assert code != 0
    assert len(lines) == 1, lines
    assert "ESTD_KEY_SECRET" in lines[0] and "configuration error" in lines[0]
    code, lines = _serve_output(db, {"ESTD_AUTH": "required", "ESTD_KEY_SECRET": "tiny-secret-value"})
    assert code != 0 and len(lines) == 1 and "ESTD_KEY_SECRET" in lines[0] and "short" in lines[0], lines
    assert "tiny-secret-value" not in lines[0]
    code, lines = _serve_output(db, {"ESTD_AUTH": "maybe"})
    assert code != 0 and len(lines) == 1 and "ESTD_AUTH" in lines[0], lines


def test_keys_cli_create_list_revoke(db):
    r = cli(db, "keys", "create", "--party", "no-such-party", "--scopes", "read")
    assert r.returncode != 0 and "no-such-party" in r.stderr and r.stdout == ""
    r = cli(db, "keys", "create", "--party", "boras-stad", "--scopes", "read,root")
    assert r.returncode != 0 and "root" in r.stderr and r.stdout == ""
    r = cli(db, "keys", "create", "--party", "boras-stad", "--scopes", "read", env={"ESTD_KEY_SECRET": ""})
    assert r.returncode != 0 and "ESTD_KEY_SECRET" in r.stderr and r.stdout == ""
    token = create_key(db, "boras-stad", ["write-commitments", "read"], name="cli test")
    secret_part = token.split("_", 2)[2]
    listing = cli(db, "keys", "list")
    assert listing.returncode == 0
    assert prefix_of(token) in listing.stdout and secret_part not in listing.stdout
    js = cli(db, "keys", "list", "--json")
    rows = {k["prefix"]: k for k in json.loads(js.stdout)}
    row = rows[prefix_of(token)]
    assert row["party_code"] == "boras-stad" and row["scopes"] == ["read", "write-commitments"]
    assert row["revoked_at"] is None and row["name"] == "cli test"
    assert "secret_hash" not in row and secret_part not in js.stdout
    # Only an HMAC is stored, never the key.
    with psycopg.connect(pg_url(db), autocommit=True) as c:
        h = c.execute("SELECT secret_hash FROM api_keys WHERE prefix = %s", (prefix_of(token),)).fetchone()[0]
    assert len(h) == 32 and secret_part.encode() not in h
    # Revoke by id; a second revoke says so.
    r = cli(db, "keys", "revoke", str(row["id"]))
    assert r.returncode == 0, r.stderr
    r = cli(db, "keys", "revoke", prefix_of(token))
    assert r.returncode != 0 and "already revoked" in r.stderr
    r = cli(db, "keys", "revoke", "ffffffffffff")
    assert r.returncode != 0 and "no key" in r.stderr
    # Creating and revoking are audited (no key: CLI), without the hash.
    with psycopg.connect(pg_url(db), autocommit=True) as c:
        acts = c.execute("SELECT action, key_id, after FROM audit_log WHERE entity = 'api_key' AND entity_id = %s "
                         "ORDER BY id", (row["id"],)).fetchall()
    assert [a[0] for a in acts] == ["create", "update"]
    assert all(a[1] is None for a in acts)
    assert acts[1][2]["revoked_at"] is not None and "secret_hash" not in acts[0][2]


# ---- authentication and scopes on every route ----------------------------------------

def test_every_route_needs_a_valid_key(sec, keys, complement_keys):
    for _, _, scopes in routes():  # create the keys before taking the fingerprint
        if scopes not in ("public", "-"):
            complement_keys(scopes)
    before = fingerprint(sec)
    checked = 0
    for method, path, scopes in routes():
        url = concrete(sec, path)
        if scopes == "public":
            # The sign-in routes are public by design and answer 4xx without a
            # provider or a session; test_oidc.py covers them.
            if path.startswith("/auth/"):
                continue
            status = send(sec, method, url).status_code
            if path.startswith(("/app", "/v1/public")):
                # The web app and the public page answer without credentials; a file or
                # agreement that does not exist, or the public page when it is off, is a 404.
                assert status in (200, 404), (method, path, status)
            else:
                assert status < 400, (method, path)
            continue
        # No key.
        r = send(sec, method, url)
        assert_problem(r, 401)
        assert r.headers["WWW-Authenticate"].startswith("Bearer"), (method, path)
        # A revoked key (it had every scope).
        r = send(sec, method, url, headers=auth(keys["revoked"]))
        assert_problem(r, 401)
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
        # A syntactically valid key that does not exist; garbage; another scheme.
        fake = "estd_" + prefix_of(keys["read"]) + "_" + "A" * 43
        for h in (auth(fake), auth("garbage"), {"Authorization": "Basic " + keys["admin"]}, auth(keys["admin"] + "x")):
            assert_problem(send(sec, method, url, headers=h), 401)
        # A key lacking the route's scope.
        if scopes != "-":
            r = send(sec, method, url, headers=auth(complement_keys(scopes)))
            doc = assert_problem(r, 403)
            assert "scope" in doc["detail"]
            assert 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]
        checked += 1
    assert checked >= 5
    assert fingerprint(sec) == before, "a refused request changed the database"


def test_keys_with_the_scope_get_through(sec, keys, db):
    for method, path, scopes in routes():
        if method != "GET" or scopes in ("public",):
            continue
        url = concrete(sec, path)
        r = send(sec, method, url, headers=auth(keys["admin"]))
        assert r.status_code in (200, 304, 404), (path, r.status_code, r.text[:300])
        if scopes == "-":
            continue
        exact = create_key(db, "polisen-boras", scopes.split(","))
        r = send(sec, method, url, headers=auth(exact))
        assert r.status_code not in (401, 403), (path, r.status_code, r.text[:300])
    # The scheme name is case-insensitive.
    assert sec.get("/v1/parties", headers={"Authorization": "bearer " + keys["read"]}).status_code == 200


def test_principal_and_last_used(sec, db):
    token = create_key(db, "ab-bostader", ["read"])
    p = prefix_of(token)
    assert sec.sql("SELECT last_used_at FROM api_keys WHERE prefix = %s", (p,))[0][0] is None
    assert sec.get("/v1/parties", headers=auth(token)).status_code == 200
    first = sec.sql("SELECT last_used_at FROM api_keys WHERE prefix = %s", (p,))[0][0]
    assert first is not None
    for _ in range(3):
        assert sec.get("/v1/parties", headers=auth(token)).status_code == 200
    # At most once a minute.
    assert sec.sql("SELECT last_used_at FROM api_keys WHERE prefix = %s", (p,))[0][0] == first
    # A wrong secret for an existing prefix is refused.
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert_problem(sec.get("/v1/parties", headers=auth(wrong)), 401)


def test_revocation_takes_effect_within_the_cache_ttl(db):
    e = Estd(db, env=dict(SECURE_ENV, ESTD_AUTH_CACHE_TTL_MS="300")).start()
    try:
        token = create_key(db, "polisen-boras", ["read"])
        assert e.get("/v1/parties", headers=auth(token)).status_code == 200
        assert cli(db, "keys", "revoke", prefix_of(token)).returncode == 0
        deadline = time.time() + 3
        status = 200
        while time.time() < deadline:
            status = e.get("/v1/parties", headers=auth(token)).status_code
            if status == 401:
                break
            time.sleep(0.05)
        assert status == 401
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]


def test_revocation_is_immediate_without_cache(sec, db):
    token = create_key(db, "polisen-boras", ["read"])
    assert sec.get("/v1/parties", headers=auth(token)).status_code == 200
    assert cli(db, "keys", "revoke", token).returncode == 0  # a pasted whole key is accepted
    assert_problem(sec.get("/v1/parties", headers=auth(token)), 401)


# ---- party scoping ----------------------------------------------------------------------

def _commitment_with_and_without(sec, keys, party_id):
    items = []
    r = sec.get("/v1/commitments", params={"limit": 500}, headers=auth(keys["admin"]))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    mine = [c for c in items if party_id in c.get("responsible_party_ids", [])]
    other = [c for c in items if party_id not in c.get("responsible_party_ids", [])]
    assert mine and other
    return mine[0], other[0]


def test_wrong_party_cannot_patch_a_commitment(sec, keys, db):
    if ("PATCH", "/v1/commitments/{id}") not in {(m, p) for m, p, _ in routes()}:
        pytest.skip("PATCH /v1/commitments/{id} is not registered yet")
    ab = sec.sql("SELECT id FROM parties WHERE code = 'ab-bostader'")[0][0]
    mine, other = _commitment_with_and_without(sec, keys, ab)
    token = create_key(db, "ab-bostader", ["read", "write-commitments"])
    before = fingerprint(sec)
    cur = sec.get(f"/v1/commitments/{other['id']}", headers=auth(token))
    new_status = "ongoing" if cur.json()["status"] != "ongoing" else "planned"
    r = sec.patch(f"/v1/commitments/{other['id']}", data=json.dumps({"status": new_status}).encode(),
                  headers=dict(auth(token), **{"Content-Type": "application/merge-patch+json",
                                               "If-Match": cur.headers["ETag"]}))
    assert_problem(r, 403)
    assert fingerprint(sec) == before


def test_audit_rows_match_writes(sec, keys, db):
    if ("PATCH", "/v1/commitments/{id}") not in {(m, p) for m, p, _ in routes()}:
        pytest.skip("PATCH /v1/commitments/{id} is not registered yet")
    ab = sec.sql("SELECT id FROM parties WHERE code = 'ab-bostader'")[0][0]
    mine, _ = _commitment_with_and_without(sec, keys, ab)
    token = create_key(db, "ab-bostader", ["read", "write-commitments"], name="housing follow-up")
    key_id = sec.sql("SELECT id FROM api_keys WHERE prefix = %s", (prefix_of(token),))[0][0]
    cur = sec.get(f"/v1/commitments/{mine['id']}", headers=auth(token))
    old_status = cur.json()["status"]
    new_status = "ongoing" if old_status != "ongoing" else "fulfilled"
    r = sec.patch(f"/v1/commitments/{mine['id']}",
                  data=json.dumps({"status": new_status, "follow_up_note": "Uppföljning Q3"}).encode(),
                  headers=dict(auth(token), **{"Content-Type": "application/merge-patch+json",
                                               "If-Match": cur.headers["ETag"], "X-Request-Id": "sec-audit-1"}))
    assert r.status_code == 200, r.text

    # Admin reads the trail; the newest commitment row is this write.
    r = sec.get("/v1/audit", params={"entity": "commitment", "entity_id": mine["id"]}, headers=auth(keys["admin"]))
    assert r.status_code == 200, r.text
    rows = r.json()["items"]
    assert rows, "the write left no audit row"
    a = rows[0]
    assert a["action"] == "update" and a["entity"] == "commitment" and a["entity_id"] == mine["id"]
    assert a["key_id"] == key_id and a["key_prefix"] == prefix_of(token) and a["party_id"] == ab
    assert a["request_id"] == "sec-audit-1"
    assert a["before"]["status"] == old_status and a["after"]["status"] == new_status
    assert a["after"]["follow_up_note"] == "Uppföljning Q3"
    # Every audit row of this key is a write the key made.
    by_key = sec.get("/v1/audit", params={"key_id": key_id}, headers=auth(keys["admin"])).json()["items"]
    assert [x["id"] for x in by_key] == [a["id"]]
    by_party = sec.get("/v1/audit", params={"party_id": ab, "action": "update"}, headers=auth(keys["admin"])).json()
    assert a["id"] in [x["id"] for x in by_party["items"]]
    assert sec.get("/v1/audit", params={"key_id": key_id, "action": "delete"},
                   headers=auth(keys["admin"])).json()["items"] == []
    # Time filters: a date today (Stockholm) includes it, a day in the past does not.
    today = sec.sql("SELECT (now() AT TIME ZONE 'Europe/Stockholm')::date::text")[0][0]
    got = sec.get("/v1/audit", params={"key_id": key_id, "from": today, "to": today}, headers=auth(keys["admin"]))
    assert [x["id"] for x in got.json()["items"]] == [a["id"]]
    got = sec.get("/v1/audit", params={"key_id": key_id, "to": "2019-12-31"}, headers=auth(keys["admin"]))
    assert got.json()["items"] == []
    got = sec.get("/v1/audit", params={"key_id": key_id, "from": "2000-01-01T00:00:00Z",
                                       "to": "2999-01-01T00:00:00.5+01:00"}, headers=auth(keys["admin"]))
    assert len(got.json()["items"]) == 1
    # The writing key has no admin scope: it cannot read the trail.
    assert_problem(sec.get("/v1/audit", headers=auth(token)), 403)


def test_audit_row_for_an_admin_create(sec, keys):
    if ("POST", "/v1/areas") not in {(m, p) for m, p, _ in routes()}:
        pytest.skip("POST /v1/areas is not registered yet")
    adm = auth(keys["admin"])
    key_id, party_id = sec.sql("SELECT k.id, k.party_id FROM api_keys k WHERE k.prefix = %s",
                               (prefix_of(keys["admin"]),))[0]
    body = {"name": "Säkerhetstest", "kind": "hot_spot", "code": "sec-test-area",
            "geometry": {"type": "Polygon", "coordinates": [[[12.95, 57.70], [12.952, 57.70], [12.952, 57.702],
                                                             [12.95, 57.702], [12.95, 57.70]]]}}
    r = sec.post("/v1/areas", data=json.dumps(body).encode(),
                 headers=dict(adm, **{"Content-Type": "application/json", "X-Request-Id": "sec-area-1"}))
    assert r.status_code == 201, r.text
    area = r.json()
    rows = sec.get("/v1/audit", params={"entity": "area", "entity_id": area["id"]}, headers=adm).json()["items"]
    assert len(rows) == 1
    a = rows[0]
    assert (a["action"], a["key_id"], a["party_id"], a["request_id"]) == ("create", key_id, party_id, "sec-area-1")
    assert a["before"] is None and a["after"]["code"] == "sec-test-area" and a["after"]["name"] == "Säkerhetstest"
    # The audit row and the area exist together (same transaction).
    assert sec.sql("SELECT count(*) FROM audit_log WHERE entity = 'area' AND entity_id = %s", (area["id"],))[0][0] == 1


def test_audit_paging_and_validation(sec, keys, db):
    for i in range(3):
        create_key(db, "boras-stad", ["read"], name=f"page {i}")
    all_rows = []
    r = sec.get("/v1/audit", params={"limit": 2}, headers=auth(keys["admin"]))
    while True:
        assert r.status_code == 200, r.text
        doc = r.json()
        all_rows.extend(doc["items"])
        if not doc["next"]:
            break
        r = sec.get(doc["next"], headers=auth(keys["admin"]))
    ids = [x["id"] for x in all_rows]
    assert len(ids) >= 3 and ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert len(ids) == sec.sql("SELECT count(*) FROM audit_log")[0][0]
    adm = auth(keys["admin"])
    for params, field in [({"from": "yesterday"}, "from"), ({"to": "2020-02-30"}, "to"),
                          ({"to": "2020-01-01T25:00:00Z"}, "to"), ({"from": "2020-01-01T10:00:00"}, "from"),
                          ({"action": "drop"}, "action"), ({"entity": "Commitment"}, "entity"),
                          ({"entity_id": "0"}, "entity_id"), ({"key_id": "x"}, "key_id"),
                          ({"party_id": "-1"}, "party_id"), ({"sort": "id"}, "sort"),
                          ({"cursor": "nope"}, "cursor"), ({"limit": "0"}, "limit")]:
        assert_problem(sec.get("/v1/audit", params=params, headers=adm), 400, field)


# ---- injection --------------------------------------------------------------------------

def test_sql_injection_in_every_get_parameter_and_path(sec, keys):
    before = fingerprint(sec)
    adm = auth(keys["admin"])
    from_source = source_param_names()
    assert {"party_id", "kind", "from", "to", "entity"} <= set(from_source), from_source
    for method, path, scopes in routes():
        if method != "GET":
            continue
        url = concrete(sec, path)
        documented = openapi_query_params(path)
        # Documented parameters get every payload, the rest a sample.
        plan = [(n, INJECTIONS) for n in documented] + \
               [(n, INJECTIONS[:5]) for n in from_source if n not in documented]
        for name, payloads in plan:
            for bad in payloads:
                r = sec.get(url, params={name: bad}, headers=adm, timeout=15)
                assert r.status_code < 500, (path, name, bad, r.status_code, r.text[:300])
                if r.status_code >= 400:
                    assert_problem(r, r.status_code)
        if "{" in path:
            for bad in INJECTIONS:
                segs = path.strip("/").split("/")
                p = "/" + "/".join(urllib.parse.quote(bad, safe="") if s.startswith("{") else s for s in segs)
                r = sec.get(p, headers=adm, timeout=15)
                assert r.status_code in (400, 404), (p, r.status_code, r.text[:300])
                assert_problem(r, r.status_code)
    # Writes with injection in the path never reach the data either.
    for method, path, scopes in routes():
        if method in ("PATCH", "DELETE", "PUT") and "{" in path:
            for bad in INJECTIONS[:4]:
                segs = path.strip("/").split("/")
                p = "/" + "/".join(urllib.parse.quote(bad, safe="") if s.startswith("{") else s for s in segs)
                r = send(sec, method, p, headers=adm)
                assert 400 <= r.status_code < 500, (method, p, r.status_code, r.text[:300])
    assert fingerprint(sec) == before


# ---- limits -----------------------------------------------------------------------------

def test_query_limits(sec, keys):
    adm = auth(keys["admin"])
    r = sec.get("/v1/parties", params={"kind": "x" * 5000}, headers=adm)
    doc = assert_problem(r, 414)
    assert doc["type"] == "/problems/uri-too-long"
    # Checked before authentication: no key needed to be told.
    assert_problem(sec.get("/v1/parties", params={"q": "y" * 4100}), 414)
    r = sec.get("/v1/parties", params={"kind": "x" * 1100}, headers=adm)
    assert_problem(r, 400, "kind")
    # At the limits it is an ordinary request.
    r = sec.get("/v1/parties", params={"kind": "x" * 1024}, headers=adm)
    assert_problem(r, 400, "kind")  # not a party kind, but not a limit error
    assert "exceeds" not in r.json().get("detail", "")


def test_rate_limit(db):
    e = Estd(db, env=dict(SECURE_ENV, ESTD_RATE_LIMIT_RPS="2", ESTD_RATE_LIMIT_BURST="4")).start()
    try:
        a = create_key(db, "polisen-boras", ["read"])
        b = create_key(db, "boras-stad", ["read"])
        codes = [e.get("/v1/parties", headers=auth(a)).status_code for _ in range(8)]
        assert codes[:4] == [200] * 4 and 429 in codes[4:], codes
        r = e.get("/v1/parties", headers=auth(a))
        assert_problem(r, 429)
        retry = int(r.headers["Retry-After"])
        assert 1 <= retry <= 2
        # Per key: another key is not affected; public probes are never limited.
        assert e.get("/v1/parties", headers=auth(b)).status_code == 200
        assert all(e.get("/livez").status_code == 200 for _ in range(10))
        time.sleep(retry + 0.1)
        assert e.get("/v1/parties", headers=auth(a)).status_code == 200
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]


# ---- TLS --------------------------------------------------------------------------------

def _self_signed(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return str(cert), str(key)


def test_tls_listener(db, tmp_path):
    cert, key = _self_signed(tmp_path)
    e = Estd(db, env=dict(SECURE_ENV, ESTD_TLS_CERT_FILE=cert, ESTD_TLS_KEY_FILE=key))
    e.base = e.base.replace("http://", "https://")
    e.start(wait_ready=False)
    try:
        deadline = time.time() + 20
        while True:
            assert e.proc.poll() is None, e.read_log()[-3000:]
            try:
                if requests.get(e.base + "/readyz", verify=cert, timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.time() < deadline, e.read_log()[-3000:]
            time.sleep(0.1)
        served = ssl.get_server_certificate(("127.0.0.1", e.port))
        with open(cert) as f:
            assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(f.read())
        token = create_key(db, "polisen-boras", ["read"])
        r = requests.get(e.base + "/v1/parties", headers=auth(token), verify=cert, timeout=5)
        assert r.status_code == 200 and len(r.json()["items"]) == 3
        assert_problem(requests.get(e.base + "/v1/parties", verify=cert, timeout=5), 401)
        # Plain HTTP on the TLS port gets no HTTP answer.
        with pytest.raises(requests.RequestException):
            requests.get(f"http://127.0.0.1:{e.port}/livez", timeout=3)
    finally:
        assert e.stop() == 0, e.read_log()[-3000:]


def test_tls_bad_files_fail_to_start(db, tmp_path):
    bad = tmp_path / "missing.pem"
    code, lines = _serve_output(db, {"ESTD_AUTH": "off", "ESTD_TLS_CERT_FILE": str(bad),
                                     "ESTD_TLS_KEY_FILE": str(bad)})
    assert code != 0 and any("ESTD_TLS_CERT_FILE" in l for l in lines), lines
    code, lines = _serve_output(db, {"ESTD_AUTH": "off", "ESTD_TLS_CERT_FILE": str(bad)})
    assert code != 0 and len(lines) == 1 and "ESTD_TLS_KEY_FILE" in lines[0], lines


# ---- secrets stay secret ----------------------------------------------------------------

def test_no_secret_in_logs(sec, keys):
    assert sec.get("/v1/parties", headers=auth(keys["read"])).status_code == 200
    assert sec.get("/v1/parties", headers=auth(keys["revoked"])).status_code == 401
    log = sec.read_log()
    assert SECRET not in log
    for k in keys.values():
        assert k.split("_", 2)[2] not in log
