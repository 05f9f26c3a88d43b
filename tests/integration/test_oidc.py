"""OpenID Connect against a real provider: Glewlwyd (Debian package), started
on loopback by scripts/idp.sh and seeded with the development users.

Covers: tokens for every seeded role and system client mapped to party and
scopes on every route (as test_security.py does for API keys), the
forged-token set, key rotation at the provider without a restart, a bounded
refresh rate for unknown kids, provider downtime (cached keys keep working,
new kids fail closed, /readyz tells), the per-token verification cache, the
web sign-in (authorization code + PKCE, server-side session, CSRF, logout)
shared by two instances, and the audit trail's sub/iss.

Tokens are obtained non-interactively: users through the scripted
authorization code flow (Glewlwyd's login API, consent, /auth with
g_continue, the token endpoint with PKCE), systems through the client
credentials grant. Forged tokens are signed with rnbyc (librhonabwy's CLI)
using the provider's own private keys from the idp data directory.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import pytest
import requests

from conftest import ESTD_BIN, REPO, SQL_DIR, Estd, assert_problem, free_port, pg_url
from test_security import SECRET, concrete, fingerprint, routes, send

IDP_SH = os.path.join(REPO, "scripts", "idp.sh")
AUDIENCE = "https://estd.invalid/api"
DEV_PASSWORD = "estd-dev-password"
LOGIN_SCOPES = "openid read read-detail write-events write-commitments admin"
ALL = ["read", "read-detail", "write-events", "write-commitments", "admin"]
# username -> (party code, estd scopes) as seeded by scripts/idp_seed.py
USERS = {
    "polis.samordnare": ("polisen-boras", {"read", "read-detail", "write-events"}),
    "polis.lasare": ("polisen-boras", {"read"}),
    "abb.omradeschef": ("ab-bostader", {"read", "write-events", "write-commitments"}),
    "stad.strateg": ("boras-stad", {"read", "read-detail", "write-commitments"}),
    "estd.admin": ("boras-stad", {"admin"}),
}
SYSTEMS = {"polisen-system": ("polisen-system-dev-secret", "polisen-boras", {"read", "write-events"})}


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def claims_of(token):
    return json.loads(unb64u(token.split(".")[1]))


class Idp:
    def __init__(self, redirect_uris):
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="estd-idp-")
        self.env = dict(os.environ, ESTD_IDP_PORT=str(self.port), ESTD_IDP_DATA=self.data,
                        ESTD_IDP_REDIRECT_URIS=" ".join(redirect_uris))
        self.base = f"http://127.0.0.1:{self.port}"
        self.issuer = self.base + "/api/oidc"

    def sh(self, *args):
        r = subprocess.run([IDP_SH, *args], env=self.env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r.stdout.strip()

    def estd_env(self, port):
        out = subprocess.run([IDP_SH, "env"], env=dict(self.env, ESTD_PORT=str(port)), capture_output=True,
                             text=True, check=True).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def keys(self):
        with open(os.path.join(self.data, "keys.jwks")) as f:
            return json.load(f)["keys"]

    # ---- tokens ----
    def client_token(self, client_id, secret, scope, resource=AUDIENCE):
        r = requests.post(self.issuer + "/token", auth=(client_id, secret), timeout=15,
                          data={"grant_type": "client_credentials", "scope": scope, "resource": resource})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def idp_session(self, username, scopes=LOGIN_SCOPES, client="estd"):
        s = requests.Session()
        r = s.post(self.base + "/api/auth/", json={"username": username, "password": DEV_PASSWORD}, timeout=15)
        assert r.status_code == 200, r.text
        r = s.put(f"{self.base}/api/auth/grant/{client}", json={"scope": scopes}, timeout=15)
        assert r.status_code == 200, r.text
        return s

    def user_token(self, username, redirect_uri):
        """Scripted authorization code flow with PKCE; returns the token response."""
        s = self.idp_session(username)
        verifier = b64u(secrets.token_bytes(32))
        challenge = b64u(hashlib.sha256(verifier.encode()).digest())
        r = s.get(self.issuer + "/auth", allow_redirects=False, timeout=15, params={
            "response_type": "code", "client_id": "estd", "redirect_uri": redirect_uri, "scope": LOGIN_SCOPES,
            "state": "s" * 20, "nonce": "n" * 20, "code_challenge": challenge, "code_challenge_method": "S256",
            "resource": AUDIENCE, "g_continue": ""})
        assert r.status_code == 302, r.text
        q = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["Location"]).query)
        assert "code" in q, r.headers["Location"]
        r = requests.post(self.issuer + "/token", auth=("estd", "estd-dev-client-secret"), timeout=15, data={
            "grant_type": "authorization_code", "code": q["code"][0], "redirect_uri": redirect_uri,
            "code_verifier": verifier, "resource": AUDIENCE})
        assert r.status_code == 200, r.text
        return r.json()


def sign(claims, key, alg=None, header_extra=None):
    """Signs claims with one private JWK (rnbyc sets typ, alg and kid)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jwks", delete=False) as f:
        json.dump({"keys": [key]}, f)
        path = f.name
    try:
        r = subprocess.run(["rnbyc", "-s", json.dumps(claims), "-K", path, "-a", alg or key["alg"]],
                           capture_output=True, text=True, timeout=30)
    finally:
        os.unlink(path)
    assert r.returncode == 0 and r.stdout.strip(), r.stderr
    token = r.stdout.strip()
    if header_extra:  # re-sign is impossible here; callers use this only for header-rejection cases
        h = json.loads(unb64u(token.split(".")[0]))
        h.update(header_extra)
        token = b64u(json.dumps(h).encode()) + "." + token.split(".", 1)[1]
    return token


def new_key(kid, kind="RSA2048", alg="RS256"):
    d = tempfile.mkdtemp()
    try:
        subprocess.run(["rnbyc", "-j", "-g", kind, "-k", kid, "-a", alg, "-n", "0", "-o", d + "/k.jwks",
                        "-p", d + "/p.jwks"], check=True, capture_output=True, timeout=60)
        with open(d + "/k.jwks") as f:
            return json.load(f)["keys"][0]
    finally:
        shutil.rmtree(d)


def bearer(t):
    return {"Authorization": "Bearer " + t}


# ---- fixtures ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ports():
    return {"a": free_port(), "b": free_port()}


@pytest.fixture(scope="module")
def idp(ports):
    i = Idp([f"http://127.0.0.1:{p}/auth/callback" for p in ports.values()])
    i.sh("start")
    yield i
    i.sh("stop")
    shutil.rmtree(i.data, ignore_errors=True)


def oidc_env(idp, port, **extra):
    env = {"ESTD_AUTH": "required", "ESTD_KEY_SECRET": SECRET, "ESTD_AUTH_CACHE_TTL_MS": "0",
           "ESTD_RATE_LIMIT_RPS": "0", "ESTD_RATE_LIMIT_ANON_RPS": "0",  # limits: test_security, test_resilience
           "ESTD_OIDC_REFRESH_MIN_INTERVAL_MS": "300", "ESTD_OIDC_FETCH_TIMEOUT_MS": "1500"}
    env.update(idp.estd_env(port))
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def srv(db, idp, ports):
    e = Estd(db, env=oidc_env(idp, ports["a"]), port=ports["a"]).start()
    yield e
    code = e.stop()
    assert code == 0, "estd exited with %s:\n%s" % (code, e.read_log()[-5000:])


@pytest.fixture(scope="module")
def tokens(idp, ports):
    cb = f"http://127.0.0.1:{ports['a']}/auth/callback"
    return {u: idp.user_token(u, cb)["access_token"] for u in list(USERS) + ["utan.part", "utan.behorighet"]}


def oidc_status(server):
    r = server.get("/readyz")
    return r.status_code, (r.json().get("oidc") if r.headers["Content-Type"].startswith("application/json")
                           else r.json().get("oidc"))


def party_id(server, code):
    return server.sql("SELECT id FROM parties WHERE code = %s", (code,))[0][0]


# ---- roles and scopes on every route -------------------------------------------------------

def test_tokens_carry_what_the_provider_issued(idp, tokens):
    c = claims_of(tokens["polis.samordnare"])
    assert c["iss"] == idp.issuer and c["aud"] == AUDIENCE and c["groups"] == "EST-Polisen"
    assert set(c["scope"].split()) == {"openid", "read", "read-detail", "write-events"}
    assert claims_of(tokens["utan.behorighet"])["scope"] == "openid"


def test_every_role_gets_exactly_its_scopes_on_every_route(srv, tokens):
    before = fingerprint(srv)
    checked = 0
    for method, path, scopes in routes():
        if scopes in ("public",) or path.startswith("/auth/"):
            continue
        url = concrete(srv, path)
        need = set() if scopes == "-" else set(scopes.split(","))
        for user, (_, have) in USERS.items():
            allowed = "admin" in have or need <= have
            if allowed and method != "GET":
                continue  # writes with the right scope are exercised below (party rules)
            r = send(srv, method, url, headers=bearer(tokens[user]))
            if allowed:
                assert r.status_code not in (401, 403), (user, method, path, r.status_code, r.text[:300])
            else:
                doc = assert_problem(r, 403)
                assert "scope" in doc["detail"] and "token" in doc["detail"], doc
                assert 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]
            checked += 1
        # No party / no scope: refused with 403 saying why, on every route.
        doc = assert_problem(send(srv, method, url, headers=bearer(tokens["utan.part"])), 403)
        assert "no party" in doc["detail"], doc
        doc = assert_problem(send(srv, method, url, headers=bearer(tokens["utan.behorighet"])), 403)
        assert "no estd scope" in doc["detail"], doc
    assert checked > 20
    assert fingerprint(srv) == before, "a refused request changed the database"


def _commitments(srv, tok, pid):
    r = srv.get("/v1/commitments", params={"limit": 500}, headers=bearer(tok))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    mine = [c for c in items if pid in c.get("responsible_party_ids", [])]
    other = [c for c in items if pid not in c.get("responsible_party_ids", [])]
    assert mine and other
    return mine[0], other[0]


def _patch(srv, cid, tok, body, rid=None, extra=None):
    cur = srv.get(f"/v1/commitments/{cid}", headers=bearer(tok) if tok else extra)
    h = dict(bearer(tok) if tok else {}, **(extra or {}))
    h.update({"Content-Type": "application/merge-patch+json", "If-Match": cur.headers["ETag"]})
    if rid:
        h["X-Request-Id"] = rid
    return srv.patch(f"/v1/commitments/{cid}", data=json.dumps(body).encode(), headers=h), cur.json()


def test_party_rules_and_audit_sub_iss(srv, tokens, idp):
    if ("PATCH", "/v1/commitments/{id}") not in {(m, p) for m, p, _ in routes()}:
        pytest.skip("PATCH /v1/commitments/{id} is not registered")
    tok = tokens["abb.omradeschef"]
    ab = party_id(srv, "ab-bostader")
    mine, other = _commitments(srv, tok, ab)
    before = fingerprint(srv)
    r, cur = _patch(srv, other["id"], tok, {"status": "ongoing" if other["status"] != "ongoing" else "planned"})
    assert_problem(r, 403)
    assert fingerprint(srv) == before
    new = "ongoing" if mine["status"] != "ongoing" else "fulfilled"
    r, cur = _patch(srv, mine["id"], tok, {"status": new}, rid="oidc-audit-1")
    assert r.status_code == 200, r.text
    sub = claims_of(tok)["sub"]
    rows = srv.sql("SELECT key_id, party_id, sub, iss, action FROM audit_log WHERE request_id = 'oidc-audit-1'")
    assert rows == [(None, ab, sub, idp.issuer, "update")], rows
    # The admin token reads the trail with sub and iss.
    r = srv.get("/v1/audit", params={"entity": "commitment", "entity_id": mine["id"]},
                headers=bearer(tokens["estd.admin"]))
    assert r.status_code == 200, r.text
    a = r.json()["items"][0]
    assert a["request_id"] == "oidc-audit-1" and a["sub"] == sub and a["iss"] == idp.issuer and a["key_id"] is None


def test_system_client_credentials(srv, idp):
    secret, party, scopes = SYSTEMS["polisen-system"]
    tok = idp.client_token("polisen-system", secret, " ".join(sorted(scopes)))
    assert claims_of(tok)["client_id"] == "polisen-system"
    assert srv.get("/v1/commitments", headers=bearer(tok)).status_code == 200
    doc = assert_problem(srv.get("/v1/audit", headers=bearer(tok)), 403)
    assert "admin" in doc["detail"]
    # Without the resource indicator the provider puts the scopes in aud: refused.
    tok2 = idp.client_token("polisen-system", secret, "read", resource=None)
    doc = assert_problem(srv.get("/v1/commitments", headers=bearer(tok2)), 401)
    assert "audience" in doc["detail"]


# ---- forged and broken tokens ------------------------------------------------------------

def good_claims(idp, **over):
    now = int(time.time())
    c = {"iss": idp.issuer, "aud": AUDIENCE, "sub": "forged-subject", "iat": now, "nbf": now, "exp": now + 600,
         "groups": "EST-Polisen", "scope": "read"}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def test_forged_tokens_are_refused_clearly(srv, idp, tokens):
    keys = {k["kty"]: k for k in idp.keys()}
    rsa, ec = keys["RSA"], keys["EC"]
    now = int(time.time())
    # Positive controls: the provider's RSA and EC keys both verify.
    assert srv.get("/v1/parties", headers=bearer(sign(good_claims(idp), rsa))).status_code == 200
    assert srv.get("/v1/parties", headers=bearer(sign(good_claims(idp), ec))).status_code == 200
    real = tokens["polis.lasare"]
    h, p, s = real.split(".")
    evil_payload = b64u(json.dumps(dict(claims_of(real), scope="openid admin")).encode())
    pub = {k: rsa[k] for k in ("kty", "n", "e", "kid", "alg")}
    hs_header = b64u(json.dumps({"typ": "JWT", "alg": "HS256", "kid": rsa["kid"]}).encode())
    hs_body = b64u(json.dumps(good_claims(idp, scope="admin")).encode())
    hs_sig = b64u(hmac.new(json.dumps(pub).encode(), f"{hs_header}.{hs_body}".encode(), hashlib.sha256).digest())
    none_token = b64u(b'{"alg":"none","typ":"JWT"}') + "." + b64u(json.dumps(good_claims(idp)).encode()) + "."
    cases = {
        "expired": (sign(good_claims(idp, exp=now - 3600, iat=now - 7200, nbf=now - 7200), rsa), 401, "expired"),
        "nbf in the future": (sign(good_claims(idp, nbf=now + 3600), rsa), 401, "not valid yet"),
        "iat in the future": (sign(good_claims(idp, iat=now + 3600), rsa), 401, "issued in the future"),
        "no exp": (sign(good_claims(idp, exp=None), rsa), 401, "expiry"),
        "wrong audience": (sign(good_claims(idp, aud="https://other.invalid/api"), rsa), 401, "audience"),
        "wrong issuer": (sign(good_claims(idp, iss="https://evil.invalid/oidc"), rsa), 401, "issuer"),
        "unknown kid": (sign(good_claims(idp), new_key("not-at-the-provider")), 401, "not in the issuer's key set"),
        "tampered signature": (f"{h}.{p}.{s[:-6]}{'A' if s[-6] != 'A' else 'B'}{s[-5:]}", 401, "signature"),
        "tampered claims": (f"{h}.{evil_payload}.{s}", 401, "signature is invalid"),
        "alg none": (none_token, 401, "algorithm none is not accepted"),
        "HS256 with the public key": (f"{hs_header}.{hs_body}.{hs_sig}", 401, "algorithm HS256 is not accepted"),
        "RS256 header on an EC key": (sign(good_claims(idp), ec, header_extra={"alg": "RS256"}), 401,
                                      "does not match"),
        "embedded jwk": (sign(good_claims(idp), rsa, header_extra={"jwk": pub}), 401, "keys come only from"),
        "garbage header": ("Zm9v.YmFy.YmF6", 401, "header is not a JSON object"),
        "header not base64url json": ("e30.e30.e30", 401, "no valid alg"),
        "four segments": (f"{h}.{p}.{s}.{s}", 401, "API key is malformed"),
        "empty payload": (f"{h}..{s}", 401, "API key is malformed"),
        "non-base64url chars": (f"{h}.{p}!.{s}", 401, "API key is malformed"),
        "over-long": (f"{h}.{'A' * 9000}.{s}", 401, "too long"),
        "no sub": (sign(good_claims(idp, sub=None), rsa), 401, "subject"),
        "sub too long": (sign(good_claims(idp, sub="x" * 300), rsa), 401, "subject"),
        "two parties": (sign(good_claims(idp, groups="EST-Polisen,EST-BorasStad"), rsa), 403, "more than one party"),
        "unknown party claim": (sign(good_claims(idp, party="no-such-party"), rsa), 403, "does not know"),
        "no scope": (sign(good_claims(idp, scope="openid profile"), rsa), 403, "no estd scope"),
    }
    for name, (tok, status, words) in cases.items():
        r = srv.get("/v1/parties", headers=bearer(tok))
        doc = assert_problem(r, status)
        assert words in doc["detail"], (name, doc)
        if status == 401:
            assert 'error="invalid_token"' in r.headers["WWW-Authenticate"], name
    # Skew: 30 s past exp is still inside the documented 60 s.
    assert srv.get("/v1/parties", headers=bearer(sign(good_claims(idp, exp=now - 30), rsa))).status_code == 200
    # Nothing crashed: the real token still works.
    assert srv.get("/v1/parties", headers=bearer(real)).status_code == 200


def test_config_refuses_unsafe_algorithms_and_incomplete_settings(db, idp):
    for extra, word in (({"ESTD_OIDC_ALGS": "RS256,HS256"}, "HS256"), ({"ESTD_OIDC_ALGS": "none"}, "none"),
                        ({"ESTD_OIDC_AUDIENCE": ""}, "ESTD_OIDC_AUDIENCE"),
                        ({"ESTD_OIDC_PARTY_GROUPS": "EST-Polisen"}, "ESTD_OIDC_PARTY_GROUPS"),
                        ({"ESTD_OIDC_SCOPE_GROUPS": "G=read,H=root"}, "root"),
                        ({"ESTD_OIDC_CLIENT_SECRET": ""}, "ESTD_OIDC_CLIENT_ID")):
        env = dict(os.environ, ESTD_DATABASE_URL=pg_url(db), ESTD_SQL_DIR=SQL_DIR, ESTD_PORT=str(free_port()))
        env.update(oidc_env(idp, 1))
        env.update(extra)
        r = subprocess.run([ESTD_BIN, "serve"], env=env, capture_output=True, text=True, timeout=30)
        lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
        assert r.returncode != 0 and len(lines) == 1 and word in lines[0], (extra, lines)
        assert "estd-dev-client-secret" not in lines[0]


# ---- caching, rotation, rate bound, downtime -------------------------------------------------

def test_verified_tokens_are_cached(srv, tokens):
    tok = tokens["stad.strateg"]
    assert srv.get("/v1/parties", headers=bearer(tok)).status_code == 200
    _, before = oidc_status(srv)
    for _ in range(20):
        assert srv.get("/v1/parties", headers=bearer(tok)).status_code == 200
    _, after = oidc_status(srv)
    assert after["token_cache"]["hits"] - before["token_cache"]["hits"] == 20
    assert after["token_cache"]["misses"] == before["token_cache"]["misses"]


def test_cached_tokens_expire_with_exp(db, idp):
    port = free_port()
    e = Estd(db, env=oidc_env(idp, port, ESTD_OIDC_SKEW_S="0"), port=port).start()
    try:
        rsa = [k for k in idp.keys() if k["kty"] == "RSA"][0]
        tok = sign(good_claims(idp, exp=int(time.time()) + 3), rsa)
        assert e.get("/v1/parties", headers=bearer(tok)).status_code == 200
        assert e.get("/v1/parties", headers=bearer(tok)).status_code == 200  # from the cache
        assert oidc_status(e)[1]["token_cache"]["hits"] >= 1
        deadline = time.time() + 20
        while time.time() < deadline:
            r = e.get("/v1/parties", headers=bearer(tok))
            if r.status_code != 200:
                break
            time.sleep(0.3)
        doc = assert_problem(r, 401)
        assert "expired" in doc["detail"]
    finally:
        assert e.stop() == 0


def test_key_rotation_is_picked_up_without_restart(srv, idp, ports):
    cb = f"http://127.0.0.1:{ports['a']}/auth/callback"
    old = idp.user_token("polis.lasare", cb)["access_token"]
    assert srv.get("/v1/parties", headers=bearer(old)).status_code == 200
    new_kid = idp.sh("rotate").splitlines()[-1]
    new = idp.user_token("polis.lasare", cb)["access_token"]
    assert json.loads(unb64u(new.split(".")[0]))["kid"] == new_kid
    deadline = time.time() + 20
    while True:  # the first try may fall inside the refresh rate bound
        r = srv.get("/v1/parties", headers=bearer(new))
        if r.status_code == 200 or time.time() > deadline:
            break
        time.sleep(0.4)
    assert r.status_code == 200, r.text
    assert srv.get("/v1/parties", headers=bearer(old)).status_code == 200  # old key still published


def test_unknown_kids_refresh_at_a_bounded_rate(db, idp):
    port = free_port()
    e = Estd(db, env=oidc_env(idp, port, ESTD_OIDC_REFRESH_MIN_INTERVAL_MS="600000"), port=port).start()
    try:
        stranger = new_key("stranger")
        toks = [sign(good_claims(idp, sub=f"s{i}"), stranger) for i in range(3)]
        _, st0 = oidc_status(e)
        for i in range(30):
            assert_problem(e.get("/v1/parties", headers=bearer(toks[i % 3])), 401)
        _, st1 = oidc_status(e)
        assert st1["refreshes"] - st0["refreshes"] <= 1, (st0, st1)
    finally:
        assert e.stop() == 0


def test_provider_downtime(db, idp):
    port = free_port()
    e = Estd(db, env=oidc_env(idp, port, ESTD_OIDC_JWKS_REFRESH_S="1", ESTD_OIDC_JWKS_MAX_AGE_S="6"),
             port=port).start()
    try:
        rsa = [k for k in idp.keys() if k["kty"] == "RSA" and k["kid"] == open(idp.data + "/default-kid").read().strip()][0]
        used = sign(good_claims(idp, sub="used-before"), rsa)
        assert e.get("/v1/parties", headers=bearer(used)).status_code == 200
        idp.sh("stop")
        try:
            deadline = time.time() + 15
            while oidc_status(e)[1]["status"] != "stale" and time.time() < deadline:
                time.sleep(0.2)
            code, st = oidc_status(e)
            assert code == 200 and st["status"] == "stale" and st["failures"] >= 1 and st["last_error"], st
            # Cached keys keep working: the used token and a new one from a known key.
            assert e.get("/v1/parties", headers=bearer(used)).status_code == 200
            fresh = sign(good_claims(idp, sub="new-while-down"), rsa)
            assert e.get("/v1/parties", headers=bearer(fresh)).status_code == 200
            # A new kid fails closed, quickly.
            t0 = time.time()
            doc = assert_problem(e.get("/v1/parties", headers=bearer(sign(good_claims(idp), new_key("new-kid")))), 401)
            assert "cannot be reached" in doc["detail"] and time.time() - t0 < 10, doc
            # API keys are unaffected; readiness stays up and tells.
            # Once the keys are older than ESTD_OIDC_JWKS_MAX_AGE_S, tokens fail closed too.
            deadline = time.time() + 20
            while oidc_status(e)[1]["status"] != "unavailable" and time.time() < deadline:
                time.sleep(0.3)
            code, st = oidc_status(e)
            assert code == 200 and st["status"] == "unavailable" and st["keys"] == 0, st
            assert_problem(e.get("/v1/parties", headers=bearer(used)), 401)
        finally:
            idp.sh("start")
        deadline = time.time() + 20
        while oidc_status(e)[1]["status"] != "ok" and time.time() < deadline:
            time.sleep(0.3)
        assert oidc_status(e)[1]["status"] == "ok"
        assert e.get("/v1/parties", headers=bearer(used)).status_code == 200
    finally:
        assert e.stop() == 0


# ---- web sign-in (BFF) -------------------------------------------------------------------

def web_sign_in(server, idp, username, return_to="/app/veckan?v=1"):
    """Browser-like: estd /auth/login -> provider (login API + consent) -> estd callback."""
    r = server.get("/auth/login", params={"return_to": return_to}, allow_redirects=False)
    assert r.status_code == 302, r.text
    loc = r.headers["Location"]
    q = urllib.parse.parse_qs(urllib.parse.urlparse(loc).query)
    assert loc.startswith(idp.issuer + "/auth?")
    assert q["response_type"] == ["code"] and q["code_challenge_method"] == ["S256"] and q["client_id"] == ["estd"]
    assert len(q["state"][0]) == 43 and len(q["nonce"][0]) == 43 and len(q["code_challenge"][0]) == 43
    assert "code_verifier" not in q
    s = idp.idp_session(username)
    r = s.get(loc + "&g_continue=", allow_redirects=False, timeout=15)
    assert r.status_code == 302, r.text
    cb = r.headers["Location"]
    assert cb.startswith(server.base + "/auth/callback?"), cb
    r = requests.get(cb, allow_redirects=False, timeout=15)
    return r, cb


def test_web_sign_in_session_csrf_logout(srv, idp, db, ports):
    r, cb = web_sign_in(srv, idp, "abb.omradeschef")
    assert r.status_code == 302, r.text
    assert r.headers["Location"] == "/app/veckan?v=1"
    set_cookie = r.headers["Set-Cookie"]
    m = re.match(r"estd_session=([A-Za-z0-9_-]{43});", set_cookie)
    assert m, set_cookie
    attrs = [a.strip().lower() for a in set_cookie.split(";")]
    assert "httponly" in attrs and "samesite=lax" in attrs and "path=/" in attrs and "secure" not in attrs
    cookie = {"estd_session": m.group(1)}
    # The session row stores only a hash of the cookie.
    assert srv.sql("SELECT count(*) FROM web_sessions WHERE token_hash = sha256(%s::bytea)",
                   (m.group(1).encode(),))[0][0] == 1
    # Replaying the callback (same state) is refused.
    assert_problem(requests.get(cb, allow_redirects=False, timeout=15), 400, field="state")

    r = srv.get("/auth/session", cookies=cookie)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["authenticated"] is True and s["party"] == "ab-bostader"
    assert sorted(s["scopes"]) == ["read", "write-commitments", "write-events"]
    assert s["name"] == "AB Bostäder, områdeschef" and s["sub"] and len(s["csrf_token"]) == 43
    assert r.headers["Cache-Control"] == "no-store"

    # Reads with the cookie; writes need the CSRF header.
    assert srv.get("/v1/commitments", cookies=cookie).status_code == 200
    ab = party_id(srv, "ab-bostader")
    mine, other = _commitments(srv, tokens_free_admin(srv, idp, ports), ab)
    body = {"status": "ongoing" if mine["status"] != "ongoing" else "fulfilled"}
    cur = srv.get(f"/v1/commitments/{mine['id']}", cookies=cookie)
    h = {"Content-Type": "application/merge-patch+json", "If-Match": cur.headers["ETag"], "X-Request-Id": "web-1"}
    before = fingerprint(srv)
    doc = assert_problem(srv.patch(f"/v1/commitments/{mine['id']}", data=json.dumps(body), headers=h, cookies=cookie), 403)
    assert "X-CSRF-Token" in doc["detail"]
    doc = assert_problem(srv.patch(f"/v1/commitments/{mine['id']}", data=json.dumps(body),
                                   headers=dict(h, **{"X-CSRF-Token": "x" * 43}), cookies=cookie), 403)
    assert fingerprint(srv) == before
    h["X-CSRF-Token"] = s["csrf_token"]
    r = srv.patch(f"/v1/commitments/{mine['id']}", data=json.dumps(body), headers=h, cookies=cookie)
    assert r.status_code == 200, r.text
    assert srv.sql("SELECT party_id, sub, iss, key_id FROM audit_log WHERE request_id = 'web-1'") == [
        (ab, s["sub"], idp.issuer, None)]
    # The party rule holds for sessions as for keys and tokens.
    cur = srv.get(f"/v1/commitments/{other['id']}", cookies=cookie)
    assert_problem(srv.patch(f"/v1/commitments/{other['id']}", data=json.dumps(body), cookies=cookie, headers={
        "Content-Type": "application/merge-patch+json", "If-Match": cur.headers["ETag"],
        "X-CSRF-Token": s["csrf_token"]}), 403)
    # Scopes the user lacks are refused (admin route).
    assert_problem(srv.get("/v1/audit", cookies=cookie), 403)

    # A second instance on the same database shares the session.
    other_srv = Estd(db, env=oidc_env(idp, ports["b"]), port=ports["b"]).start()
    try:
        r = other_srv.get("/auth/session", cookies=cookie)
        assert r.status_code == 200 and r.json()["sub"] == s["sub"], r.text
        # Logout on the other instance needs CSRF, then ends the session everywhere.
        assert_problem(other_srv.post("/auth/logout", cookies=cookie), 403)
        r = other_srv.post("/auth/logout", cookies=cookie, headers={"X-CSRF-Token": s["csrf_token"]})
        assert r.status_code == 204, r.text
        assert "estd_session=;" in r.headers["Set-Cookie"] and "1970" in r.headers["Set-Cookie"]
    finally:
        assert other_srv.stop() == 0
    assert_problem(srv.get("/auth/session", cookies=cookie), 401)  # ESTD_AUTH_CACHE_TTL_MS=0 here
    assert_problem(srv.get("/v1/commitments", cookies=cookie), 401)
    assert srv.sql("SELECT ended_at IS NOT NULL FROM web_sessions WHERE sub = %s", (s["sub"],)) == [(True,)]


def tokens_free_admin(srv, idp, ports):
    return idp.user_token("estd.admin", f"http://127.0.0.1:{ports['a']}/auth/callback")["access_token"]


def test_web_sign_in_refusals(srv, idp):
    for bad in ("https://evil.invalid/app/", "//evil.invalid/app/", "/v1/parties", "/app/../v1", "/app/\\x"):
        assert_problem(srv.get("/auth/login", params={"return_to": bad}, allow_redirects=False), 400,
                       field="return_to")
    assert_problem(srv.get("/auth/callback", params={"state": "A" * 43, "code": "x"}), 400, field="state")
    assert_problem(srv.get("/auth/callback", params={"code": "x"}), 400, field="state")
    assert_problem(srv.get("/auth/session"), 401)
    assert_problem(srv.get("/auth/session", cookies={"estd_session": "A" * 43}), 401)
    assert_problem(srv.get("/v1/parties", cookies={"estd_session": "garbage"}), 401)
    assert_problem(srv.post("/auth/logout"), 401)
    # A user without a party cannot sign in: 403 problem from the callback.
    r, _ = web_sign_in(srv, idp, "utan.part")
    doc = assert_problem(r, 403)
    assert "no party" in doc["detail"]
    # The provider's error answer is reported, and the state is used up.
    r = srv.get("/auth/login", params={"return_to": "/app/"}, allow_redirects=False)
    state = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["Location"]).query)["state"][0]
    doc = assert_problem(srv.get("/auth/callback", params={"state": state, "error": "access_denied"}), 401)
    assert "access_denied" in doc["detail"]
    assert_problem(srv.get("/auth/callback", params={"state": state, "code": "x"}), 400, field="state")


def test_session_endpoint_with_auth_off(db):
    e = Estd(db).start()
    try:
        r = e.get("/auth/session")
        assert r.status_code == 200 and r.json() == {"authenticated": False, "auth": "off"}
        assert_problem(e.get("/auth/login", allow_redirects=False), 404)
    finally:
        assert e.stop() == 0
