/* oidc.c - JWT bearer validation against the issuer's JWKS, the fetch
 * thread and the per-token cache (see oidc.h). JOSE: librhonabwy;
 * HTTP client: libcurl. Pure checks live in domain/oidc_claims.c. */
#include "estd/util.h"
#include "estd/oidc.h"

#include <curl/curl.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <rhonabwy.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/buf.h"
#include "estd/log.h"
#include "estd/store_oidc.h"

#define FETCH_MAX_BYTES (512 * 1024) /* discovery/JWKS answers larger than this are refused */
#define URL_MAX 1024
#define RETRY_WHILE_FAILING_MS 5000 /* background retry period while the issuer is unreachable */

typedef struct tok_entry {
  unsigned char hash[32]; /* SHA-256 of the token; all zero = empty slot */
  int64_t until_s;        /* wall clock; the entry is dead at or after it */
  est_oidc_who who;
} tok_entry;

struct est_oidc {
  const est_config *cfg;
  est_oidc_map *map;
  pthread_t thread;
  bool thread_started;
  pthread_mutex_t mu;
  pthread_cond_t cv_work, cv_done;
  bool stop, want_refresh, refreshing;
  unsigned long generation; /* completed refresh attempts */
  jwks_t *jwks;             /* current signing keys (NULL = none) */
  size_t nkeys;
  int64_t keys_at_s;             /* wall clock of the last successful fetch */
  int64_t ondemand_ms;           /* monotonic time of the last unknown-kid refresh */
  unsigned long ondemand_target; /* generation that answers it */
  char jwks_uri[URL_MAX], authz_ep[URL_MAX], token_ep[URL_MAX], end_session_ep[URL_MAX];
  char last_error[256];
  unsigned long refreshes, failures;
  pthread_mutex_t cmu;
  tok_entry *cache;
  size_t ncache;
  atomic_llong keys_fresh_until_s; /* cached tokens count only while their key set is fresh */
  atomic_ulong cache_hits, cache_misses;
};

static int64_t wall_s(void) { return (int64_t)time(NULL); }

static void say(char *reason, size_t n, const char *msg) {
  if (n) snprintf(reason, n, "%s", msg);
}

/* ---- HTTP fetches (libcurl) ---------------------------------------------- */

typedef struct sink {
  est_buf b;
  bool too_big;
} sink;

static size_t sink_write(char *p, size_t sz, size_t nm, void *arg) {
  sink *s = arg;
  size_t n = sz * nm;
  if (s->b.len + n > FETCH_MAX_BYTES) {
    s->too_big = true;
    return 0;
  }
  est_buf_append(&s->b, p, n);
  return s->b.oom ? 0 : n;
}

/* GET (form == NULL) or POST form; JSON answer in *out. Never follows
 * redirects; http/https only; whole exchange within timeout_ms. */
static est_result http_json(const char *url, const char *form, const char *user, const char *pass, int timeout_ms,
                            int *status, json_t **out, char *err, size_t errlen) {
  *out = NULL;
  *status = 0;
  CURL *c = curl_easy_init();
  if (!c) return EST_ENOMEM;
  sink s = {EST_BUF_INIT, false};
  struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "estd");
  if (form) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    if (user) {
      curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
      curl_easy_setopt(c, CURLOPT_USERNAME, user);
      curl_easy_setopt(c, CURLOPT_PASSWORD, pass ? pass : "");
    }
  }
  CURLcode cc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(hdr);
  curl_easy_cleanup(c);
  est_result rc = EST_OK;
  if (cc != CURLE_OK) {
    snprintf(err, errlen, "%.200s: %s", url, s.too_big ? "answer too large" : curl_easy_strerror(cc));
    rc = cc == CURLE_OPERATION_TIMEDOUT ? EST_ETIMEOUT : EST_EUNAVAILABLE;
  } else {
    *status = (int)code;
    json_error_t je;
    *out = json_loadb(s.b.data ? s.b.data : "", s.b.len, 0, &je);
    if (!*out) {
      snprintf(err, errlen, "%.200s: HTTP %ld, not JSON", url, code);
      rc = EST_EPARSE;
    }
  }
  est_buf_free(&s.b);
  return rc;
}

/* ---- key refresh ----------------------------------------------------------- */

static bool url_ok(const char *u) {
  return u && strlen(u) < URL_MAX && (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0);
}

static void copy_ep(const json_t *d, const char *name, char *dst) {
  const char *v = json_string_value(json_object_get(d, name));
  snprintf(dst, URL_MAX, "%s", url_ok(v) ? v : "");
}

/* Keeps only public asymmetric signing keys (use absent or "sig"). */
static jwks_t *signing_keys(const json_t *doc, size_t *n, char *err, size_t errlen) {
  *n = 0;
  const json_t *keys = json_object_get(doc, "keys");
  if (!json_is_array(keys)) {
    snprintf(err, errlen, "JWKS has no keys array");
    return NULL;
  }
  jwks_t *out = NULL;
  if (r_jwks_init(&out) != RHN_OK) return NULL;
  size_t i;
  const json_t *k;
  json_array_foreach(keys, i, k) {
    const char *use = json_string_value(json_object_get(k, "use"));
    if (use && strcmp(use, "sig") != 0) continue;
    if (!json_is_string(json_object_get(k, "kid"))) continue;
    jwk_t *jwk = NULL;
    if (r_jwk_init(&jwk) != RHN_OK) continue;
    unsigned bits = 0;
    if (r_jwk_import_from_json_t(jwk, (json_t *)k) == RHN_OK) {
      int t = r_jwk_key_type(jwk, &bits, R_FLAG_IGNORE_REMOTE);
      if ((t & R_KEY_TYPE_PUBLIC) && (t & (R_KEY_TYPE_RSA | R_KEY_TYPE_EC)) && r_jwks_append_jwk(out, jwk) == RHN_OK)
        (*n)++;
    }
    r_jwk_free(jwk);
  }
  if (*n == 0) {
    snprintf(err, errlen, "JWKS holds no usable public signing key");
    r_jwks_free(out);
    return NULL;
  }
  return out;
}

/* One refresh: discovery, then JWKS. Runs on the fetch thread, unlocked. */
static void refresh_once(est_oidc *o) {
  const est_config *cfg = o->cfg;
  char err[256] = "";
  char url[URL_MAX + 64];
  /* OpenID Connect Discovery 1.0 section 4: a trailing '/' of the issuer is dropped. */
  size_t il = strlen(cfg->oidc_issuer);
  if (il && cfg->oidc_issuer[il - 1] == '/') il--;
  snprintf(url, sizeof url, "%.*s/.well-known/openid-configuration", (int)(il < URL_MAX ? il : URL_MAX),
           cfg->oidc_issuer);
  int st = 0;
  json_t *disc = NULL, *keys = NULL;
  jwks_t *ks = NULL;
  size_t nk = 0;
  char jwks_uri[URL_MAX] = "", authz[URL_MAX] = "", token[URL_MAX] = "", endsess[URL_MAX] = "";
  est_result rc = http_json(url, NULL, NULL, NULL, cfg->oidc_fetch_timeout_ms, &st, &disc, err, sizeof err);
  if (rc == EST_OK && st != 200) {
    snprintf(err, sizeof err, "%.200s: HTTP %d", url, st);
    rc = EST_EUNAVAILABLE;
  }
  if (rc == EST_OK) {
    const char *iss = json_string_value(json_object_get(disc, "issuer"));
    if (!iss || strcmp(iss, cfg->oidc_issuer) != 0) {
      snprintf(err, sizeof err, "discovery names issuer '%.100s', not ESTD_OIDC_ISSUER", iss ? iss : "");
      rc = EST_EINVAL;
    }
  }
  if (rc == EST_OK) {
    copy_ep(disc, "jwks_uri", jwks_uri);
    copy_ep(disc, "authorization_endpoint", authz);
    copy_ep(disc, "token_endpoint", token);
    copy_ep(disc, "end_session_endpoint", endsess);
    if (!jwks_uri[0]) {
      snprintf(err, sizeof err, "discovery has no http(s) jwks_uri");
      rc = EST_EINVAL;
    }
  }
  if (rc == EST_OK) {
    rc = http_json(jwks_uri, NULL, NULL, NULL, cfg->oidc_fetch_timeout_ms, &st, &keys, err, sizeof err);
    if (rc == EST_OK && st != 200) {
      snprintf(err, sizeof err, "%.200s: HTTP %d", jwks_uri, st);
      rc = EST_EUNAVAILABLE;
    }
  }
  if (rc == EST_OK && !(ks = signing_keys(keys, &nk, err, sizeof err))) rc = EST_EINVAL;
  json_decref(disc);
  json_decref(keys);

  pthread_mutex_lock(&o->mu);
  o->refreshes++;
  if (rc == EST_OK) {
    jwks_t *old = o->jwks;
    o->jwks = ks;
    o->nkeys = nk;
    o->keys_at_s = wall_s();
    atomic_store(&o->keys_fresh_until_s, (long long)(o->keys_at_s + cfg->oidc_jwks_max_age_s));
    memcpy(o->jwks_uri, jwks_uri, URL_MAX);
    memcpy(o->authz_ep, authz, URL_MAX);
    memcpy(o->token_ep, token, URL_MAX);
    memcpy(o->end_session_ep, endsess, URL_MAX);
    o->last_error[0] = '\0';
    pthread_mutex_unlock(&o->mu);
    r_jwks_free(old);
    return;
  }
  o->failures++;
  snprintf(o->last_error, sizeof o->last_error, "%s", err);
  jwks_t *drop = NULL;
  if (o->jwks && wall_s() - o->keys_at_s > cfg->oidc_jwks_max_age_s) { /* too old to trust any longer */
    drop = o->jwks;
    o->jwks = NULL;
    o->nkeys = 0;
    atomic_store(&o->keys_fresh_until_s, 0);
  }
  pthread_mutex_unlock(&o->mu);
  r_jwks_free(drop);
  est_log_kv(EST_LOG_WARN, "cannot refresh the OIDC signing keys", "error", err, NULL);
}

static void *fetch_main(void *arg) {
  est_oidc *o = arg;
  pthread_mutex_lock(&o->mu);
  while (!o->stop) {
    o->want_refresh = false;
    o->refreshing = true;
    pthread_mutex_unlock(&o->mu);
    refresh_once(o);
    pthread_mutex_lock(&o->mu);
    o->refreshing = false;
    o->generation++;
    pthread_cond_broadcast(&o->cv_done);
    int64_t wait_ms = (int64_t)o->cfg->oidc_jwks_refresh_s * 1000;
    if (o->last_error[0] && wait_ms > RETRY_WHILE_FAILING_MS) wait_ms = RETRY_WHILE_FAILING_MS;
    struct timespec dl = est_mono_deadline(wait_ms);
    while (!o->stop && !o->want_refresh)
      if (pthread_cond_timedwait(&o->cv_work, &o->mu, &dl) == ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&o->mu);
  return NULL;
}

/* Asks for an early refresh (rate-bounded) and waits for it; o->mu held. */
static void refresh_now_locked(est_oidc *o) {
  int64_t now = est_mono_ms();
  unsigned long target;
  if (o->ondemand_ms && now - o->ondemand_ms < o->cfg->oidc_refresh_min_interval_ms) {
    /* Rate-bounded: no new refresh, but one still under way is waited for. */
    if ((long)(o->generation - o->ondemand_target) >= 0) return;
    target = o->ondemand_target;
  } else {
    o->ondemand_ms = now;
    /* A refresh already running may have started before the key appeared:
     * then wait for the one after it. */
    target = o->generation + (o->refreshing ? 2 : 1);
    o->ondemand_target = target;
    o->want_refresh = true;
    pthread_cond_signal(&o->cv_work);
  }
  int64_t wait_ms = 4 * (int64_t)o->cfg->oidc_fetch_timeout_ms + 200; /* up to two refreshes of two fetches */
  struct timespec dl = est_mono_deadline(wait_ms);
  while (!o->stop && (long)(o->generation - target) < 0)
    if (pthread_cond_timedwait(&o->cv_done, &o->mu, &dl) == ETIMEDOUT) break;
}

/* A copy of the key for kid (caller r_jwk_free), refreshing once if unknown. */
static jwk_t *key_for(est_oidc *o, const char *kid, bool *stale) {
  jwk_t *k = NULL;
  pthread_mutex_lock(&o->mu);
  for (int attempt = 0; attempt < 2 && !k; attempt++) {
    if (o->jwks && wall_s() - o->keys_at_s <= o->cfg->oidc_jwks_max_age_s) {
      if (kid[0]) k = r_jwks_get_by_kid(o->jwks, kid);
      else if (r_jwks_size(o->jwks) == 1) k = r_jwks_get_at(o->jwks, 0); /* no kid: only with a single key */
    }
    if (!k && attempt == 0) refresh_now_locked(o);
  }
  *stale = o->last_error[0] != '\0';
  pthread_mutex_unlock(&o->mu);
  return k;
}

/* ---- verification ---------------------------------------------------------- */

static bool key_fits_alg(jwk_t *k, const char *alg) {
  unsigned bits = 0;
  int t = r_jwk_key_type(k, &bits, R_FLAG_IGNORE_REMOTE);
  if (!(t & R_KEY_TYPE_PUBLIC)) return false;
  const char *kalg = r_jwk_get_property_str(k, "alg");
  if (kalg && strcmp(kalg, alg) != 0) return false;
  if (alg[0] == 'R' || alg[0] == 'P') return (t & R_KEY_TYPE_RSA) && bits >= 2048;
  if (alg[0] == 'E') return (t & R_KEY_TYPE_EC) != 0;
  return false;
}

est_result est_oidc_verify(est_oidc *o, const char *token, size_t len, const char *audience, json_t **claims,
                           char *reason, size_t n) {
  *claims = NULL;
  if ((int)len > o->cfg->oidc_max_token_bytes) {
    if (n) snprintf(reason, n, "the token is longer than %d bytes", o->cfg->oidc_max_token_bytes);
    return EST_EUNAUTHORIZED;
  }
  est_jwt_header h;
  est_result rc = est_jwt_header_parse(token, len, &h, reason, n);
  if (rc != EST_OK) return rc;
  if (!est_jwt_alg_allowed(o->cfg->oidc_algs, h.alg)) {
    if (n) snprintf(reason, n, "the token's algorithm %s is not accepted (accepted: %s)", h.alg, o->cfg->oidc_algs);
    return EST_EUNAUTHORIZED;
  }
  bool stale = false;
  jwk_t *k = key_for(o, h.kid, &stale);
  if (!k) {
    if (n)
      snprintf(reason, n, "the token's signing key%s%s%s is not in the issuer's key set%s", h.kid[0] ? " (kid " : "",
               h.kid, h.kid[0] ? ")" : "", stale ? " (the issuer cannot be reached to refresh it)" : "");
    return EST_EUNAUTHORIZED;
  }
  rc = EST_EUNAUTHORIZED;
  jwt_t *jwt = NULL;
  if (!key_fits_alg(k, h.alg)) {
    say(reason, n, "the token's algorithm does not match its signing key");
  } else if (r_jwt_init(&jwt) != RHN_OK) {
    rc = EST_ENOMEM;
  } else if (r_jwt_advanced_parsen(jwt, token, len, R_PARSE_NONE, R_FLAG_IGNORE_REMOTE) != RHN_OK ||
             r_jwt_get_type(jwt) != R_JWT_TYPE_SIGN) {
    say(reason, n, "the token is not a well-formed signed JWT");
  } else if (r_jwt_verify_signature(jwt, k, R_FLAG_IGNORE_REMOTE) != RHN_OK) {
    say(reason, n, "the token's signature is invalid");
  } else {
    json_t *c = r_jwt_get_full_claims_json_t(jwt);
    est_jwt_expect e = {o->cfg->oidc_issuer, audience, (long long)wall_s(), o->cfg->oidc_skew_s};
    long long exp = 0;
    if (!c) {
      say(reason, n, "the token's claims are not a JSON object");
    } else if ((rc = est_jwt_claims_check(c, &e, &exp, reason, n)) == EST_OK) {
      *claims = c;
      c = NULL;
    }
    json_decref(c);
  }
  r_jwt_free(jwt);
  r_jwk_free(k);
  return rc;
}

est_result est_oidc_map_who(est_oidc *o, est_pool *pool, const json_t *claims, est_oidc_who *who, char *reason,
                            size_t n) {
  memset(who, 0, sizeof *who);
  est_oidc_identity id;
  est_result rc = est_oidc_map_claims(o->map, claims, &id, reason, n);
  if (rc != EST_OK) return rc;
  rc = store_party_id_by_code(pool, id.party, &who->party_id);
  if (rc == EST_ENOTFOUND) {
    if (n) snprintf(reason, n, "the token names party '%s', which estd does not know", id.party);
    return EST_EFORBIDDEN;
  }
  if (rc != EST_OK) return rc;
  who->scopes = id.scopes;
  snprintf(who->sub, sizeof who->sub, "%s", json_string_value(json_object_get(claims, "sub")));
  snprintf(who->iss, sizeof who->iss, "%s", json_string_value(json_object_get(claims, "iss")));
  return EST_OK;
}

/* ---- the token cache ------------------------------------------------------- */

static bool token_hash(const char *t, size_t len, unsigned char out[32]) {
  return gnutls_hash_fast(GNUTLS_DIG_SHA256, t, len, out) == 0;
}

static size_t slot_of(est_oidc *o, const unsigned char h[32]) {
  uint64_t v;
  memcpy(&v, h, sizeof v); /* the hash is uniform already */
  return (size_t)(v % o->ncache);
}

static bool cache_get(est_oidc *o, const unsigned char h[32], est_oidc_who *who) {
  if (!o->ncache) return false;
  bool hit = false;
  int64_t now = wall_s();
  if (now > atomic_load(&o->keys_fresh_until_s)) return false; /* keys expired: verify again (and fail) */
  pthread_mutex_lock(&o->cmu);
  tok_entry *e = &o->cache[slot_of(o, h)];
  if (memcmp(e->hash, h, 32) == 0 && now < e->until_s) {
    *who = e->who;
    hit = true;
  }
  pthread_mutex_unlock(&o->cmu);
  return hit;
}

static void cache_put(est_oidc *o, const unsigned char h[32], int64_t until, const est_oidc_who *who) {
  if (!o->ncache) return;
  pthread_mutex_lock(&o->cmu);
  tok_entry *e = &o->cache[slot_of(o, h)];
  memcpy(e->hash, h, 32);
  e->until_s = until;
  e->who = *who;
  pthread_mutex_unlock(&o->cmu);
}

est_result est_oidc_authenticate(est_oidc *o, est_pool *pool, const char *token, size_t len, est_oidc_who *who,
                                 char *reason, size_t n) {
  unsigned char h[32];
  bool hashed = (int)len <= o->cfg->oidc_max_token_bytes && token_hash(token, len, h);
  if (hashed && cache_get(o, h, who)) {
    atomic_fetch_add(&o->cache_hits, 1);
    return EST_OK;
  }
  atomic_fetch_add(&o->cache_misses, 1);
  json_t *claims = NULL;
  est_result rc = est_oidc_verify(o, token, len, o->cfg->oidc_audience, &claims, reason, n);
  if (rc != EST_OK) return rc;
  rc = est_oidc_map_who(o, pool, claims, who, reason, n);
  if (rc == EST_OK && hashed) {
    int64_t exp = (int64_t)json_integer_value(json_object_get(claims, "exp"));
    if (json_is_real(json_object_get(claims, "exp"))) exp = (int64_t)json_real_value(json_object_get(claims, "exp"));
    int64_t until = wall_s() + o->cfg->oidc_token_cache_ttl_s;
    if (exp + o->cfg->oidc_skew_s < until) until = exp + o->cfg->oidc_skew_s; /* never past exp (+ skew) */
    cache_put(o, h, until, who);
  }
  json_decref(claims);
  return rc;
}

/* ---- life cycle ---------------------------------------------------------- */

static est_result make_map(const est_config *cfg, est_oidc_map **m, char *err, size_t errlen) {
  est_oidc_map_config mc = {cfg->oidc_party_claim, cfg->oidc_groups_claim, cfg->oidc_party_groups,
                            cfg->oidc_scope_claim, cfg->oidc_scope_prefix, cfg->oidc_scope_groups};
  return est_oidc_map_new(&mc, m, err, errlen);
}

est_result est_oidc_config_check(const est_config *cfg, char *err, size_t errlen) {
  if (!cfg->oidc_issuer) return EST_OK;
  char bad[40];
  if (est_jwt_algs_check(cfg->oidc_algs, bad, sizeof bad) != EST_OK) {
    snprintf(err, errlen,
             "ESTD_OIDC_ALGS: '%s' is not accepted; use RS256, RS384, RS512, PS256, PS384, PS512, "
             "ES256, ES384 or ES512 (never none or HS*)",
             bad);
    return EST_ECONFIG;
  }
  est_oidc_map *m = NULL;
  est_result rc = make_map(cfg, &m, err, errlen);
  est_oidc_map_free(m);
  return rc == EST_OK ? EST_OK : EST_ECONFIG;
}

static void libs_init(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  r_global_init();
}

est_result est_oidc_start(const est_config *cfg, est_oidc **out, char *err, size_t errlen) {
  *out = NULL;
  if (!cfg->oidc_issuer) return EST_OK;
  est_result rc = est_oidc_config_check(cfg, err, errlen);
  if (rc != EST_OK) return rc;
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, libs_init);
  est_oidc *o = calloc(1, sizeof *o);
  if (!o) return EST_ENOMEM;
  o->cfg = cfg;
  pthread_mutex_init(&o->mu, NULL);
  pthread_mutex_init(&o->cmu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&o->cv_work, &ca);
  pthread_cond_init(&o->cv_done, &ca);
  pthread_condattr_destroy(&ca);
  o->ncache = (size_t)cfg->oidc_token_cache_size;
  if (o->ncache && !(o->cache = calloc(o->ncache, sizeof *o->cache))) rc = EST_ENOMEM;
  if (rc == EST_OK) rc = make_map(cfg, &o->map, err, errlen);
  if (rc == EST_OK) {
    if (pthread_create(&o->thread, NULL, fetch_main, o) != 0) rc = EST_EINTERNAL;
    else o->thread_started = true;
  }
  if (rc != EST_OK) {
    est_oidc_stop(o);
    return rc;
  }
  *out = o;
  return EST_OK;
}

void est_oidc_stop(est_oidc *o) {
  if (!o) return;
  if (o->thread_started) {
    pthread_mutex_lock(&o->mu);
    o->stop = true;
    pthread_cond_broadcast(&o->cv_work);
    pthread_cond_broadcast(&o->cv_done);
    pthread_mutex_unlock(&o->mu);
    pthread_join(o->thread, NULL);
  }
  r_jwks_free(o->jwks);
  est_oidc_map_free(o->map);
  if (o->cache) explicit_bzero(o->cache, o->ncache * sizeof *o->cache);
  free(o->cache);
  pthread_mutex_destroy(&o->mu);
  pthread_mutex_destroy(&o->cmu);
  pthread_cond_destroy(&o->cv_work);
  pthread_cond_destroy(&o->cv_done);
  free(o);
}

est_result est_oidc_endpoint(est_oidc *o, const char *name, char *buf, size_t n) {
  if (!o) return EST_EUNAVAILABLE;
  pthread_mutex_lock(&o->mu);
  const char *v = strcmp(name, "authorization_endpoint") == 0 ? o->authz_ep
                  : strcmp(name, "token_endpoint") == 0       ? o->token_ep
                  : strcmp(name, "end_session_endpoint") == 0 ? o->end_session_ep
                                                              : "";
  snprintf(buf, n, "%s", v);
  pthread_mutex_unlock(&o->mu);
  return buf[0] ? EST_OK : EST_EUNAVAILABLE;
}

est_result est_oidc_token_post(est_oidc *o, const char *form, int *status, json_t **resp) {
  char ep[URL_MAX], err[256];
  est_result rc = est_oidc_endpoint(o, "token_endpoint", ep, sizeof ep);
  if (rc != EST_OK) return rc;
  rc = http_json(ep, form, o->cfg->oidc_client_id, o->cfg->oidc_client_secret, o->cfg->oidc_fetch_timeout_ms, status,
                 resp, err, sizeof err);
  if (rc != EST_OK) est_log_kv(EST_LOG_WARN, "OIDC token request failed", "error", err, NULL);
  return rc;
}

json_t *est_oidc_status(est_oidc *o) {
  pthread_mutex_lock(&o->mu);
  bool fresh = o->jwks && wall_s() - o->keys_at_s <= o->cfg->oidc_jwks_max_age_s;
  const char *st = !fresh ? "unavailable" : o->last_error[0] ? "stale" : "ok";
  json_t *j =
      json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "issuer", o->cfg->oidc_issuer, "status", st, "keys",
                (json_int_t)(fresh ? o->nkeys : 0), "keys_age_s", (json_int_t)(o->jwks ? wall_s() - o->keys_at_s : -1),
                "refreshes", (json_int_t)o->refreshes, "failures", (json_int_t)o->failures);
  if (j && o->last_error[0]) json_object_set_new(j, "last_error", json_string(o->last_error));
  if (j)
    json_object_set_new(
        j, "token_cache",
        json_pack("{s:I,s:I,s:I}", "size", (json_int_t)o->ncache, "hits", (json_int_t)atomic_load(&o->cache_hits),
                  "misses", (json_int_t)atomic_load(&o->cache_misses)));
  pthread_mutex_unlock(&o->mu);
  return j;
}
