#!/usr/bin/env python3
"""Seeds the development Glewlwyd (scripts/idp.sh) through its admin API.

Python standard library only (runs before any virtualenv exists). Creates or
updates: the OIDC plugin `oidc` (issuer http://127.0.0.1:PORT/api/oidc,
signing keys from keys.jwks, default kid from default-kid), estd's scopes,
one development user per party and role, the confidential web client `estd`
(authorization code + PKCE) and client-credentials clients for systems.
The users, passwords and clients are listed in docs/SECURITY.md.
"""
import argparse
import http.cookiejar
import json
import os
import sys
import urllib.error
import urllib.request

ADMIN_PASSWORD = "password"  # Glewlwyd's shipped default; loopback development only
AUDIENCE = "https://estd.invalid/api"
DEV_PASSWORD = "estd-dev-password"
WEB_CLIENT = "estd"
WEB_SECRET = "estd-dev-client-secret"
SCOPES = ["read", "read-detail", "write-events", "write-commitments", "admin"]

# username, display name, groups (-> party via ESTD_OIDC_PARTY_GROUPS), estd scopes
USERS = [
    ("polis.samordnare", "Polisens samordnare (lokalpolisområde Borås)", ["EST-Polisen"],
     ["read", "read-detail", "write-events"]),
    ("polis.lasare", "Polisen, läsbehörighet", ["EST-Polisen"], ["read"]),
    ("abb.omradeschef", "AB Bostäder, områdeschef", ["EST-ABBostader"],
     ["read", "write-events", "write-commitments"]),
    ("stad.strateg", "Borås Stad, trygghetsstrateg", ["EST-BorasStad"],
     ["read", "read-detail", "write-commitments"]),
    ("estd.admin", "estd-administratör (Borås Stad)", ["EST-BorasStad"], ["admin"]),
    ("utan.part", "Användare utan part", ["Personal"], ["read"]),
    ("utan.behorighet", "Användare utan estd-behörighet", ["EST-Polisen"], []),
]
# client_id, secret, estd scopes (party via ESTD_OIDC_PARTY_GROUPS on client_id)
SYSTEMS = [
    ("polisen-system", "polisen-system-dev-secret", ["read", "write-events"]),
    ("abb-system", "abb-system-dev-secret", ["read", "write-events"]),
]
PARTY_GROUPS = ("EST-Polisen=polisen-boras,EST-ABBostader=ab-bostader,EST-BorasStad=boras-stad,"
                "polisen-system=polisen-boras,abb-system=ab-bostader")


class Api:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, method, path, body=None, ok=(200,)):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + "/api" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with self.opener.open(req, timeout=30) as r:
                status, text = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        if status not in ok:
            raise SystemExit(f"idp_seed: {method} {path} -> {status} {text[:500]}")
        return status, text

    def upsert(self, coll, key, body):
        st, _ = self.call("GET", f"/{coll}/{key}", ok=(200, 404))
        if st == 200:
            self.call("PUT", f"/{coll}/{key}", body)
        else:
            self.call("POST", f"/{coll}/", body)


def plugin_params(issuer, data):
    jwks = open(f"{data}/keys.jwks").read()
    kid = open(f"{data}/default-kid").read().strip()
    return {
        "iss": issuer,
        "jwks-private": jwks,
        "default-kid": kid,
        "jwks-show": True,
        "access-token-duration": 3600,
        "refresh-token-duration": 86400,
        "code-duration": 600,
        "refresh-token-rolling": True,
        "allow-non-oidc": True,
        "auth-type-code-enabled": True,
        "auth-type-token-enabled": False,
        "auth-type-id-token-enabled": True,
        "auth-type-none-enabled": False,
        "auth-type-password-enabled": False,  # its tokens carry the scopes as aud; use the code flow
        "auth-type-client-enabled": True,
        "auth-type-refresh-enabled": True,
        "auth-type-device-enabled": False,
        "pkce-allowed": True,
        "pkce-method-plain-allowed": False,
        "subject-type": "public",
        "resource-allowed": True,
        "resource-client-property": "resource",
        "resource-scope-and-client-property": False,
        "additional-parameters": [
            {"user-parameter": "groups", "token-parameter": "groups"},
        ],
        "claims": [
            {"name": "groups", "user-property": "groups", "type": "string", "mandatory": True,
             "on-demand": False},
        ],
        "name-claim": "mandatory",
        "email-claim": "no",
        "scope-claim": "no",
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--plugin-only", action="store_true")
    ap.add_argument("--print-env", action="store_true")
    a = ap.parse_args()
    issuer = a.base + "/api/oidc"
    if a.print_env:
        print(f"ESTD_OIDC_ISSUER={issuer}")
        print(f"ESTD_OIDC_AUDIENCE={AUDIENCE}")
        print(f"ESTD_OIDC_CLIENT_ID={WEB_CLIENT}")
        print(f"ESTD_OIDC_CLIENT_SECRET={WEB_SECRET}")
        port = os.environ.get("ESTD_PORT", "8080")
        print(f"ESTD_OIDC_REDIRECT_URI=http://127.0.0.1:{port}/auth/callback")
        print(f"ESTD_OIDC_LOGIN_RESOURCE={AUDIENCE}")
        print("ESTD_OIDC_GROUPS_CLAIM=groups,client_id")
        print(f"ESTD_OIDC_PARTY_GROUPS={PARTY_GROUPS}")
        return
    api = Api(a.base)
    api.call("POST", "/auth/", {"username": "admin", "password": ADMIN_PASSWORD})
    plugin = {"module": "oidc", "name": "oidc", "display_name": "OpenID Connect (estd development)",
              "enabled": True, "parameters": plugin_params(issuer, a.data)}
    st, _ = api.call("GET", "/mod/plugin/oidc", ok=(200, 404))
    if st == 200:
        api.call("PUT", "/mod/plugin/oidc", plugin)
        api.call("PUT", "/mod/plugin/oidc/reset/", ok=(200, 404))
    else:
        api.call("POST", "/mod/plugin/", plugin)
    if a.plugin_only:
        return
    # Exact-match redirect URIs (Glewlwyd has no wildcards): run.sh's estd on
    # 8080 plus any in ESTD_IDP_REDIRECT_URIS (space-separated; the tests add theirs).
    redirects = list(dict.fromkeys(["http://127.0.0.1:8080/auth/callback"] +
                                   os.environ.get("ESTD_IDP_REDIRECT_URIS", "").split()))
    for s in SCOPES:
        api.upsert("scope", s, {"name": s, "display_name": f"estd {s}",
                                "description": f"estd scope {s}", "password_required": True,
                                "password_max_age": 0, "scheme": {}})
    for username, name, groups, scopes in USERS:
        api.upsert("user", username, {"username": username, "name": name, "email": "",
                                      "password": DEV_PASSWORD, "enabled": True,
                                      "scope": ["openid", "g_profile", *scopes], "groups": groups})
    api.upsert("client", WEB_CLIENT, {
        "client_id": WEB_CLIENT, "name": "estd web (BFF)", "confidential": True,
        "client_secret": WEB_SECRET, "enabled": True, "scope": [],
        "authorization_type": ["code", "refresh_token"],
        "redirect_uri": redirects,
        "token_endpoint_auth_method": ["client_secret_basic", "client_secret_post"],
        "resource": [AUDIENCE]})
    for cid, secret, scopes in SYSTEMS:
        api.upsert("client", cid, {
            "client_id": cid, "name": f"system {cid}", "confidential": True,
            "client_secret": secret, "enabled": True, "scope": scopes,
            "authorization_type": ["client_credentials"],
            "redirect_uri": [], "token_endpoint_auth_method": ["client_secret_basic", "client_secret_post"],
            "resource": [AUDIENCE]})


if __name__ == "__main__":
    sys.exit(main())
