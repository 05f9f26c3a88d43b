/* session.c - web session lookup by cookie, with a small per-process cache
 * (see session.h). The sign-in routes are in routes_auth.c. */
#include "estd/util.h"
#include "estd/session.h"

#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/scope.h"

#define SESSION_SLOTS 256

est_result http_session_hash(const char *s, char out[65]) {
  unsigned char h[32];
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, s, strlen(s), h) != 0) return EST_EINTERNAL;
  static const char hx[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    out[2 * i] = hx[h[i] >> 4];
    out[2 * i + 1] = hx[h[i] & 15];
  }
  out[64] = '\0';
  return EST_OK;
}

/* ---- the per-process session cache ---------------------------------------- */

typedef struct sess_entry {
  char hash[65]; /* "" = empty */
  int64_t until_ms;
  store_session s;
} sess_entry;

static pthread_mutex_t g_sess_mu = PTHREAD_MUTEX_INITIALIZER;
static sess_entry g_sess[SESSION_SLOTS];

static size_t sess_slot(const char *hash) {
  char first[9];
  memcpy(first, hash, 8); /* hex of a SHA-256: uniform already */
  first[8] = '\0';
  return (size_t)(strtoul(first, NULL, 16) % SESSION_SLOTS);
}

void http_session_forget(const char *hash) {
  pthread_mutex_lock(&g_sess_mu);
  sess_entry *e = &g_sess[sess_slot(hash)];
  if (strcmp(e->hash, hash) == 0) memset(e, 0, sizeof *e);
  pthread_mutex_unlock(&g_sess_mu);
}

/* Finds a live session by cookie value (cache, then the database). */
est_result http_session_find(http_ctx *ctx, const char *cookie, store_session *out, char hash[65]) {
  if (strlen(cookie) != 43) return EST_ENOTFOUND;
  for (const char *p = cookie; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
      return EST_ENOTFOUND;
  est_result rc = http_session_hash(cookie, hash);
  if (rc != EST_OK) return rc;
  int ttl = ctx->app->cfg->auth_cache_ttl_ms;
  int64_t now = est_mono_ms();
  if (ttl > 0) {
    bool hit = false;
    pthread_mutex_lock(&g_sess_mu);
    sess_entry *e = &g_sess[sess_slot(hash)];
    if (strcmp(e->hash, hash) == 0 && now < e->until_ms && e->s.expires_at > (long long)time(NULL)) {
      *out = e->s;
      hit = true;
    }
    pthread_mutex_unlock(&g_sess_mu);
    if (hit) return EST_OK;
  }
  rc = store_session_find(ctx->app->pool, hash, out);
  if (rc == EST_OK && ttl > 0) {
    pthread_mutex_lock(&g_sess_mu);
    sess_entry *e = &g_sess[sess_slot(hash)];
    memcpy(e->hash, hash, sizeof e->hash);
    e->until_ms = now + ttl;
    e->s = *out;
    pthread_mutex_unlock(&g_sess_mu);
  }
  return rc;
}

const char *http_session_cookie(http_ctx *ctx) {
  const char *c = ctx->req->map_cookie ? u_map_get(ctx->req->map_cookie, HTTP_SESSION_COOKIE) : NULL;
  return c && *c ? c : NULL;
}

static unsigned scopes_of(const char *csv) {
  unsigned m = 0;
  est_scopes_parse(csv, &m, NULL, 0);
  return m;
}

est_result http_session_principal(http_ctx *ctx, const char *cookie, http_principal *who, char csrf[64]) {
  store_session s;
  char hash[65];
  est_result rc = http_session_find(ctx, cookie, &s, hash);
  if (rc != EST_OK) return rc;
  who->kind = HTTP_AUTH_SESSION;
  who->key_id = 0;
  who->party_id = s.party_id;
  who->scopes = est_scopes_effective(scopes_of(s.scopes));
  who->session_id = s.id;
  snprintf(who->sub, sizeof who->sub, "%s", s.sub);
  snprintf(who->iss, sizeof who->iss, "%s", s.iss);
  snprintf(csrf, 64, "%s", s.csrf);
  explicit_bzero(&s, sizeof s);
  return EST_OK;
}
