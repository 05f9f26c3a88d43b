/* routes_auth.c - web sign-in (see session.h): /auth/login, /auth/callback,
 * /auth/session, /auth/logout, and the session lookup used by auth.c. */
#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/auth.h"
#include "estd/buf.h"
#include "estd/http.h"
#include "estd/log.h"
#include "estd/oidc.h"
#include "estd/scope.h"
#include "estd/session.h"
#include "estd/store_oidc.h"
#include "estd/util.h"

#define LOGIN_TTL_S 600
#define RETURN_TO_MAX 1024

/* ---- helpers ------------------------------------------------------------- */

/* 32 random bytes as 43 base64url characters into out (>= 44 bytes). */
static est_result random_token(char out[44]) {
  unsigned char b[32];
  if (gnutls_rnd(GNUTLS_RND_KEY, b, sizeof b) != 0) return EST_EIO;
  char *s = est_b64url_encode(b, sizeof b);
  explicit_bzero(b, sizeof b);
  if (!s) return EST_ENOMEM;
  snprintf(out, 44, "%s", s);
  explicit_bzero(s, strlen(s));
  free(s);
  return EST_OK;
}

/* PKCE S256 (RFC 7636): base64url(SHA-256(verifier)). */
static est_result pkce_challenge(const char *verifier, char out[44]) {
  unsigned char h[32];
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, verifier, strlen(verifier), h) != 0) return EST_EINTERNAL;
  char *s = est_b64url_encode(h, sizeof h);
  if (!s) return EST_ENOMEM;
  snprintf(out, 44, "%s", s);
  free(s);
  return EST_OK;
}

static void form_add(est_buf *b, const char *k, const char *v) {
  char *e = curl_easy_escape(NULL, v, 0);
  est_buf_printf(b, "%s%s=%s", b->len ? "&" : "", k, e ? e : "");
  if (!e) b->oom = true;
  curl_free(e);
}

/* A local path under /app/: no scheme, no host, no backslash, no control
 * characters (so the redirect cannot leave estd). */
static bool return_to_ok(const char *r) {
  if (!r || strncmp(r, "/app/", 5) != 0 || strlen(r) > RETURN_TO_MAX) return false;
  for (const unsigned char *p = (const unsigned char *)r; *p; p++)
    if (*p < 0x21 || *p == 0x7f || *p == '\\') return false;
  return strstr(r, "/../") == NULL && strstr(r, "/./") == NULL;
}

static bool cookie_secure(const est_config *cfg) {
  return strcmp(cfg->cookie_secure, "on") == 0 || (strcmp(cfg->cookie_secure, "auto") == 0 && cfg->tls_cert_file);
}

static void no_store(http_ctx *ctx) { http_set_header(ctx, "Cache-Control", "no-store"); }

/* The web client is configured (auth on, an issuer and a client). */
static est_oidc *web_client(http_ctx *ctx) {
  est_oidc *o = est_auth_oidc(ctx->app);
  return o && ctx->app->cfg->oidc_client_id ? o : NULL;
}

/* ---- GET /auth/login ------------------------------------------------------ */

static est_result auth_login(http_ctx *ctx) {
  no_store(ctx);
  est_oidc *o = web_client(ctx);
  if (!o) return http_fail(ctx, EST_ENOTFOUND, "web sign-in is not configured (ESTD_OIDC_ISSUER, ESTD_OIDC_CLIENT_ID)");
  const est_config *cfg = ctx->app->cfg;
  const char *ret = http_param(ctx, "return_to");
  if (!ret) ret = "/app/";
  if (!return_to_ok(ret)) {
    http_fail_field(ctx, "return_to", "must be a local path starting with /app/ (at most 1024 characters)");
    return http_fail(ctx, EST_EPARSE, "invalid query parameter 'return_to'");
  }
  char ep[1024];
  if (est_oidc_endpoint(o, "authorization_endpoint", ep, sizeof ep) != EST_OK)
    return http_fail(ctx, EST_EUNAVAILABLE, "the identity provider cannot be reached now; try again shortly");
  char state[44], nonce[44], verifier[44], challenge[44];
  est_result rc = random_token(state);
  if (rc == EST_OK) rc = random_token(nonce);
  if (rc == EST_OK) rc = random_token(verifier);
  if (rc == EST_OK) rc = pkce_challenge(verifier, challenge);
  if (rc != EST_OK) return rc;
  rc = store_oidc_login_put(ctx->app->pool, state, nonce, verifier, ret, LOGIN_TTL_S);
  if (rc != EST_OK) return http_fail(ctx, rc == EST_ETIMEOUT ? EST_EUNAVAILABLE : rc, "cannot start the sign-in now");
  est_buf q = EST_BUF_INIT;
  form_add(&q, "response_type", "code");
  form_add(&q, "client_id", cfg->oidc_client_id);
  form_add(&q, "redirect_uri", cfg->oidc_redirect_uri);
  form_add(&q, "scope", cfg->oidc_login_scopes);
  form_add(&q, "state", state);
  form_add(&q, "nonce", nonce);
  form_add(&q, "code_challenge", challenge);
  form_add(&q, "code_challenge_method", "S256");
  if (cfg->oidc_login_resource) form_add(&q, "resource", cfg->oidc_login_resource);
  est_buf loc = EST_BUF_INIT;
  est_buf_printf(&loc, "%s%c%s", ep, strchr(ep, '?') ? '&' : '?', q.data ? q.data : "");
  explicit_bzero(verifier, sizeof verifier);
  if (q.oom || loc.oom) rc = EST_ENOMEM;
  else {
    http_set_header(ctx, "Location", loc.data);
    http_reply_empty(ctx, 302);
  }
  est_buf_free(&q);
  est_buf_free(&loc);
  return rc;
}

/* ---- GET /auth/callback --------------------------------------------------- */

static est_result signin_refused(http_ctx *ctx, est_result rc, const char *why) {
  if (rc == EST_EUNAUTHORIZED) http_set_header(ctx, "WWW-Authenticate", "Bearer realm=\"estd\"");
  return http_fail(ctx, rc, "sign-in failed: %s", why);
}

static est_result auth_callback(http_ctx *ctx) {
  no_store(ctx);
  est_oidc *o = web_client(ctx);
  if (!o) return http_fail(ctx, EST_ENOTFOUND, "web sign-in is not configured (ESTD_OIDC_ISSUER, ESTD_OIDC_CLIENT_ID)");
  const est_config *cfg = ctx->app->cfg;
  const char *err = http_param(ctx, "error");
  const char *code = http_param(ctx, "code"), *state = http_param(ctx, "state");
  if (!state) {
    http_fail_field(ctx, "state", "required");
    return http_fail(ctx, EST_EPARSE, "the sign-in answer has no state");
  }
  char nonce[129], verifier[129], ret[1025];
  est_result rc = store_oidc_login_take(ctx->app->pool, state, nonce, verifier, ret);
  if (rc == EST_ENOTFOUND) {
    http_fail_field(ctx, "state", "unknown, expired or already used");
    return http_fail(ctx, EST_EPARSE,
                     "the sign-in state is unknown, expired or already used; start again at /auth/login");
  }
  if (rc != EST_OK) return http_fail(ctx, rc == EST_ETIMEOUT ? EST_EUNAVAILABLE : rc, "cannot finish the sign-in now");
  if (err) {
    char why[160];
    snprintf(why, sizeof why, "the identity provider answered '%.64s'", err);
    return signin_refused(ctx, EST_EUNAUTHORIZED, why);
  }
  if (!code || !*code || strlen(code) > 2048) {
    http_fail_field(ctx, "code", "required (at most 2048 characters)");
    return http_fail(ctx, EST_EPARSE, "the sign-in answer has no valid code");
  }
  est_buf f = EST_BUF_INIT;
  form_add(&f, "grant_type", "authorization_code");
  form_add(&f, "code", code);
  form_add(&f, "redirect_uri", cfg->oidc_redirect_uri);
  form_add(&f, "code_verifier", verifier);
  if (cfg->oidc_login_resource) form_add(&f, "resource", cfg->oidc_login_resource);
  explicit_bzero(verifier, sizeof verifier);
  int status = 0;
  json_t *tok = NULL;
  rc = f.oom ? EST_ENOMEM : est_oidc_token_post(o, f.data, &status, &tok);
  if (f.data) explicit_bzero(f.data, f.len);
  est_buf_free(&f);
  if (rc != EST_OK)
    return http_fail(ctx, EST_EUNAVAILABLE, "the identity provider cannot be reached now; try again shortly");
  const char *at = json_string_value(json_object_get(tok, "access_token"));
  const char *idt = json_string_value(json_object_get(tok, "id_token"));
  json_t *idc = NULL, *atc = NULL;
  char reason[256] = "";
  est_oidc_who w;
  if (status != 200 || !at || !idt) {
    const char *e = json_string_value(json_object_get(tok, "error"));
    snprintf(reason, sizeof reason, "the code was not accepted by the identity provider (HTTP %d%s%.64s)", status,
             e ? ", " : "", e ? e : "");
    rc = EST_EUNAUTHORIZED;
  } else if ((rc = est_oidc_verify(o, idt, strlen(idt), cfg->oidc_client_id, &idc, reason, sizeof reason)) != EST_OK) {
    /* reason says why the ID token failed */
  } else if (!json_is_string(json_object_get(idc, "nonce")) ||
             strcmp(json_string_value(json_object_get(idc, "nonce")), nonce) != 0) {
    snprintf(reason, sizeof reason, "the ID token's nonce does not match this sign-in");
    rc = EST_EUNAUTHORIZED;
  } else if ((rc = est_oidc_verify(o, at, strlen(at), cfg->oidc_audience, &atc, reason, sizeof reason)) != EST_OK) {
  } else if (strcmp(json_string_value(json_object_get(idc, "sub")), json_string_value(json_object_get(atc, "sub"))) !=
             0) {
    snprintf(reason, sizeof reason, "the ID token and the access token name different subjects");
    rc = EST_EUNAUTHORIZED;
  } else {
    rc = est_oidc_map_who(o, ctx->app->pool, atc, &w, reason, sizeof reason);
  }
  if (rc == EST_OK) {
    char cookie[44], csrf[44], hash[65], scopes[96];
    const char *name = json_string_value(json_object_get(idc, "name"));
    char nm[201];
    snprintf(nm, sizeof nm, "%s", name && est_utf8_length(name) <= 200 ? name : "");
    est_scopes_format(w.scopes, scopes, sizeof scopes);
    long long sid = 0;
    rc = random_token(cookie);
    if (rc == EST_OK) rc = random_token(csrf);
    if (rc == EST_OK) rc = http_session_hash(cookie, hash);
    if (rc == EST_OK)
      rc = store_session_create(ctx->app->pool, hash, csrf, w.sub, w.iss, nm, w.party_id, scopes,
                                cfg->oidc_session_ttl_s, &sid);
    if (rc == EST_OK) {
      ulfius_add_same_site_cookie_to_response(ctx->res, HTTP_SESSION_COOKIE, cookie, NULL,
                                              (unsigned)cfg->oidc_session_ttl_s, NULL, "/", cookie_secure(cfg), 1,
                                              U_COOKIE_SAME_SITE_LAX);
      http_set_header(ctx, "Location", ret);
      http_reply_empty(ctx, 302);
      char sb[24];
      snprintf(sb, sizeof sb, "%lld", sid);
      est_log_kv(EST_LOG_INFO, "web sign-in", "request_id", ctx->request_id, "#session_id", sb, "sub", w.sub, NULL);
    } else {
      rc = http_fail(ctx, rc == EST_ETIMEOUT ? EST_EUNAVAILABLE : rc, "cannot record the session now");
    }
    explicit_bzero(cookie, sizeof cookie);
    explicit_bzero(csrf, sizeof csrf);
  } else if (rc == EST_EUNAUTHORIZED || rc == EST_EFORBIDDEN) {
    rc = signin_refused(ctx, rc, reason);
  } else {
    rc = http_fail(ctx, rc == EST_ETIMEOUT ? EST_EUNAVAILABLE : rc, "cannot finish the sign-in now");
  }
  json_decref(idc);
  json_decref(atc);
  json_decref(tok);
  return rc;
}

/* ---- GET /auth/session, POST /auth/logout ------------------------------------ */

static est_result no_session(http_ctx *ctx) {
  http_set_header(ctx, "WWW-Authenticate", "Bearer realm=\"estd\"");
  return http_fail(ctx, EST_EUNAUTHORIZED, "no valid web session; sign in at /auth/login");
}

static est_result auth_session(http_ctx *ctx) {
  no_store(ctx);
  if (!ctx->app->auth) {
    static const char off[] = "{\"authenticated\":false,\"auth\":\"off\"}";
    http_reply_raw(ctx, 200, "application/json", off, sizeof off - 1);
    return EST_OK;
  }
  const char *cookie = http_session_cookie(ctx);
  store_session s;
  char hash[65];
  est_result rc = cookie ? http_session_find(ctx, cookie, &s, hash) : EST_ENOTFOUND;
  if (rc == EST_ENOTFOUND) return no_session(ctx);
  if (rc != EST_OK) return http_fail(ctx, rc == EST_ETIMEOUT ? EST_EUNAVAILABLE : rc, "cannot read the session now");
  json_t *sc = json_array();
  for (const char *p = s.scopes; *p;) {
    size_t l = strcspn(p, ",");
    json_array_append_new(sc, json_stringn(p, l));
    p += l;
    if (*p == ',') p++;
  }
  json_t *j = json_pack("{s:b,s:s,s:s,s:s,s:I,s:o,s:s,s:I}", "authenticated", 1, "sub", s.sub, "name", s.name, "party",
                        s.party_code, "party_id", (json_int_t)s.party_id, "scopes", sc, "csrf_token", s.csrf,
                        "expires_at", (json_int_t)s.expires_at);
  explicit_bzero(&s, sizeof s);
  if (!j) return EST_ENOMEM;
  http_reply_json_steal(ctx, 200, j);
  return EST_OK;
}

static est_result auth_logout(http_ctx *ctx) {
  no_store(ctx);
  const char *cookie = ctx->app->auth ? http_session_cookie(ctx) : NULL;
  store_session s;
  char hash[65];
  est_result rc = cookie ? http_session_find(ctx, cookie, &s, hash) : EST_ENOTFOUND;
  if (rc == EST_ENOTFOUND) return no_session(ctx);
  if (rc != EST_OK) return http_fail(ctx, rc == EST_ETIMEOUT ? EST_EUNAVAILABLE : rc, "cannot read the session now");
  const char *got = http_header(ctx, "X-CSRF-Token");
  size_t n = strlen(s.csrf);
  bool ok = got && strlen(got) == n && est_ct_equal((const unsigned char *)got, (const unsigned char *)s.csrf, n);
  explicit_bzero(&s, sizeof s);
  if (!ok)
    return http_fail(ctx, EST_EFORBIDDEN, "sign-out needs the header X-CSRF-Token (csrf_token from /auth/session)");
  http_session_forget(hash);
  rc = store_session_end(ctx->app->pool, hash);
  if (rc != EST_OK) return http_fail(ctx, rc == EST_ETIMEOUT ? EST_EUNAVAILABLE : rc, "cannot end the session now");
  ulfius_add_same_site_cookie_to_response(ctx->res, HTTP_SESSION_COOKIE, "", "Thu, 01 Jan 1970 00:00:00 GMT", 0, NULL,
                                          "/", cookie_secure(ctx->app->cfg), 1, U_COOKIE_SAME_SITE_LAX);
  http_reply_empty(ctx, 204);
  return EST_OK;
}

const http_route http_routes_auth[] = {
    {"GET", "/auth/login", auth_login, 0, HTTP_ROUTE_PUBLIC, "return_to"},
    /* What a provider may add to the redirect (RFC 6749, RFC 9207, OIDC session management). */
    {"GET", "/auth/callback", auth_callback, 0, HTTP_ROUTE_PUBLIC,
     "state code error error_description error_uri iss session_state"},
    {"GET", "/auth/session", auth_session, 0, HTTP_ROUTE_PUBLIC, NULL},
    {"POST", "/auth/logout", auth_logout, 0, HTTP_ROUTE_PUBLIC, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
