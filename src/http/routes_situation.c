/* routes_situation.c - the situational picture (lägesbild), its GeoJSON,
 * commitment progress and the agreement follow-up report.
 *
 *   GET /v1/situation                 JSON (or GeoJSON with Accept: application/geo+json)
 *   GET /v1/situation/geojson         RFC 7946 FeatureCollection
 *   GET /v1/commitments/{id}/progress
 *   GET /v1/agreements/{id}/report    JSON, or CSV (Accept: text/csv or format=csv)
 *
 * Privacy: callers without the read:detail scope get small counts
 * suppressed (null + "suppressed": true) with threshold
 * ESTD_PRIVACY_MIN_COUNT; min_count may raise it (and applies suppression
 * for any caller); individual events in GeoJSON need read:detail (403).
 *
 * Caching: the rendered picture is kept in an in-process LRU
 * (estd/situation_cache.h, ESTD_SITUATION_CACHE_ENTRIES) keyed by the
 * normalised query including media type, detail scope and effective
 * min_count. Every request reads the data version first
 * (store_situation_version, sub-millisecond) and is served from the cache
 * only when the entry was computed at the same version, so a new event or a
 * changed area is visible to the next request, also across instances.
 * Identical concurrent requests wait for one computation. Responses carry
 * Cache-Control: private, max-age=0 and a strong ETag (hash of the body);
 * If-None-Match gives 304. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estd/http.h"
#include "estd/situation.h"
#include "estd/situation_cache.h"
#include "estd/store_progress.h"
#include "estd/store_situation.h"

#define GEOJSON_EVENTS_MAX 5000

typedef struct sit_params {
  store_situation_query q;
  est_period period, prev, year_ago;
  int k;          /* suppression threshold; 0 = no suppression */
  bool detail;    /* caller has read:detail */
  bool include_events;
} sit_params;

static bool accepts(http_ctx *ctx, const char *type) {
  const char *a = http_header(ctx, "Accept");
  return a && strstr(a, type) != NULL;
}

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

static est_result parse_params(http_ctx *ctx, sit_params *sp) {
  memset(sp, 0, sizeof *sp);
  bool present = false;
  est_result rc = http_param_id(ctx, "area_id", &sp->q.area_id, &present);
  if (rc != EST_OK) return rc;
  const char *field, *detail;
  est_date today = est_stockholm_date(time(NULL));
  if (est_period_from_params(http_param(ctx, "week"), http_param(ctx, "from"), http_param(ctx, "to"), today,
                             &sp->period, &field, &detail) != EST_OK) {
    http_fail_field(ctx, field, detail);
    return http_fail(ctx, EST_EPARSE, "invalid period: %s", detail);
  }
  est_period_previous(&sp->period, &sp->prev);
  est_period_year_ago(&sp->period, &sp->year_ago);
  est_date_format(sp->period.from, sp->q.from, sizeof sp->q.from);
  est_date_format(sp->period.to, sp->q.to, sizeof sp->q.to);
  est_date_format(sp->prev.from, sp->q.prev_from, sizeof sp->q.prev_from);
  est_date_format(sp->prev.to, sp->q.prev_to, sizeof sp->q.prev_to);
  est_date_format(sp->year_ago.from, sp->q.ya_from, sizeof sp->q.ya_from);
  est_date_format(sp->year_ago.to, sp->q.ya_to, sizeof sp->q.ya_to);

  static const char *const buckets[] = {"day", "week", NULL};
  if ((rc = http_param_enum(ctx, "bucket", buckets, &sp->q.bucket)) != EST_OK) return rc;
  if (!sp->q.bucket) sp->q.bucket = est_period_days(&sp->period) > EST_PERIOD_DAY_BUCKET_MAX_DAYS ? "week" : "day";

  long eps, minpts, mc;
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
  sp->q.eps_m = (double)eps;
  sp->q.min_points = (int)minpts;
  sp->detail = (ctx->who.scopes & HTTP_SCOPE_READ_DETAIL) != 0;
  sp->q.detail = sp->detail;
  sp->k = mcs ? (int)mc : (sp->detail ? 0 : cfg_min);

  static const char *const includes[] = {"events", NULL};
  const char *inc = NULL;
  if ((rc = http_param_enum(ctx, "include", includes, &inc)) != EST_OK) return rc;
  sp->include_events = inc != NULL;
  (void)present;
  return EST_OK;
}

static json_t *load(const char *text) { return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL; }

/* Suppression and CompStat change for one table with three periods. */
static void table_finish(json_t *cells, json_t *total, int k, bool *tsup) {
  static const char *const keys[3] = {"count", "previous", "year_ago"};
  static const char *const flags[3] = {"suppressed", "previous_suppressed", "year_ago_suppressed"};
  for (int i = 0; i < 3; i++) {
    long long t = json_integer_value(json_object_get(total, keys[i]));
    if (est_suppress_json(cells, t, keys[i], flags[i], k)) tsup[i] = true;
  }
  size_t j;
  json_t *c;
  json_array_foreach(cells, j, c) {
    est_change_json(c, "change_previous", "count", "previous");
    est_change_json(c, "change_year_ago", "count", "year_ago");
  }
}

static void hotspots_finish(json_t *hs, int k) {
  if (!json_is_array(hs)) return;
  for (size_t i = 0; i < json_array_size(hs);) {
    json_t *h = json_array_get(hs, i);
    long long n = json_integer_value(json_object_get(h, "incident_count"));
    if (k > 1 && n < k) {
      json_array_remove(hs, i); /* a hot spot this small would disclose too much */
      continue;
    }
    json_t *cats = json_object_get(h, "by_category");
    if (!json_is_array(cats)) json_object_set_new(h, "by_category", cats = json_array());
    est_suppress_json(cats, n, "count", "suppressed", k);
    json_object_set_new(h, "rank", json_integer((json_int_t)i + 1));
    i++;
  }
}

/* Sources: which parties reported in the period. A party's count of all its
 * events (incidents + patrols + activities) minus the published presence
 * would give its incident count, undoing by_party suppression, so without
 * the detail scope a source shows only whether it reported and the local
 * date of its newest event; with it, the count and exact time. */
static json_t *sources_finish(json_t *src, bool detail) {
  size_t i;
  json_t *s;
  json_array_foreach(src, i, s) {
    if (!detail) {
      json_object_del(s, "events");
      json_object_del(s, "latest_occurred_at");
    }
  }
  return src;
}

/* Builds the situational picture document from the store's parts. */
static est_result situation_doc(sit_params *sp, const store_situation_result *res, json_t **out) {
  json_t *counts = load(res->counts), *hot = load(res->hotspots), *cx = load(res->context);
  if (!counts || !hot || !cx) {
    json_decref(counts);
    json_decref(hot);
    json_decref(cx);
    return EST_EINTERNAL;
  }
  int k = sp->k;
  json_t *total = json_object_get(counts, "total");
  bool tsup[3] = {false, false, false};
  table_finish(json_object_get(counts, "by_category"), total, k, tsup);
  table_finish(json_object_get(counts, "by_party"), total, k, tsup);
  long long cur_total = json_integer_value(json_object_get(total, "count"));
  if (est_suppress_json(json_object_get(counts, "series"), cur_total, "count", "suppressed", k)) tsup[0] = true;
  if (est_suppress_json(json_object_get(counts, "by_weekday"), cur_total, "count", "suppressed", k)) tsup[0] = true;
  if (est_suppress_json(json_object_get(counts, "by_hour"), cur_total, "count", "suppressed", k)) tsup[0] = true;
  if (est_suppress_json(json_object_get(counts, "by_weekday_hour"), cur_total, "count", "suppressed", k))
    tsup[0] = true;
  /* Areas overlap (a union area holds its parts), so by_area has no common
   * total: each cell is suppressed on its own (total = sum of the cells). */
  est_suppress_json(json_object_get(counts, "by_area"), -1, "count", "suppressed", k);
  static const char *const keys[3] = {"count", "previous", "year_ago"};
  static const char *const flags[3] = {"suppressed", "previous_suppressed", "year_ago_suppressed"};
  for (int i = 0; i < 3; i++) {
    if (tsup[i]) json_object_set_new(total, keys[i], json_null());
    json_object_set_new(total, flags[i], json_boolean(tsup[i]));
  }
  est_change_json(total, "change_previous", "count", "previous");
  est_change_json(total, "change_year_ago", "count", "year_ago");
  hotspots_finish(hot, k);

  json_t *doc = json_object();
  json_object_set(doc, "area", json_object_get(cx, "area"));
  json_t *per = est_period_json(&sp->period);
  json_object_set_new(per, "to_exclusive", json_true());
  json_object_set_new(per, "time_zone", json_string("Europe/Stockholm"));
  json_object_set_new(per, "days", json_integer(est_period_days(&sp->period)));
  json_object_set_new(doc, "period", per);
  json_object_set_new(doc, "previous_period", est_period_json(&sp->prev));
  json_object_set_new(doc, "year_ago_period", est_period_json(&sp->year_ago));
  json_object_set_new(doc, "privacy", json_pack("{s:i, s:b, s:b}", "min_count", k, "suppression_applied", k > 1,
                                                "detail_scope", sp->detail));
  json_t *inc = json_object();
  json_object_set(inc, "total", total);
  json_object_set(inc, "by_category", json_object_get(counts, "by_category"));
  json_object_set(inc, "by_party", json_object_get(counts, "by_party"));
  json_object_set_new(doc, "incidents", inc);
  json_object_set_new(doc, "series",
                      json_pack("{s:s, s:O}", "bucket", sp->q.bucket, "items", json_object_get(counts, "series")));
  json_object_set(doc, "by_weekday", json_object_get(counts, "by_weekday"));
  json_object_set(doc, "by_hour", json_object_get(counts, "by_hour"));
  json_object_set(doc, "by_weekday_hour", json_object_get(counts, "by_weekday_hour"));
  json_object_set(doc, "by_area", json_object_get(counts, "by_area"));
  json_object_set(doc, "sources", sources_finish(json_object_get(counts, "sources"), sp->detail));
  json_object_set_new(doc, "hot_spots_parameters",
                      json_pack("{s:f, s:i, s:s}", "eps_m", sp->q.eps_m, "min_points", sp->q.min_points, "srid",
                                "EPSG:3006"));
  json_object_set(doc, "hot_spots", hot);
  json_object_set(doc, "presence", json_object_get(cx, "presence"));
  json_object_set(doc, "focuses", json_object_get(cx, "focuses"));
  json_object_set(doc, "commitments", json_object_get(cx, "commitments"));
  json_object_set(doc, "freshness", json_object_get(cx, "freshness"));
  json_decref(counts);
  json_decref(hot);
  json_decref(cx);
  *out = doc;
  return EST_OK;
}

/* Builds the GeoJSON FeatureCollection from the document and the store's
 * GeoJSON parts; takes doc. */
static est_result geojson_doc(sit_params *sp, json_t *doc, const store_situation_result *res, json_t **out) {
  json_t *features = load(res->areas);
  json_t *events = load(res->events);
  if (!json_is_array(features)) {
    json_decref(doc);
    json_decref(features);
    json_decref(events);
    return EST_EINTERNAL;
  }
  size_t i;
  json_t *h;
  json_array_foreach(json_object_get(doc, "hot_spots"), i, h) {
    json_t *props = json_deep_copy(h);
    json_object_del(props, "hull");
    json_object_set_new(props, "feature_type", json_string("hot_spot"));
    char id[32];
    snprintf(id, sizeof id, "hot-spot-%zu", i + 1);
    json_array_append_new(features, json_pack("{s:s, s:s, s:O, s:o}", "type", "Feature", "id", id, "geometry",
                                              json_object_get(h, "hull"), "properties", props));
  }
  bool truncated = false;
  if (events) {
    if (json_array_size(events) > GEOJSON_EVENTS_MAX) {
      truncated = true;
      json_array_remove(events, GEOJSON_EVENTS_MAX);
    }
    json_array_extend(features, events);
    json_decref(events);
  }
  json_t *fc = json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features);
  /* Foreign members (RFC 7946 §6.1): what the collection shows. */
  json_object_set(fc, "period", json_object_get(doc, "period"));
  json_object_set(fc, "privacy", json_object_get(doc, "privacy"));
  json_object_set(fc, "hot_spots_parameters", json_object_get(doc, "hot_spots_parameters"));
  json_object_set_new(fc, "events_included", json_boolean(sp->include_events));
  json_object_set_new(fc, "events_truncated", json_boolean(truncated));
  json_decref(doc);
  *out = fc;
  return fc ? EST_OK : EST_ENOMEM;
}

/* Computes the rendered body (malloc'd, *len bytes) and the data version it
 * was read at (malloc'd). */
static est_result compute(http_ctx *ctx, sit_params *sp, bool geo, char **body, size_t *len, char **version) {
  *body = *version = NULL;
  sp->q.geo = geo;
  sp->q.events_limit = geo && sp->include_events ? GEOJSON_EVENTS_MAX : 0;
  store_situation_result res;
  est_result rc = store_situation_get(ctx->app->pool, &sp->q, &res);
  if (rc == EST_ENOTFOUND) {
    http_fail_field(ctx, "area_id", "no such area");
    return http_fail(ctx, EST_EINVAL, "area %lld does not exist", sp->q.area_id);
  }
  if (rc != EST_OK) return rc;
  json_t *doc;
  rc = situation_doc(sp, &res, &doc);
  if (rc == EST_OK && geo) rc = geojson_doc(sp, doc, &res, &doc);
  if (rc == EST_OK) {
    *body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!*body) rc = EST_ENOMEM;
  }
  if (rc == EST_OK) {
    *len = strlen(*body);
    *version = res.version;
    res.version = NULL;
  }
  store_situation_result_free(&res);
  return rc;
}

/* ---- response cache (estd/situation_cache.h) ------------------------------ */
#define CACHE_MAX_BYTES (16u << 20)
static pthread_once_t g_cache_once = PTHREAD_ONCE_INIT;
static est_scache *g_cache;
static int g_cache_entries;

static void cache_init(void) { g_cache = est_scache_create((size_t)g_cache_entries, CACHE_MAX_BYTES); }

static est_scache *cache(http_ctx *ctx) {
  g_cache_entries = ctx->app->cfg->situation_cache_entries; /* read by the one cache_init call */
  pthread_once(&g_cache_once, cache_init);
  return g_cache;
}

/* The normalised query: everything that changes the body. */
static void cache_key(const sit_params *sp, bool geo, char *out, size_t n) {
  snprintf(out, n, "%s|area=%lld|%s..%s|week=%d-%d|bucket=%s|eps=%.3f|minpts=%d|detail=%d|k=%d|events=%d",
           geo ? "geojson" : "json", sp->q.area_id, sp->q.from, sp->q.to, sp->period.iso_year, sp->period.iso_week,
           sp->q.bucket, sp->q.eps_m, sp->q.min_points, sp->detail ? 1 : 0, sp->k, sp->include_events ? 1 : 0);
}

static void reply_body(http_ctx *ctx, bool geo, const char *body, size_t len, const char *etag) {
  /* Always revalidate: the picture changes with every new event. */
  http_set_header(ctx, "Cache-Control", "private, max-age=0");
  http_set_header(ctx, "ETag", etag);
  if (est_scache_etag_match(http_header(ctx, "If-None-Match"), etag)) {
    http_reply_empty(ctx, 304);
    return;
  }
  http_reply_raw(ctx, 200, geo ? "application/geo+json" : "application/json", body, len);
}

static int read_version(void *pool, char **version) { return (int)store_situation_version(pool, version); }

/* Serves the picture from the cache when it is still valid for the current
 * data version, else computes it (one computation per key at a time). */
static est_result serve(http_ctx *ctx, sit_params *sp, bool geo) {
  if (geo && sp->include_events && !sp->detail)
    return http_fail(ctx, EST_EFORBIDDEN,
                     "include=events lists individual events and needs the read:detail scope");
  char key[256];
  cache_key(sp, geo, key, sizeof key);
  est_scache *c = cache(ctx);
  uint64_t flight = 0;
  if (c) {
    uint64_t ticket = est_scache_ticket(c); /* before the version is read */
    char *ver;
    est_result rc = (est_result)est_scache_version(c, ticket, read_version, ctx->app->pool, &ver);
    if (rc != EST_OK) return rc;
    est_scache_body hit;
    est_scache_outcome o = est_scache_begin(c, key, ver, ticket, &hit, &flight);
    free(ver);
    if (o == EST_SCACHE_HIT) {
      reply_body(ctx, geo, hit.body, hit.len, hit.etag);
      free(hit.body);
      return EST_OK;
    }
  }
  char *body, *version;
  size_t len = 0;
  est_result rc = compute(ctx, sp, geo, &body, &len, &version);
  if (rc != EST_OK) {
    est_scache_abandon(c, key, flight);
    return rc;
  }
  char etag[24];
  est_scache_etag(body, len, etag);
  est_scache_fill(c, key, flight, version, body, len, etag);
  reply_body(ctx, geo, body, len, etag);
  free(body);
  free(version);
  return EST_OK;
}

static est_result situation_get(http_ctx *ctx) {
  sit_params sp;
  est_result rc = parse_params(ctx, &sp);
  if (rc != EST_OK) return rc;
  if (accepts(ctx, "application/geo+json")) return serve(ctx, &sp, true);
  if (sp.include_events) {
    http_fail_field(ctx, "include", "only for GeoJSON (/v1/situation/geojson)");
    return http_fail(ctx, EST_EPARSE, "include=events is only available as GeoJSON");
  }
  return serve(ctx, &sp, false);
}

static est_result situation_geojson(http_ctx *ctx) {
  sit_params sp;
  est_result rc = parse_params(ctx, &sp);
  if (rc != EST_OK) return rc;
  return serve(ctx, &sp, true);
}

static est_result progress_get(http_ctx *ctx) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc != EST_OK) return rc;
  json_t *p;
  rc = store_progress_get(ctx->app->pool, id, &p);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "commitment %lld does not exist", id);
  if (rc != EST_OK) return rc;
  http_reply_json_steal(ctx, 200, p);
  return EST_OK;
}

/* ---- agreement report as CSV ------------------------------------------- */

/* Text of a scalar JSON value for CSV (NULL for null/absent). buf >= 64. */
static const char *scalar(json_t *v, char *buf, size_t n) {
  if (!v || json_is_null(v)) return NULL;
  if (json_is_string(v)) return json_string_value(v);
  if (json_is_integer(v)) {
    snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    return buf;
  }
  if (json_is_real(v)) {
    snprintf(buf, n, "%.15g", json_real_value(v));
    return buf;
  }
  if (json_is_boolean(v)) return json_is_true(v) ? "true" : "false";
  return NULL;
}

static const char *const csv_columns[] = {
    "agreement_code", "commitment_id", "code", "cooperation_area", "text", "status", "follow_up_note",
    "responsible_parties", "target_value", "target_unit", "target_comparison", "target_per", "target_from",
    "target_to", "measure", "period_from", "period_to", "current_bucket_from", "current_bucket_to", "value",
    "total", "percentage", "on_track", "last_event_at", NULL};

static est_result report_csv(json_t *doc, est_buf *b) {
  est_result rc = EST_OK;
  for (int i = 0; rc == EST_OK && csv_columns[i]; i++) rc = est_csv_field(b, csv_columns[i], i == 0);
  if (rc == EST_OK) rc = est_csv_end_row(b);
  const char *acode = json_string_value(json_object_get(json_object_get(doc, "agreement"), "code"));
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(doc, "commitments"), i, c) {
    if (rc != EST_OK) break;
    json_t *t = json_object_get(c, "target"), *p = json_object_get(c, "progress");
    json_t *ind = json_object_get(p, "indicator");
    char parties[1024] = "";
    size_t j;
    json_t *pp;
    json_array_foreach(json_object_get(c, "responsible_parties"), j, pp) {
      if (j) strncat(parties, "; ", sizeof parties - strlen(parties) - 1);
      strncat(parties, json_string_value(json_object_get(pp, "name")) ? json_string_value(json_object_get(pp, "name")) : "",
              sizeof parties - strlen(parties) - 1);
    }
    char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64]; /* numbers; strings point into doc */
    const char *vals[] = {
        acode,
        scalar(json_object_get(c, "id"), b1, sizeof b1),
        scalar(json_object_get(c, "code"), b2, sizeof b2),
        scalar(json_object_get(json_object_get(c, "cooperation_area"), "code"), b2, sizeof b2),
        scalar(json_object_get(c, "text"), b2, sizeof b2),
        scalar(json_object_get(c, "status"), b2, sizeof b2),
        scalar(json_object_get(c, "follow_up_note"), b2, sizeof b2),
        parties,
        scalar(json_object_get(t, "value"), b3, sizeof b3),
        scalar(json_object_get(t, "unit"), b2, sizeof b2),
        scalar(json_object_get(t, "comparison"), b2, sizeof b2),
        scalar(json_object_get(t, "per"), b2, sizeof b2),
        scalar(json_object_get(t, "from"), b2, sizeof b2),
        scalar(json_object_get(t, "to"), b2, sizeof b2),
        scalar(json_object_get(ind, "measure"), b2, sizeof b2),
        scalar(json_object_get(json_object_get(p, "period"), "from"), b2, sizeof b2),
        scalar(json_object_get(json_object_get(p, "period"), "to"), b2, sizeof b2),
        scalar(json_object_get(json_object_get(p, "current_bucket"), "from"), b2, sizeof b2),
        scalar(json_object_get(json_object_get(p, "current_bucket"), "to"), b2, sizeof b2),
        scalar(json_object_get(p, "value"), b4, sizeof b4),
        scalar(json_object_get(p, "total"), b5, sizeof b5),
        scalar(json_object_get(p, "percentage"), b6, sizeof b6),
        scalar(json_object_get(p, "on_track"), b2, sizeof b2),
        scalar(json_object_get(json_object_get(p, "last_event"), "occurred_at"), b2, sizeof b2),
    };
    for (int k = 0; rc == EST_OK && csv_columns[k]; k++) rc = est_csv_field(b, vals[k], k == 0);
    if (rc == EST_OK) rc = est_csv_end_row(b);
  }
  return rc;
}

static est_result report_get(http_ctx *ctx) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc != EST_OK) return rc;
  static const char *const formats[] = {"json", "csv", NULL};
  const char *format = NULL;
  if ((rc = http_param_enum(ctx, "format", formats, &format)) != EST_OK) return rc;
  bool csv = format ? strcmp(format, "csv") == 0 : accepts(ctx, "text/csv");
  json_t *doc;
  rc = store_agreement_report(ctx->app->pool, id, &doc);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "agreement %lld does not exist", id);
  if (rc != EST_OK) return rc;
  if (!csv) {
    http_reply_json_steal(ctx, 200, doc);
    return EST_OK;
  }
  est_buf b = EST_BUF_INIT;
  rc = report_csv(doc, &b);
  json_decref(doc);
  if (rc != EST_OK) {
    est_buf_free(&b);
    return rc;
  }
  char disp[96];
  snprintf(disp, sizeof disp, "attachment; filename=\"agreement-%lld-report.csv\"", id);
  http_set_header(ctx, "Content-Disposition", disp);
  http_reply_raw(ctx, 200, "text/csv; charset=utf-8; header=present", b.data, b.len);
  est_buf_free(&b);
  return EST_OK;
}

const http_route http_routes_situation[] = {
    {"GET", "/v1/situation", situation_get, HTTP_SCOPE_READ, 0},
    {"GET", "/v1/situation/geojson", situation_geojson, HTTP_SCOPE_READ, 0},
    {"GET", "/v1/commitments/{id}/progress", progress_get, HTTP_SCOPE_READ, 0},
    {"GET", "/v1/agreements/{id}/report", report_get, HTTP_SCOPE_READ, 0},
    {NULL, NULL, NULL, 0, 0},
};
