/* routes_situation.c - the situational picture (lägesbild), its GeoJSON,
 * commitment progress and the agreement follow-up report.
 *
 *   GET /v1/situation                 JSON (or GeoJSON with Accept: application/geo+json)
 *   GET /v1/situation/geojson         RFC 7946 FeatureCollection
 *   GET /v1/commitments/{id}/progress
 *   GET /v1/agreements/{id}/report    JSON, or CSV (Accept: text/csv or format=csv)
 *   GET /v1/agreements/{id}/report.csv  the same report, always CSV
 *
 * Disclosure (estd/disclosure.h, docs/SECURITY.md): callers without
 * read-detail get every count rounded to a multiple of k =
 * ESTD_PRIVACY_MIN_COUNT by the cell key method (a rounded 0 is null +
 * "suppressed": true, "< k"); min_count may raise k (and protects for any
 * caller); hot spots on a grid; individual events in GeoJSON only those of
 * the caller's own party (all with read-detail; 403 for a key without a
 * party).
 *
 * The route parses the request, fetches the rows from one snapshot
 * (store_situation.h), lets the domain build the document
 * (situation.h: clustering, privacy, CompStat, GeoJSON) and replies.
 *
 * Caching: the rendered picture is kept in an in-process LRU
 * (estd/situation_cache.h, ESTD_SITUATION_CACHE_ENTRIES, created at start
 * as app->situation_cache) keyed by the
 * normalised query including media type, detail scope and effective
 * min_count. Every request reads the data version of the (area, day)
 * buckets its picture reads first (est_situation_buckets,
 * store_situation_version, one sub-millisecond statement) and is served
 * from the cache only when the entry was computed at the same version, so
 * a new event in those buckets or a changed area is visible to the next
 * request, also across instances, while writes to other areas and periods
 * leave the entry valid. "freshness" (newest event anywhere) is read with
 * the version and spliced into every response.
 * Identical concurrent requests wait for one computation. Responses carry
 * Cache-Control: private, max-age=0 and a strong ETag (hash of the body);
 * If-None-Match gives 304. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/http.h"
#include "estd/progress.h"
#include "estd/report.h"
#include "estd/situation.h"
#include "estd/situation_cache.h"
#include "estd/store_progress.h"
#include "estd/store_situation.h"
#include "estd/util.h"

static est_result parse_long(http_ctx *ctx, const char *name, long min, long max, long def, long *out) {
  const char *v = http_param(ctx, name);
  *out = def;
  if (!v) return EST_OK;
  if (est_parse_int(v, min, max, out) != EST_OK) {
    char msg[96];
    snprintf(msg, sizeof msg, "must be an integer from %ld to %ld", min, max);
    http_fail_field(ctx, name, msg);
    return http_fail(ctx, EST_EPARSE, "invalid query parameter '%s'", name);
  }
  return EST_OK;
}

static est_result parse_params(http_ctx *ctx, est_situation_query *q) {
  memset(q, 0, sizeof *q);
  est_result rc = http_param_id(ctx, "area_id", &q->area_id, NULL);
  if (rc != EST_OK) return rc;
  const char *field, *detail;
  est_period period;
  est_date today = est_stockholm_date(time(NULL));
  if (est_period_from_params(http_param(ctx, "week"), http_param(ctx, "from"), http_param(ctx, "to"), today, &period,
                             &field, &detail) != EST_OK) {
    http_fail_field(ctx, field, detail);
    return http_fail(ctx, EST_EPARSE, "invalid period: %s", detail);
  }
  static const char *const buckets[] = {"day", "week", NULL};
  const char *bucket;
  if ((rc = http_param_enum(ctx, "bucket", buckets, &bucket)) != EST_OK) return rc;
  est_situation_query_period(q, &period, bucket);

  long eps, minpts, mc = 0;
  if ((rc = parse_long(ctx, "eps_m", 10, 2000, 150, &eps)) != EST_OK) return rc;
  if ((rc = parse_long(ctx, "min_points", 2, 1000, 5, &minpts)) != EST_OK) return rc;
  int cfg_min = ctx->app->cfg->privacy_min_count;
  const char *mcs = http_param(ctx, "min_count");
  if (mcs) {
    if (est_parse_int(mcs, 0, 1000, &mc) != EST_OK || mc < cfg_min) {
      char msg[128];
      snprintf(msg, sizeof msg, "must be an integer from %d (the configured minimum) to 1000", cfg_min);
      http_fail_field(ctx, "min_count", msg);
      return http_fail(ctx, EST_EPARSE, "min_count may only raise the privacy threshold");
    }
  }
  q->eps_m = (double)eps;
  q->min_points = (int)minpts;
  est_caller who = http_caller(ctx);
  q->detail_scope = who.detail;
  q->detail = est_disclosure_exact_geometry(&who);
  q->rows = est_disclosure_rows(&who, &q->rows_party);
  q->from_raw = ctx->app->cfg->situation_from_raw;
  q->k = est_disclosure_base(&who, cfg_min, mcs ? (int)mc : 0);

  static const char *const includes[] = {"events", NULL};
  const char *inc = NULL;
  if ((rc = http_param_enum(ctx, "include", includes, &inc)) != EST_OK) return rc;
  q->include_events = inc != NULL;
  return EST_OK;
}

/* The rows of one picture, owned (texts malloc'd, the counts a reference);
 * when its hot spots were computed, and whether newer events exist in their
 * buckets. */
typedef struct sit_rows {
  json_t *counts;
  char *hotspots, *context, *areas, *events;
  long long hot_as_of_ms;
  bool hot_stale;
  char hot_etag[24]; /* est_scache_etag of hotspots, when they came from or went into the memo ("" otherwise) */
  char hot_version[EST_SCACHE_NOTE_MAX]; /* the snapshot's hot spot version when the hot spots are of it ("" else) */
} sit_rows;

static long long wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rows_free(sit_rows *r) {
  json_decref(r->counts);
  free(r->hotspots);
  free(r->context);
  free(r->areas);
  free(r->events);
}

/* Hot spots: the store's points, clustered by the domain, detailed by the store. */
static est_result fetch_hotspots(store_situation_snap *s, const est_situation_query *q, char **out) {
  est_hs_point *pts;
  size_t n;
  int ncat;
  est_result rc = store_situation_points(s, q, &pts, &n, &ncat);
  if (rc != EST_OK) return rc;
  est_hs_cluster *cl = NULL;
  int k = est_situation_hotspots(q, pts, n, ncat, &cl);
  free(pts);
  if (k < 0) return EST_ENOMEM;
  rc = store_situation_hotspots(s, q, cl, k, ncat, out);
  est_hotspot_clusters_free(cl, k);
  return rc;
}

/* ---- hot spots refreshed ahead of their staleness bound ----------------------
 * Under continuous intake every picture is recomputed (its buckets change
 * with each batch) and takes its hot spots from the memo while they are
 * within ESTD_HOTSPOT_MAX_STALENESS_S. Without more, the first picture after
 * the bound recomputes them itself, and every request waiting for that
 * picture waits for the clustering too (the p99 under intake,
 * docs/BENCHMARKS.md). So once a memo served stale is older than half the
 * bound, one background thread per key (at most REFRESH_MAX at a time)
 * recomputes it in its own snapshot and stores it with the time it began;
 * the pictures meanwhile keep the memo, which is still within the bound.
 * If the refresh is not done by the bound, the picture computes as before.
 * http_situation_drain waits for the running refreshes (before the pool and
 * the memo are destroyed). */
#define REFRESH_MAX 4
static pthread_mutex_t g_refresh_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_refresh_done = PTHREAD_COND_INITIALIZER;
static char g_refresh_keys[REFRESH_MAX][160];
static int g_refresh_running;
static atomic_ullong g_refresh_started, g_refresh_failed;

typedef struct refresh_job {
  est_pool *pool;
  est_scache *memo;
  est_situation_query q;
  int slot;
  char key[160];
} refresh_job;

static void *refresh_main(void *arg) {
  refresh_job *j = arg;
  long long began = wall_ms(); /* before the snapshot, as in fetch */
  store_situation_snap *s;
  char *version = NULL, *freshness = NULL, *body = NULL;
  est_result rc = store_situation_open(j->pool, &j->q, false, &s, &version, &freshness); /* hot spots only */
  if (rc == EST_OK) {
    rc = fetch_hotspots(s, &j->q, &body);
    if (rc == EST_OK) est_scache_put(j->memo, j->key, store_situation_hot_version(s), body, strlen(body), began);
    rc = store_situation_close(s, rc);
  }
  if (rc != EST_OK) atomic_fetch_add(&g_refresh_failed, 1);
  free(body);
  free(version);
  free(freshness);
  pthread_mutex_lock(&g_refresh_mu);
  g_refresh_keys[j->slot][0] = '\0';
  g_refresh_running--;
  pthread_cond_broadcast(&g_refresh_done);
  pthread_mutex_unlock(&g_refresh_mu);
  free(j);
  return NULL;
}

/* Starts the refresh of key unless one runs for it or REFRESH_MAX run. */
static void refresh_start(est_pool *pool, est_scache *memo, const est_situation_query *q, const char *key) {
  pthread_mutex_lock(&g_refresh_mu);
  int slot = -1;
  for (int i = 0; i < REFRESH_MAX; i++) {
    if (strcmp(g_refresh_keys[i], key) == 0) {
      slot = -2; /* already running */
      break;
    }
    if (slot == -1 && !g_refresh_keys[i][0]) slot = i;
  }
  refresh_job *j = slot >= 0 ? malloc(sizeof *j) : NULL;
  if (j) {
    *j = (refresh_job){.pool = pool, .memo = memo, .q = *q, .slot = slot};
    snprintf(j->key, sizeof j->key, "%s", key);
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, refresh_main, j) == 0) {
      snprintf(g_refresh_keys[slot], sizeof g_refresh_keys[slot], "%s", key);
      g_refresh_running++;
      atomic_fetch_add(&g_refresh_started, 1);
    } else {
      free(j);
    }
    pthread_attr_destroy(&attr);
  }
  pthread_mutex_unlock(&g_refresh_mu);
}

void http_situation_drain(void) {
  pthread_mutex_lock(&g_refresh_mu);
  while (g_refresh_running > 0) pthread_cond_wait(&g_refresh_done, &g_refresh_mu);
  pthread_mutex_unlock(&g_refresh_mu);
}

void http_situation_refresh_counters(uint64_t *started, uint64_t *failed) {
  *started = atomic_load(&g_refresh_started);
  *failed = atomic_load(&g_refresh_failed);
}

/* Notes hv as the version of r's hot spots (too long a version: none). */
static void hot_version_note(sit_rows *r, const char *hv) {
  if (hv && strlen(hv) < sizeof r->hot_version) memcpy(r->hot_version, hv, strlen(hv) + 1);
}

/* The hot spots of q: from the memo of their last computation
 * (app->hotspot_cache) when it was made at the snapshot's hot spot version,
 * or (stale) at most ESTD_HOTSPOT_MAX_STALENESS_S before now; else
 * computed in snapshot s (taken at about now_ms on pool) and stored. Counts
 * never come from here: they are always read in s. A memo served stale past
 * half the bound starts its refresh (refresh_start). */
static est_result hotspots_memo(http_ctx *ctx, est_pool *pool, store_situation_snap *s, const est_situation_query *q,
                                long long now_ms, sit_rows *r) {
  est_scache *m = ctx->app->hotspot_cache;
  char key[160];
  est_situation_hotspots_key(q, key, sizeof key);
  const char *hv = store_situation_hot_version(s);
  est_scache_body b;
  int64_t stamp;
  bool stale;
  if (est_scache_peek(m, key, hv, now_ms, (int64_t)ctx->app->cfg->hotspot_max_staleness_s * 1000, &b, &stamp, &stale)) {
    r->hotspots = malloc(b.len + 1);
    if (r->hotspots) {
      memcpy(r->hotspots, b.body, b.len);
      r->hotspots[b.len] = '\0';
    }
    free(b.body);
    memcpy(r->hot_etag, b.etag, sizeof r->hot_etag);
    r->hot_as_of_ms = stale ? stamp : now_ms; /* unchanged buckets: as current as the counts */
    r->hot_stale = stale;
    if (!stale) hot_version_note(r, hv);
    int64_t bound_ms = (int64_t)ctx->app->cfg->hotspot_max_staleness_s * 1000;
    if (stale && now_ms - stamp >= bound_ms / 2) refresh_start(pool, m, q, key);
    return r->hotspots ? EST_OK : EST_ENOMEM;
  }
  est_result rc = fetch_hotspots(s, q, &r->hotspots);
  if (rc == EST_OK && m) {
    est_scache_put(m, key, hv, r->hotspots, strlen(r->hotspots), now_ms);
    est_scache_etag(r->hotspots, strlen(r->hotspots), r->hot_etag);
  }
  r->hot_as_of_ms = now_ms;
  r->hot_stale = false;
  if (m) hot_version_note(r, hv);
  return rc;
}

/* The hot spots of r published under pol (*out malloc'd), from the memo
 * when the same hot spots (r->hot_etag) were published under the same
 * policy before; else published and stored there. NULL without a memo. */
static est_result hotspots_published(http_ctx *ctx, const est_situation_query *q, const est_publish_policy *pol,
                                     const sit_rows *r, char **out) {
  *out = NULL;
  est_scache *m = ctx->app->hotspot_cache;
  if (!m || !r->hot_etag[0]) return EST_OK;
  char hkey[160], key[200];
  est_situation_hotspots_key(q, hkey, sizeof hkey);
  snprintf(key, sizeof key, "pub|k=%d|detail=%d|%s", pol->k, pol->detail ? 1 : 0, hkey);
  est_scache_body b;
  int64_t stamp;
  bool stale;
  if (est_scache_peek(m, key, r->hot_etag, wall_ms(), -1, &b, &stamp, &stale)) { /* the same hot spots only */
    *out = malloc(b.len + 1);
    if (*out) {
      memcpy(*out, b.body, b.len);
      (*out)[b.len] = '\0';
    }
    free(b.body);
    return *out ? EST_OK : EST_ENOMEM;
  }
  est_result rc = est_situation_hotspots_publish(pol, r->hotspots, out);
  if (rc == EST_OK) est_scache_put(m, key, r->hot_etag, *out, strlen(*out), wall_ms());
  return rc;
}

/* Every row of the picture from one snapshot; *version names it, *freshness
 * is its freshness object (both malloc'd). */
static est_result fetch(http_ctx *ctx, est_pool *pool, const est_situation_query *q, bool geo, sit_rows *r,
                        char **version, char **freshness) {
  memset(r, 0, sizeof *r);
  store_situation_snap *s;
  long long now = wall_ms(); /* just before the snapshot: the hot spots are at least this current */
  est_result rc = store_situation_open(pool, q, true, &s, version, freshness);
  if (rc != EST_OK) return rc;
  rc = store_situation_counts(s, q, &r->counts);
  if (rc == EST_OK) rc = hotspots_memo(ctx, pool, s, q, now, r);
  if (rc == EST_OK) rc = store_situation_context(s, &r->context);
  if (rc == EST_OK && geo) rc = store_situation_geo_areas(s, q, &r->areas);
  if (rc == EST_OK && geo && q->include_events)
    rc = store_situation_geo_events(s, q, EST_SITUATION_GEOJSON_EVENTS_MAX + 1, &r->events);
  rc = store_situation_close(s, rc);
  if (rc != EST_OK) {
    rows_free(r);
    free(*version);
    free(*freshness);
    *version = *freshness = NULL;
  }
  return rc;
}

/* The JSON picture's "freshness" is about every event (newest anywhere), so
 * it is not part of the cached body: the body keeps this placeholder as
 * the value of its last member, and every response splices in the
 * freshness read with the data version at request time (splice). */
#define FRESHNESS_MARK "\"\\u0001estd-freshness\""

/* Computes the rendered body (malloc'd, *len bytes; for JSON with
 * FRESHNESS_MARK), the data version it was read at and its freshness
 * (malloc'd); *expires_ms: when the body must no longer be served (its hot
 * spots are stale: their computation time + the staleness bound), else 0;
 * hot_version: the version of the hot spots memo the body's hot spots are,
 * when they are of its own snapshot ("" else; the cache's note). */
static est_result compute(http_ctx *ctx, est_pool *pool, const est_situation_query *q, bool geo, char **body,
                          size_t *len, char **version, char **freshness, long long *expires_ms,
                          char hot_version[EST_SCACHE_NOTE_MAX]) {
  *body = *version = *freshness = NULL;
  *expires_ms = 0;
  hot_version[0] = '\0';
  sit_rows r;
  est_result rc = fetch(ctx, pool, q, geo, &r, version, freshness);
  if (rc == EST_ENOTFOUND) {
    http_fail_field(ctx, "area_id", "no such area");
    return http_fail(ctx, EST_EINVAL, "area %lld does not exist", q->area_id);
  }
  if (rc != EST_OK) return rc;
  char as_of[32];
  est_rfc3339_from_ms(r.hot_as_of_ms, as_of);
  est_situation_rows rows = {r.counts, r.hotspots, r.context, r.areas, r.events, as_of, r.hot_stale, NULL};
  if (r.hot_stale) *expires_ms = r.hot_as_of_ms + (long long)ctx->app->cfg->hotspot_max_staleness_s * 1000;
  memcpy(hot_version, r.hot_version, EST_SCACHE_NOTE_MAX);
  est_publish_policy policy = {q->k, q->detail_scope, NULL, NULL};
  char *hot_pub = NULL; /* GeoJSON draws the hot spots' hulls from the document: not spliced */
  if (!geo) rc = hotspots_published(ctx, q, &policy, &r, &hot_pub);
  rows.hotspots_published = hot_pub;
  json_t *doc = NULL;
  if (rc == EST_OK) rc = est_situation_document(q, &policy, &rows, &doc);
  if (rc == EST_OK && geo) rc = est_situation_geojson(q, doc, &rows, &doc);
  if (rc == EST_OK && !geo) json_object_set_new(doc, "freshness", json_string("\001estd-freshness"));
  rows_free(&r);
  if (rc == EST_OK) {
    *body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!*body) rc = EST_ENOMEM;
  }
  if (rc == EST_OK) *len = strlen(*body);
  if (rc == EST_OK && hot_pub) {
    char *whole;
    rc = est_situation_hotspots_splice(*body, *len, hot_pub, &whole, len);
    free(*body);
    *body = rc == EST_OK ? whole : NULL;
  }
  free(hot_pub);
  if (rc != EST_OK) {
    free(*version);
    free(*freshness);
    *version = *freshness = NULL;
  }
  return rc;
}

/* Where tmpl's last FRESHNESS_MARK starts, or NULL (GeoJSON has none). */
static const char *freshness_mark(const char *tmpl, size_t len) {
  static const char mark[] = FRESHNESS_MARK;
  const size_t ml = sizeof mark - 1;
  for (size_t i = len >= ml ? len - ml + 1 : 0; i-- > 0;)
    if (tmpl[i] == '"' && memcmp(tmpl + i, mark, ml) == 0) return tmpl + i;
  return NULL;
}

/* ---- response cache (estd/situation_cache.h) ------------------------------ */

/* Replies with tmpl (a cached or computed body, tagged tmpl_etag) with
 * freshness spliced in. The ETag is that of tmpl and the freshness
 * (est_scache_etag_with): a cached body is hashed once, when computed, not
 * per response; a revalidation that matches sends no body at all. */
static est_result reply_body(http_ctx *ctx, bool geo, const char *tmpl, size_t tlen, const char *tmpl_etag,
                             const char *freshness) {
  const char *at = freshness_mark(tmpl, tlen);
  char etag[24];
  if (at) est_scache_etag_with(tmpl_etag, freshness, strlen(freshness), etag);
  else snprintf(etag, sizeof etag, "%s", tmpl_etag);
  /* Always revalidate: the picture changes with every new event. */
  http_set_header(ctx, "Cache-Control", "private, max-age=0");
  http_set_header(ctx, "ETag", etag);
  if (est_scache_etag_match(http_header(ctx, "If-None-Match"), etag)) {
    http_reply_empty(ctx, 304);
    return EST_OK;
  }
  char *body;
  size_t len;
  est_result rc = est_situation_splice(tmpl, tlen, at, sizeof FRESHNESS_MARK - 1, freshness, &body, &len);
  if (rc != EST_OK) return rc;
  http_reply_raw(ctx, 200, geo ? "application/geo+json" : "application/json", body, len);
  free(body);
  return EST_OK;
}

/* Version reads shared by the cache (est_scache_version) carry the version
 * and the freshness in one text: "<version>\n<freshness JSON>". */
typedef struct version_arg {
  est_pool *pool;
  const est_situation_query *q;
} version_arg;

static int read_version(void *arg, char **out) {
  version_arg *a = arg;
  char *v, *f;
  *out = NULL;
  est_result rc = store_situation_version(a->pool, a->q, &v, &f);
  if (rc != EST_OK) return (int)rc;
  size_t n = strlen(v) + strlen(f) + 2;
  *out = malloc(n);
  if (*out) snprintf(*out, n, "%s\n%s", v, f);
  free(v);
  free(f);
  return *out ? 0 : (int)EST_ENOMEM;
}

/* Serves the picture from the cache when it is still valid for the current
 * data version, else computes it (one computation per key at a time). */
static est_result serve(http_ctx *ctx, const est_situation_query *q, bool geo) {
  if (geo && q->include_events && q->rows == EST_ROWS_NONE)
    return http_fail(ctx, EST_EFORBIDDEN,
                     "include=events lists individual events: it needs the read-detail scope, or a key bound to "
                     "a party (which sees its own party's events)");
  char key[256], vkey[194];
  est_situation_cache_key(q, geo, key, sizeof key);
  est_situation_bucket b[EST_SITUATION_BUCKETS_MAX];
  size_t nb = est_situation_buckets(q, b);
  /* The replica or the primary (read-your-writes): a version read is shared
   * only by requests routed to the same server. */
  est_pool *pool = http_read_pool(ctx);
  vkey[0] = pool == ctx->app->pool ? 'p' : 'r';
  vkey[1] = ':';
  est_situation_buckets_key(b, nb, vkey + 2, sizeof vkey - 2);
  est_scache *c = ctx->app->situation_cache;
  uint64_t flight = 0;
  if (c) {
    long long arrived_ms = wall_ms();
    uint64_t ticket = est_scache_ticket(c); /* before the version is read */
    char *ver;
    version_arg va = {pool, q};
    est_result rc = (est_result)est_scache_version(c, vkey, ticket, read_version, &va, &ver);
    if (rc != EST_OK) return rc;
    char *fresh = strchr(ver, '\n');
    *fresh++ = '\0'; /* read_version always writes the separator */
    est_scache_body hit;
    est_scache_outcome o = est_scache_begin(c, key, ver, ticket, wall_ms(), &hit, &flight);
    if (o == EST_SCACHE_HIT) {
      /* The hit proves the picture's buckets unchanged since before this
       * request arrived, and so the memo its hot spots were (the note):
       * after a quiet period, the first write's picture may then serve that
       * memo within the staleness bound and refresh it in the background,
       * instead of clustering while every waiting request waits. */
      if (hit.note[0]) {
        char hkey[160];
        est_situation_hotspots_key(q, hkey, sizeof hkey);
        est_scache_confirm(ctx->app->hotspot_cache, hkey, hit.note, arrived_ms);
      }
      rc = reply_body(ctx, geo, hit.body, hit.len, hit.etag, fresh);
      free(hit.body);
      free(ver);
      return rc;
    }
    free(ver);
  }
  char *body, *version, *freshness;
  size_t len = 0;
  long long expires;
  char hot_version[EST_SCACHE_NOTE_MAX];
  est_result rc = compute(ctx, pool, q, geo, &body, &len, &version, &freshness, &expires, hot_version);
  if (rc != EST_OK) {
    est_scache_abandon(c, key, flight);
    return rc;
  }
  char etag[24];
  est_scache_etag(body, len, etag);
  est_scache_fill(c, key, flight, version, body, len, etag, expires, hot_version);
  rc = reply_body(ctx, geo, body, len, etag, freshness);
  free(body);
  free(version);
  free(freshness);
  return rc;
}

static est_result situation_get(http_ctx *ctx) {
  est_situation_query q;
  est_result rc = parse_params(ctx, &q);
  if (rc != EST_OK) return rc;
  if (http_accepts(ctx, "application/geo+json")) return serve(ctx, &q, true);
  if (q.include_events) {
    http_fail_field(ctx, "include", "only for GeoJSON (/v1/situation/geojson)");
    return http_fail(ctx, EST_EPARSE, "include=events is only available as GeoJSON");
  }
  return serve(ctx, &q, false);
}

static est_result situation_geojson(http_ctx *ctx) {
  est_situation_query q;
  est_result rc = parse_params(ctx, &q);
  if (rc != EST_OK) return rc;
  return serve(ctx, &q, true);
}

est_result http_situation_render(http_ctx *ctx, long long area_id, const char *week, const est_caller *as, int k,
                                 char **body, size_t *len, est_caller *used, int *k_used) {
  const char *field, *why;
  est_period period;
  if (est_period_from_params(week, NULL, NULL, est_stockholm_date(time(NULL)), &period, &field, &why) != EST_OK) {
    http_fail_field(ctx, "/week", why);
    return http_fail(ctx, EST_EINVAL, "invalid week: %s", why);
  }
  return http_situation_render_period(ctx, area_id, &period, as, k, body, len, used, k_used);
}

est_result http_situation_render_period(http_ctx *ctx, long long area_id, const est_period *period,
                                        const est_caller *as, int k, char **body, size_t *len, est_caller *used,
                                        int *k_used) {
  est_situation_query q;
  memset(&q, 0, sizeof q);
  q.area_id = area_id;
  est_situation_query_period(&q, period, NULL); /* the defaults of GET /v1/situation */
  q.eps_m = 150.0;
  q.min_points = 5;
  est_caller who = as ? *as : http_caller(ctx);
  q.detail_scope = who.detail;
  q.detail = est_disclosure_exact_geometry(&who);
  q.rows = est_disclosure_rows(&who, &q.rows_party);
  q.from_raw = ctx->app->cfg->situation_from_raw;
  q.k = k >= 0 ? k : est_disclosure_base(&who, ctx->app->cfg->privacy_min_count, 0);
  *used = who;
  *k_used = q.k;
  char *version = NULL, *freshness = NULL, *tmpl = NULL;
  *body = NULL;
  size_t tlen = 0;
  long long expires;
  char hot_version[EST_SCACHE_NOTE_MAX];
  est_result rc = compute(ctx, ctx->app->pool, &q, false, &tmpl, &tlen, &version, &freshness, &expires, hot_version);
  if (rc == EST_OK)
    rc = est_situation_splice(tmpl, tlen, freshness_mark(tmpl, tlen), sizeof FRESHNESS_MARK - 1, freshness, body, len);
  free(tmpl);
  free(version);
  free(freshness);
  if (rc == EST_EINVAL) { /* unknown area: name the meeting's field */
    if (ctx->problem_errors) json_array_clear(ctx->problem_errors);
    http_fail_field(ctx, "/area_id", "no area with this id");
  }
  return rc;
}

static est_result progress_get(http_ctx *ctx) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc != EST_OK) return rc;
  json_t *rows;
  rc = store_progress_rows(ctx->app->pool, &id, 1, &rows);
  if (rc != EST_OK) return rc;
  char key[24];
  snprintf(key, sizeof key, "%lld", id);
  json_t *p = json_incref(json_object_get(rows, key));
  json_decref(rows);
  if (!p) return http_fail(ctx, EST_ENOTFOUND, "commitment %lld does not exist", id);
  est_caller who = http_caller(ctx);
  est_publish_policy pol = {est_disclosure_base(&who, ctx->app->cfg->privacy_min_count, 0), who.detail, NULL, NULL};
  est_progress_evaluate(p, est_stockholm_date(time(NULL)), &pol, &who);
  http_reply_json_steal(ctx, 200, p);
  return EST_OK;
}

/* ---- agreement report (JSON or CSV) --------------------------------------- */

/* The report with every commitment's progress, evaluated today (also the
 * public page's source, routes_public.c). */
est_result http_agreement_report(http_ctx *ctx, long long id, const est_caller *caller, json_t **out) {
  json_t *doc, *rows = NULL;
  est_result rc = store_agreement_report(ctx->app->pool, id, &doc);
  if (rc != EST_OK) return rc;
  long long *ids;
  size_t n;
  rc = est_report_commitment_ids(doc, &ids, &n);
  if (rc == EST_OK) {
    rc = store_progress_rows(ctx->app->pool, ids, n, &rows);
    free(ids);
  }
  est_caller who = caller ? *caller : http_caller(ctx);
  est_publish_policy pol = {est_disclosure_base(&who, ctx->app->cfg->privacy_min_count, 0), who.detail, NULL, NULL};
  if (rc == EST_OK) est_report_finish(doc, rows, est_stockholm_date(time(NULL)), &pol, &who);
  json_decref(rows);
  if (rc != EST_OK) json_decref(doc);
  else *out = doc;
  return rc;
}

/* GET .../report (JSON or CSV) and .../report.csv (csv_route): http_report_format. */
static est_result report_serve(http_ctx *ctx, bool csv_route) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc != EST_OK) return rc;
  bool csv;
  if ((rc = http_report_format(ctx, csv_route, &csv)) != EST_OK) return rc;
  json_t *doc;
  rc = http_agreement_report(ctx, id, NULL, &doc);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "agreement %lld does not exist", id);
  if (rc != EST_OK) return rc;
  return http_reply_report(ctx, doc, csv, est_report_csv, "report", id);
}

static est_result report_get(http_ctx *ctx) { return report_serve(ctx, false); }
static est_result report_csv(http_ctx *ctx) { return report_serve(ctx, true); }

const http_route http_routes_situation[] = {
    {"GET", "/v1/situation", situation_get, HTTP_SCOPE_READ, 0,
     "area_id week from to bucket eps_m min_points min_count include"},
    {"GET", "/v1/situation/geojson", situation_geojson, HTTP_SCOPE_READ, 0,
     "area_id week from to bucket eps_m min_points min_count include"},
    {"GET", "/v1/commitments/{id}/progress", progress_get, HTTP_SCOPE_READ, 0, NULL},
    {"GET", "/v1/agreements/{id}/report", report_get, HTTP_SCOPE_READ, 0, "format"},
    {"GET", "/v1/agreements/{id}/report.csv", report_csv, HTTP_SCOPE_READ, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
