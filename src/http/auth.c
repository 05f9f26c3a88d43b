/* auth.c - API keys, request authentication, scopes and rate limits
 * (see auth.h). */
#include "estd/auth.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "estd/http.h"
#include "estd/log.h"
#include "estd/oidc.h"
#include "estd/oidc_claims.h"
#include "estd/ratelimit.h"
#include "estd/session.h"
#include "estd/store_keys.h"
#include "estd/util.h"

/* ---- key tokens ---------------------------------------------------------------- */

#define KEY_LEAD "estd_"
#define KEY_LEAD_LEN 5
#define KEY_SECRET_CHARS 43 /* base64url of 32 bytes, no padding */

bool est_ct_equal(const unsigned char *a, const unsigned char *b, size_t n) {
  volatile unsigned char d = 0;
  for (size_t i = 0; i < n; i++) d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

static bool fill_random(unsigned char *b, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(b + got, n - got, 0);
    if (r <= 0) return false;
    got += (size_t)r;
  }
  return true;
}

est_result est_key_generate(char **token, char prefix[EST_KEY_PREFIX_LEN + 1]) {
  *token = NULL;
  unsigned char pb[EST_KEY_PREFIX_LEN / 2], sb[EST_KEY_SECRET_BYTES];
  if (!fill_random(pb, sizeof pb) || !fill_random(sb, sizeof sb)) return EST_EIO;
  static const char hx[] = "0123456789abcdef";
  for (size_t i = 0; i < sizeof pb; i++) {
    prefix[2 * i] = hx[pb[i] >> 4];
    prefix[2 * i + 1] = hx[pb[i] & 15];
  }
  prefix[EST_KEY_PREFIX_LEN] = '\0';
  char *secret = est_b64url_encode(sb, sizeof sb);
  explicit_bzero(sb, sizeof sb);
  if (!secret) return EST_ENOMEM;
  size_t n = KEY_LEAD_LEN + EST_KEY_PREFIX_LEN + 1 + strlen(secret) + 1;
  char *t = malloc(n);
  if (t) snprintf(t, n, KEY_LEAD "%s_%s", prefix, secret);
  explicit_bzero(secret, strlen(secret));
  free(secret);
  if (!t) return EST_ENOMEM;
  *token = t;
  return EST_OK;
}

static bool is_b64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

est_result est_key_parse(const char *token, char prefix[EST_KEY_PREFIX_LEN + 1]) {
  if (!token || strncmp(token, KEY_LEAD, KEY_LEAD_LEN) != 0) return EST_EINVAL;
  if (strlen(token) != KEY_LEAD_LEN + EST_KEY_PREFIX_LEN + 1 + KEY_SECRET_CHARS) return EST_EINVAL;
  const char *p = token + KEY_LEAD_LEN;
  for (int i = 0; i < EST_KEY_PREFIX_LEN; i++)
    if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) return EST_EINVAL;
  if (p[EST_KEY_PREFIX_LEN] != '_') return EST_EINVAL;
  for (const char *s = p + EST_KEY_PREFIX_LEN + 1; *s; s++)
    if (!is_b64url(*s)) return EST_EINVAL;
  memcpy(prefix, p, EST_KEY_PREFIX_LEN);
  prefix[EST_KEY_PREFIX_LEN] = '\0';
  return EST_OK;
}

est_result est_key_hash(const char *server_secret, const char *token, unsigned char out[EST_KEY_HASH_LEN]) {
  if (!server_secret || !token) return EST_EINVAL;
  if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, server_secret, strlen(server_secret), token, strlen(token), out) != 0)
    return EST_EINTERNAL;
  return EST_OK;
}

est_result est_key_secret_check(const char *secret, char *err, size_t errlen) {
  if (!secret || !*secret) {
    snprintf(err, errlen,
             "ESTD_KEY_SECRET is not set; it is required when ESTD_AUTH=required (at least %d random "
             "characters, e.g. from 'openssl rand -base64 48')",
             EST_KEY_SERVER_SECRET_MIN);
    return EST_ECONFIG;
  }
  if (strlen(secret) < EST_KEY_SERVER_SECRET_MIN) {
    snprintf(err, errlen, "ESTD_KEY_SECRET is too short (%zu characters); it must have at least %d", strlen(secret),
             EST_KEY_SERVER_SECRET_MIN);
    return EST_ECONFIG;
  }
  return EST_OK;
}

est_result est_auth_config_check(const est_config *cfg, char *err, size_t errlen) {
  if (!cfg->auth_required) return EST_OK;
  est_result rc = est_key_secret_check(cfg->key_secret, err, errlen);
  return rc == EST_OK ? est_oidc_config_check(cfg, err, errlen) : rc;
}

/* ---- the verified-key cache ---------------------------------------------------- */

#define CACHE_SLOTS 1024
#define TOUCH_INTERVAL_MS 60000
#define RATE_SLOTS 4096

typedef struct cache_entry {
  char prefix[EST_KEY_PREFIX_LEN + 1]; /* "" = empty slot */
  bool exists;                         /* false: negative entry (no such prefix) */
  bool revoked;
  unsigned char hash[EST_KEY_HASH_LEN];
  long long key_id, party_id;
  unsigned scopes;
  int64_t expires_ms;
  int64_t next_touch_ms;
} cache_entry;

struct est_auth {
  char *secret;
  int ttl_ms;
  pthread_mutex_t mu;
  est_ratelimit *rl;
  est_oidc *oidc; /* NULL unless ESTD_OIDC_ISSUER is set */
  cache_entry cache[CACHE_SLOTS];
};

est_oidc *est_auth_oidc(const est_app *app) { return app->auth ? app->auth->oidc : NULL; }

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t slot_of(const char *prefix) {
  uint32_t h = 2166136261u; /* FNV-1a; prefixes are random already */
  for (const char *p = prefix; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
  return h % CACHE_SLOTS;
}

/* Copies a live cache entry for prefix into *out; false on a miss. */
static bool cache_get(struct est_auth *a, const char *prefix, int64_t now, cache_entry *out) {
  if (a->ttl_ms <= 0) return false;
  bool hit = false;
  pthread_mutex_lock(&a->mu);
  cache_entry *e = &a->cache[slot_of(prefix)];
  if (strcmp(e->prefix, prefix) == 0 && now < e->expires_ms) {
    *out = *e;
    hit = true;
  }
  pthread_mutex_unlock(&a->mu);
  return hit;
}

static void cache_put(struct est_auth *a, const cache_entry *in) {
  if (a->ttl_ms <= 0) return;
  pthread_mutex_lock(&a->mu);
  a->cache[slot_of(in->prefix)] = *in;
  pthread_mutex_unlock(&a->mu);
}

/* True if this request should write last_used_at (at most once a minute
 * per key and process; the UPDATE itself also checks the age). */
static bool touch_due(struct est_auth *a, const cache_entry *e, int64_t now) {
  if (now < e->next_touch_ms) return false;
  bool due = true;
  pthread_mutex_lock(&a->mu);
  cache_entry *c = &a->cache[slot_of(e->prefix)];
  if (strcmp(c->prefix, e->prefix) == 0) {
    if (now < c->next_touch_ms) due = false;
    else c->next_touch_ms = now + TOUCH_INTERVAL_MS;
  }
  pthread_mutex_unlock(&a->mu);
  return due;
}

static est_result load_key(struct est_auth *a, est_pool *pool, const char *prefix, int64_t now, cache_entry *e) {
  memset(e, 0, sizeof *e);
  memcpy(e->prefix, prefix, sizeof e->prefix);
  e->expires_ms = now + a->ttl_ms;
  store_key_row row;
  est_result rc = store_key_find(pool, prefix, &row);
  if (rc == EST_ENOTFOUND) {
    cache_put(a, e);
    return EST_OK;
  }
  if (rc != EST_OK) return rc;
  e->exists = true;
  e->revoked = row.revoked;
  memcpy(e->hash, row.hash, sizeof e->hash);
  e->key_id = row.id;
  e->party_id = row.party_id;
  /* Unknown names cannot be stored (CHECK constraint); ignore defensively. */
  for (const char *p = row.scopes; *p;) {
    size_t n = strcspn(p, ",");
    e->scopes |= est_scope_bit(p, n);
    p += n;
    if (*p == ',') p++;
  }
  e->next_touch_ms = row.touch_due ? 0 : now + TOUCH_INTERVAL_MS;
  explicit_bzero(&row, sizeof row);
  cache_put(a, e);
  return EST_OK;
}

/* ---- the request check ---------------------------------------------------------- */

static est_result unauthorized(http_ctx *ctx, bool presented, const char *detail) {
  http_set_header(ctx, "WWW-Authenticate",
                  presented ? "Bearer realm=\"estd\", error=\"invalid_token\"" : "Bearer realm=\"estd\"");
  return http_fail(ctx, EST_EUNAUTHORIZED, "%s", detail);
}

/* Extracts the token of "Bearer <token>" (scheme case-insensitive). */
static const char *bearer_token(const char *h) {
  if (!h) return NULL;
  if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t')) return NULL;
  h += 6;
  while (*h == ' ' || *h == '\t') h++;
  return h;
}

/* Rate-limit bucket of a token or session subject: a hash of (iss, sub),
 * negative so it never meets an API key id. */
static long long subject_bucket(const char *iss, const char *sub) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a 64 */
  for (const char *p = iss; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
  h = (h ^ 0xff) * 1099511628211ull;
  for (const char *p = sub; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
  return -(long long)(h >> 2) - 1;
}

/* API key in token: fills ctx->who or fails (401/503). */
static est_result key_check(http_ctx *ctx, struct est_auth *a, const char *token, int64_t now) {
  char prefix[EST_KEY_PREFIX_LEN + 1];
  if (strlen(token) > EST_KEY_TOKEN_MAX || est_key_parse(token, prefix) != EST_OK)
    return unauthorized(ctx, true, "the API key is malformed, unknown or revoked");

  unsigned char got[EST_KEY_HASH_LEN];
  if (est_key_hash(a->secret, token, got) != EST_OK) return EST_EINTERNAL;
  cache_entry e;
  if (!cache_get(a, prefix, now, &e)) {
    est_result rc = load_key(a, ctx->app->pool, prefix, now, &e);
    if (rc != EST_OK)
      return http_fail(ctx, rc == EST_ETIMEOUT ? EST_EUNAVAILABLE : rc, "cannot verify the API key now");
  }
  /* Always compare (also for unknown prefixes) so timing tells nothing. */
  bool same = est_ct_equal(got, e.hash, sizeof got);
  explicit_bzero(got, sizeof got);
  if (!e.exists || e.revoked || !same) return unauthorized(ctx, true, "the API key is malformed, unknown or revoked");

  ctx->who.kind = HTTP_AUTH_KEY;
  ctx->who.key_id = e.key_id;
  ctx->who.party_id = e.party_id;
  ctx->who.scopes = est_scopes_effective(e.scopes);
  snprintf(ctx->who.key_prefix, sizeof ctx->who.key_prefix, "%s", e.prefix);

  if (touch_due(a, &e, now)) {
    est_result trc = store_key_touch(ctx->app->pool, e.key_id);
    if (trc != EST_OK)
      est_log_kv(EST_LOG_WARN, "cannot record API key use", "key_prefix", e.prefix, "error", est_result_str(trc), NULL);
  }
  return EST_OK;
}

/* JWT bearer token: verified against the issuer's keys, mapped to a party. */
static est_result jwt_check(http_ctx *ctx, struct est_auth *a, const char *token, size_t len) {
  if (!a->oidc)
    return unauthorized(ctx, true, "JWT bearer tokens are not accepted here: no OpenID Connect issuer is configured");
  est_oidc_who w;
  char reason[256] = "";
  est_result rc = est_oidc_authenticate(a->oidc, ctx->app->pool, token, len, &w, reason, sizeof reason);
  if (rc == EST_EUNAUTHORIZED) return unauthorized(ctx, true, reason);
  if (rc == EST_EFORBIDDEN) return http_fail(ctx, EST_EFORBIDDEN, "%s", reason);
  if (rc != EST_OK) return http_fail(ctx, rc == EST_ETIMEOUT ? EST_EUNAVAILABLE : rc, "cannot verify the token now");
  ctx->who.kind = HTTP_AUTH_JWT;
  ctx->who.party_id = w.party_id;
  ctx->who.scopes = est_scopes_effective(w.scopes);
  snprintf(ctx->who.sub, sizeof ctx->who.sub, "%s", w.sub);
  snprintf(ctx->who.iss, sizeof ctx->who.iss, "%s", w.iss);
  return EST_OK;
}

static bool method_unsafe(const char *m) {
  return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

/* Web session cookie: the principal fixed at sign-in; unsafe methods need
 * the session's CSRF token in X-CSRF-Token. */
static est_result session_check(http_ctx *ctx, const char *cookie) {
  char csrf[64];
  est_result rc = http_session_principal(ctx, cookie, &ctx->who, csrf);
  if (rc == EST_ENOTFOUND) return unauthorized(ctx, true, "the web session has ended or expired; sign in again");
  if (rc != EST_OK) return http_fail(ctx, rc == EST_ETIMEOUT ? EST_EUNAVAILABLE : rc, "cannot verify the session now");
  if (method_unsafe(ctx->req->http_verb)) {
    const char *got = http_header(ctx, "X-CSRF-Token");
    size_t n = strlen(csrf);
    bool ok = got && strlen(got) == n && est_ct_equal((const unsigned char *)got, (const unsigned char *)csrf, n);
    explicit_bzero(csrf, sizeof csrf);
    if (!ok)
      return http_fail(ctx, EST_EFORBIDDEN,
                       "a %s with a session cookie needs the header X-CSRF-Token (csrf_token from /auth/session)",
                       ctx->req->http_verb);
  }
  return EST_OK;
}

est_result est_auth_check_request(http_ctx *ctx) {
  struct est_auth *a = ctx->app->auth;
  if (!a) {
    ctx->who.scopes = est_scopes_effective(HTTP_SCOPE_ADMIN);
    return EST_OK;
  }
  const char *hdr = http_header(ctx, "Authorization");
  const char *cookie = hdr ? NULL : http_session_cookie(ctx);
  int64_t now = now_ms();
  est_result rc;
  if (!hdr && cookie) {
    rc = session_check(ctx, cookie);
  } else {
    if (!hdr)
      return unauthorized(ctx, false,
                          a->oidc ? "this request needs credentials: Authorization: Bearer <API key or JWT>, or a "
                                    "web session (/auth/login)"
                                  : "this request needs an API key: Authorization: Bearer <key>");
    const char *token = bearer_token(hdr);
    if (!token) return unauthorized(ctx, true, "the Authorization header must use the Bearer scheme");
    size_t len = strlen(token);
    int max = a->oidc ? ctx->app->cfg->oidc_max_token_bytes : EST_KEY_TOKEN_MAX;
    if (len > (size_t)max) return unauthorized(ctx, true, "the bearer token is too long");
    /* A JWT is three base64url segments joined by '.'; an API key has no '.'. */
    rc = est_jwt_looks_like(token, len) ? jwt_check(ctx, a, token, len) : key_check(ctx, a, token, now);
  }
  if (rc != EST_OK) return rc;

  int retry_s = 1;
  long long bucket = ctx->who.kind == HTTP_AUTH_KEY ? ctx->who.key_id : subject_bucket(ctx->who.iss, ctx->who.sub);
  if (!est_ratelimit_take(a->rl, bucket, now, &retry_s)) {
    char ra[16];
    snprintf(ra, sizeof ra, "%d", retry_s);
    http_set_header(ctx, "Retry-After", ra);
    return http_fail(ctx, EST_ERATELIMIT, "rate limit of %d requests per second (burst %d) exceeded for this %s",
                     ctx->app->cfg->rate_limit_rps, ctx->app->cfg->rate_limit_burst,
                     ctx->who.kind == HTTP_AUTH_KEY ? "key" : "subject");
  }

  unsigned need = ctx->route->scopes;
  if ((need & ~ctx->who.scopes) != 0) {
    char names[128], hdrv[192];
    est_scopes_format(need & ~ctx->who.scopes, names, sizeof names);
    snprintf(hdrv, sizeof hdrv, "Bearer realm=\"estd\", error=\"insufficient_scope\", scope=\"%s\"", names);
    http_set_header(ctx, "WWW-Authenticate", hdrv);
    const char *what = ctx->who.kind == HTTP_AUTH_KEY   ? "API key"
                       : ctx->who.kind == HTTP_AUTH_JWT ? "token"
                                                        : "session";
    return http_fail(ctx, EST_EFORBIDDEN, "this %s lacks the scope(s) %s needed here", what, names);
  }
  return EST_OK;
}

/* ---- lifecycle -------------------------------------------------------------------- */

est_result est_auth_init(est_app *app) {
  app->auth = NULL;
  const est_config *cfg = app->cfg;
  if (!cfg->auth_required) {
    est_log_kv(EST_LOG_WARN, "authentication is OFF (ESTD_AUTH=off): every request has every scope", NULL);
    return EST_OK;
  }
  char err[256];
  if (est_auth_config_check(cfg, err, sizeof err) != EST_OK) return EST_ECONFIG;
  struct est_auth *a = calloc(1, sizeof *a);
  if (!a) return EST_ENOMEM;
  a->secret = strdup(cfg->key_secret);
  bool failed = false;
  a->rl = est_ratelimit_create(cfg->rate_limit_rps, cfg->rate_limit_burst, RATE_SLOTS, &failed);
  if (!a->secret || failed) {
    free(a->secret);
    free(a);
    return EST_ENOMEM;
  }
  a->ttl_ms = cfg->auth_cache_ttl_ms;
  if (est_oidc_start(cfg, &a->oidc, err, sizeof err) != EST_OK) {
    est_log_kv(EST_LOG_ERROR, "cannot start OpenID Connect", "error", err, NULL);
    est_ratelimit_destroy(a->rl);
    explicit_bzero(a->secret, strlen(a->secret));
    free(a->secret);
    free(a);
    return EST_ECONFIG;
  }
  pthread_mutex_init(&a->mu, NULL);
  app->auth = a;
  if (a->oidc)
    est_log_kv(EST_LOG_INFO, "OpenID Connect bearer tokens accepted", "issuer", cfg->oidc_issuer, "audience",
               cfg->oidc_audience, "web_sign_in", cfg->oidc_client_id ? "on" : "off", NULL);
  char ttl[16], rps[16], burst[16];
  snprintf(ttl, sizeof ttl, "%d", a->ttl_ms);
  snprintf(rps, sizeof rps, "%d", cfg->rate_limit_rps);
  snprintf(burst, sizeof burst, "%d", cfg->rate_limit_burst);
  est_log_kv(EST_LOG_INFO, "authentication required (API keys)", "#cache_ttl_ms", ttl, "#rate_limit_rps", rps,
             "#rate_limit_burst", burst, NULL);
  return EST_OK;
}

void est_auth_free(est_app *app) {
  struct est_auth *a = app->auth;
  app->auth = NULL;
  if (!a) return;
  est_oidc_stop(a->oidc);
  explicit_bzero(a->secret, strlen(a->secret));
  free(a->secret);
  explicit_bzero(a->cache, sizeof a->cache);
  est_ratelimit_destroy(a->rl);
  pthread_mutex_destroy(&a->mu);
  free(a);
}
