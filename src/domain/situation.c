/* situation.c - the situational picture document (see situation.h). */
#include "estd/situation.h"

#include "estd/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void est_situation_query_period(est_situation_query *q, const est_period *period, const char *bucket) {
  q->period = *period;
  est_period_previous(&q->period, &q->previous);
  est_period_year_ago(&q->period, &q->year_ago);
  est_date_format(q->period.from, q->from, sizeof q->from);
  est_date_format(q->period.to, q->to, sizeof q->to);
  est_date_format(q->previous.from, q->prev_from, sizeof q->prev_from);
  est_date_format(q->previous.to, q->prev_to, sizeof q->prev_to);
  est_date_format(q->year_ago.from, q->ya_from, sizeof q->ya_from);
  est_date_format(q->year_ago.to, q->ya_to, sizeof q->ya_to);
  q->bucket = bucket ? bucket : est_period_days(&q->period) > EST_PERIOD_DAY_BUCKET_MAX_DAYS ? "week" : "day";
}

int est_situation_hotspots(const est_situation_query *q, const est_hs_point *pts, size_t n, int ncat,
                           est_hs_cluster **out) {
  return est_hotspot_points(pts, n, q->eps_m, q->min_points, EST_SITUATION_HOTSPOTS_MAX, ncat, out);
}

/* ---- publishing counts ----------------------------------------------------- */

/* The count members of the three periods and their suppression flags. */
static const char *const period_keys[3] = {"count", "previous", "year_ago"};
static const char *const period_flags[3] = {"suppressed", "previous_suppressed", "year_ago_suppressed"};

/* One table with the three periods: each published through the policy
 * with the raw totals tot[]; tsup[i] is set when the table says total i
 * must be suppressed. Then the CompStat changes of each cell. */
static void publish_periods(const est_publish_policy *pol, const char *table, json_t *cells, const char *id_key,
                            const long long tot[3], bool tsup[3]) {
  for (int i = 0; i < 3; i++)
    if (est_publish_json(pol, table, cells, id_key, tot[i], period_keys[i], period_flags[i])) tsup[i] = true;
  size_t j;
  json_t *c;
  json_array_foreach(cells, j, c) {
    est_change_json(c, "change_previous", "count", "previous");
    est_change_json(c, "change_year_ago", "count", "year_ago");
  }
}

/* The total: a table of one cell per period, also suppressed when a table
 * said so (tsup), then its changes. table names it for the policy. */
static void publish_total(const est_publish_policy *pol, const char *table, json_t *total, const long long tot[3],
                          const bool tsup[3]) {
  for (int i = 0; i < 3; i++) {
    char ck[32];
    snprintf(ck, sizeof ck, EST_CK_PREFIX "%s", period_keys[i]);
    json_t *cell = json_pack("{s:s, s:I, s:O?}", "key", "total", period_keys[i], (json_int_t)tot[i], ck,
                             json_object_get(total, ck));
    json_object_del(total, ck);
    json_t *cells = json_pack("[o]", cell);
    bool sup = true;
    if (cells) {
      est_publish_json(pol, table, cells, "key", tot[i], period_keys[i], period_flags[i]);
      sup = tsup[i] || json_is_true(json_object_get(cell, period_flags[i]));
      if (!sup) json_object_set(total, period_keys[i], json_object_get(cell, period_keys[i]));
    }
    json_decref(cells);
    if (sup) json_object_set_new(total, period_keys[i], json_null());
    json_object_set_new(total, period_flags[i], json_boolean(sup));
  }
  est_change_json(total, "change_previous", "count", "previous");
  est_change_json(total, "change_year_ago", "count", "year_ago");
}

/* The all-areas picture's incidents at a municipality or county centroid
 * (in the total, in no area): its own total ("imprecise") and its cells
 * per precision ("imprecise.by_precision"), like the incident total. */
static void publish_imprecise(const est_publish_policy *pol, json_t *imp) {
  if (!json_is_object(imp)) return;
  long long t[3];
  for (int i = 0; i < 3; i++) t[i] = json_integer_value(json_object_get(imp, period_keys[i]));
  bool sup[3] = {false, false, false};
  publish_periods(pol, "imprecise.by_precision", json_object_get(imp, "by_precision"), "precision", t, sup);
  publish_total(pol, "imprecise", imp, t, sup);
}

/* Hot spots: each one's incident count is a table of one cell ("hot_spot",
 * key: the store's rank); a hot spot whose count is not published is left
 * out (one this small would disclose too much). The kept ones are ranked
 * 1.. and their categories published ("hot_spot.by_category"). */
static void publish_hotspots(const est_publish_policy *pol, json_t *hs) {
  if (!json_is_array(hs)) return;
  for (size_t i = 0; i < json_array_size(hs);) {
    json_t *h = json_array_get(hs, i);
    long long n = json_integer_value(json_object_get(h, "incident_count"));
    json_t *cells =
        json_pack("[{s:I, s:I, s:O?}]", "rank", json_integer_value(json_object_get(h, "rank")), "incident_count",
                  (json_int_t)n, EST_CK_PREFIX "incident_count", json_object_get(h, EST_CK_PREFIX "incident_count"));
    json_object_del(h, EST_CK_PREFIX "incident_count");
    bool sup = true;
    if (cells) {
      est_publish_json(pol, "hot_spot", cells, "rank", n, "incident_count", "suppressed");
      json_t *cell = json_array_get(cells, 0);
      sup = json_is_true(json_object_get(cell, "suppressed"));
      if (!sup) json_object_set(h, "incident_count", json_object_get(cell, "incident_count"));
    }
    json_decref(cells);
    if (sup) {
      json_array_remove(hs, i);
      continue;
    }
    json_t *cats = json_object_get(h, "by_category");
    if (!json_is_array(cats)) json_object_set_new(h, "by_category", cats = json_array());
    est_publish_json(pol, "hot_spot.by_category", cats, "code", n, "count", "suppressed");
    est_publish_tree(pol, "hot_spot.presence", json_object_get(h, "presence"));
    json_object_set_new(h, "rank", json_integer((json_int_t)i + 1));
    i++;
  }
}

/* Sources: which parties reported in the period. A party's count of all its
 * events (incidents + patrols + activities) minus the published presence
 * would give its incident count, undoing by_party suppression, so without
 * the detail scope a source shows only whether it reported and the local
 * date of its newest event; with it, the count and exact time. */
static json_t *sources_publish(json_t *src, bool detail) {
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

/* ---- the document ---------------------------------------------------------- */

static json_t *load(const char *text) { return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL; }

/* The placeholder of published hot spots: a string member (a control
 * character no stored text gives here), as JSON_COMPACT prints it, with its
 * key: the first such text in a document is the member itself, since only
 * fixed keys and numbers precede it (est_situation_document's order). */
#define HOT_MARK_VALUE "\002estd-hot-spots"
#define HOT_MARK_TEXT "\"hot_spots\":\"\\u0002estd-hot-spots\""
#define HOT_KEY_TEXT "\"hot_spots\":"

est_result est_situation_hotspots_publish(const est_publish_policy *pol, const char *hotspots, char **out) {
  *out = NULL;
  json_t *hot = load(hotspots);
  if (!json_is_array(hot)) {
    json_decref(hot);
    return EST_EINTERNAL;
  }
  publish_hotspots(pol, hot);
  est_publish_tree(pol, "other", hot); /* the document's last pass, on this part of it */
  *out = json_dumps(hot, JSON_COMPACT);
  json_decref(hot);
  return *out ? EST_OK : EST_ENOMEM;
}

est_result est_situation_splice(const char *doc, size_t len, const char *at, size_t cut, const char *text, char **out,
                                size_t *olen) {
  est_buf b = EST_BUF_INIT;
  size_t pre = at ? (size_t)(at - doc) : len;
  est_buf_reserve(&b, len + (text ? strlen(text) : 0) + 1);
  est_buf_append(&b, doc, pre);
  if (at) {
    est_buf_puts(&b, text);
    est_buf_append(&b, at + cut, len - pre - cut);
  }
  *olen = b.len;
  *out = est_buf_steal(&b);
  return *out ? EST_OK : EST_ENOMEM;
}

est_result est_situation_hotspots_splice(const char *doc, size_t len, const char *published, char **out, size_t *olen) {
  *out = NULL;
  const size_t ml = sizeof HOT_MARK_TEXT - 1, kl = sizeof HOT_KEY_TEXT - 1;
  for (const char *p = doc; p + ml <= doc + len; p++) {
    p = memchr(p, '"', (size_t)(doc + len - p));
    if (!p || p + ml > doc + len) break;
    if (memcmp(p, HOT_MARK_TEXT, ml) == 0) return est_situation_splice(doc, len, p + kl, ml - kl, published, out, olen);
  }
  return EST_EINTERNAL;
}

est_result est_situation_document(const est_situation_query *q, const est_publish_policy *pol,
                                  const est_situation_rows *rows, json_t **out) {
  *out = NULL;
  json_t *counts = json_incref(rows->counts), *cx = load(rows->context);
  json_t *hot = rows->hotspots_published ? json_string(HOT_MARK_VALUE) : load(rows->hotspots);
  if (!json_is_object(counts) || !hot || !json_is_object(cx)) {
    json_decref(counts);
    json_decref(hot);
    json_decref(cx);
    return EST_EINTERNAL;
  }
  json_t *total = json_object_get(counts, "total");
  if (!json_is_object(total)) json_object_set_new(counts, "total", total = json_object());
  long long tot[3];
  for (int i = 0; i < 3; i++) tot[i] = json_integer_value(json_object_get(total, period_keys[i]));
  bool tsup[3] = {false, false, false};
  publish_periods(pol, "by_category", json_object_get(counts, "by_category"), "code", tot, tsup);
  publish_periods(pol, "by_party", json_object_get(counts, "by_party"), "party_id", tot, tsup);
  /* Series, weekdays and hours: the current period only. */
  static const char *const current_only[][2] = {
      {"series", "start"}, {"by_weekday", "weekday"}, {"by_hour", "hour"}, {"by_weekday_hour", NULL}};
  for (size_t i = 0; i < sizeof current_only / sizeof *current_only; i++)
    if (est_publish_json(pol, current_only[i][0], json_object_get(counts, current_only[i][0]), current_only[i][1],
                         tot[0], "count", "suppressed"))
      tsup[0] = true;
  /* Areas overlap (a union area holds its parts): by_area has no common
   * total (-1: the sum of its cells); each cell is rounded with its key. */
  est_publish_json(pol, "by_area", json_object_get(counts, "by_area"), "area_id", -1, "count", "suppressed");
  publish_total(pol, "total", total, tot, tsup);
  publish_imprecise(pol, json_object_get(counts, "imprecise"));
  publish_hotspots(pol, hot);
  est_publish_tree(pol, "presence", json_object_get(cx, "presence"));

  json_t *doc = json_object();
  json_object_set(doc, "area", json_object_get(cx, "area"));
  json_t *per = est_period_json(&q->period);
  json_object_set_new(per, "to_exclusive", json_true());
  json_object_set_new(per, "time_zone", json_string("Europe/Stockholm"));
  json_object_set_new(per, "days", json_integer(est_period_days(&q->period)));
  json_object_set_new(doc, "period", per);
  json_object_set_new(doc, "previous_period", est_period_json(&q->previous));
  json_object_set_new(doc, "year_ago_period", est_period_json(&q->year_ago));
  json_object_set_new(
      doc, "privacy",
      json_pack("{s:i, s:b, s:b, s:o}", "min_count", pol->k > 1 ? pol->k : 0, "suppression_applied", pol->k > 1,
                "detail_scope", q->detail_scope, "protection", est_protection_json(pol->k)));
  json_t *inc = json_object();
  json_object_set(inc, "total", total);
  json_object_set(inc, "by_category", json_object_get(counts, "by_category"));
  json_object_set(inc, "by_party", json_object_get(counts, "by_party"));
  if (json_is_object(json_object_get(counts, "imprecise")))
    json_object_set(inc, "imprecise", json_object_get(counts, "imprecise"));
  json_object_set_new(doc, "incidents", inc);
  json_object_set_new(doc, "series",
                      json_pack("{s:s, s:O}", "bucket", q->bucket, "items", json_object_get(counts, "series")));
  json_object_set(doc, "by_weekday", json_object_get(counts, "by_weekday"));
  json_object_set(doc, "by_hour", json_object_get(counts, "by_hour"));
  json_object_set(doc, "by_weekday_hour", json_object_get(counts, "by_weekday_hour"));
  json_object_set(doc, "by_area", json_object_get(counts, "by_area"));
  json_object_set(doc, "sources", sources_publish(json_object_get(counts, "sources"), q->detail));
  json_object_set_new(
      doc, "hot_spots_parameters",
      json_pack("{s:f, s:i, s:s}", "eps_m", q->eps_m, "min_points", q->min_points, "srid", "EPSG:3006"));
  json_object_set(doc, "hot_spots", hot);
  if (rows->hotspots_stale && rows->hotspots_as_of) {
    json_object_set_new(doc, "hot_spots_as_of", json_string(rows->hotspots_as_of));
    json_object_set_new(doc, "hot_spots_stale", json_true());
  }
  json_object_set(doc, "presence", json_object_get(cx, "presence"));
  json_object_set(doc, "focuses", json_object_get(cx, "focuses"));
  json_object_set(doc, "commitments", json_object_get(cx, "commitments"));
  json_object_set(doc, "open_actions", json_object_get(cx, "open_actions"));
  json_object_set(doc, "freshness", json_object_get(cx, "freshness"));
  json_decref(counts);
  json_decref(hot);
  json_decref(cx);
  /* Last: any count that still carries a cell key goes through the policy too. */
  est_publish_tree(pol, "other", doc);
  *out = doc;
  return doc ? EST_OK : EST_ENOMEM;
}

est_result est_situation_geojson(const est_situation_query *q, json_t *doc, const est_situation_rows *rows,
                                 json_t **out) {
  *out = NULL;
  json_t *features = load(rows->areas);
  json_t *events = load(rows->events);
  if (!json_is_array(features) || !doc) {
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
    if (json_array_size(events) > EST_SITUATION_GEOJSON_EVENTS_MAX) {
      truncated = true;
      json_array_remove(events, EST_SITUATION_GEOJSON_EVENTS_MAX);
    }
    json_array_extend(features, events);
    json_decref(events);
  }
  json_t *fc = json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features);
  /* Foreign members (RFC 7946 §6.1): what the collection shows. */
  json_object_set(fc, "period", json_object_get(doc, "period"));
  json_object_set(fc, "privacy", json_object_get(doc, "privacy"));
  json_object_set(fc, "hot_spots_parameters", json_object_get(doc, "hot_spots_parameters"));
  json_object_set_new(fc, "events_included", json_boolean(q->include_events));
  json_object_set_new(fc, "events_truncated", json_boolean(truncated));
  json_decref(doc);
  *out = fc;
  return fc ? EST_OK : EST_ENOMEM;
}

void est_situation_cache_key(const est_situation_query *q, bool geo, char *out, size_t n) {
  /* The disclosure class: scope, exact geometry, k and (for listed events) the visible party. */
  long long vis = q->include_events ? (q->rows == EST_ROWS_ALL ? -1 : q->rows_party) : 0;
  snprintf(out, n,
           "%s|area=%lld|%s..%s|week=%d-%d|bucket=%s|eps=%.3f|minpts=%d|detail=%d|scope=%d|k=%d|events=%d|vis=%lld",
           geo ? "geojson" : "json", q->area_id, q->from, q->to, q->period.iso_year, q->period.iso_week, q->bucket,
           q->eps_m, q->min_points, q->detail ? 1 : 0, q->detail_scope ? 1 : 0, q->k, q->include_events ? 1 : 0, vis);
}

/* ---- data version buckets --------------------------------------------------- */

static int bucket_cmp(const void *a, const void *b) {
  const est_situation_bucket *x = a, *y = b;
  long dx = est_date_to_days(x->from), dy = est_date_to_days(y->from);
  return dx < dy ? -1 : dx > dy;
}

size_t est_situation_buckets(const est_situation_query *q, est_situation_bucket out[EST_SITUATION_BUCKETS_MAX]) {
  long long area = q->area_id ? q->area_id : EST_SITUATION_ALL_AREAS;
  est_situation_bucket r[3] = {{area, q->period.from, q->period.to},
                               {area, q->previous.from, q->previous.to},
                               {area, q->year_ago.from, q->year_ago.to}};
  qsort(r, 3, sizeof *r, bucket_cmp);
  size_t n = 0;
  for (size_t i = 0; i < 3; i++) {
    if (est_date_to_days(r[i].to) <= est_date_to_days(r[i].from)) continue; /* empty */
    if (n && est_date_to_days(r[i].from) <= est_date_to_days(out[n - 1].to)) {
      if (est_date_to_days(r[i].to) > est_date_to_days(out[n - 1].to)) out[n - 1].to = r[i].to;
      continue;
    }
    out[n++] = r[i];
  }
  if (q->area_id) {
    est_situation_bucket p = {EST_SITUATION_PRESENCE, q->period.from, q->period.to};
    out[n++] = p;
  }
  return n;
}

size_t est_situation_hotspot_buckets(const est_situation_query *q,
                                     est_situation_bucket out[EST_SITUATION_BUCKETS_MAX]) {
  est_situation_bucket a = {q->area_id ? q->area_id : EST_SITUATION_ALL_AREAS, q->period.from, q->period.to};
  out[0] = a;
  if (!q->area_id) return 1;
  est_situation_bucket p = {EST_SITUATION_PRESENCE, q->period.from, q->period.to};
  out[1] = p;
  return 2;
}

void est_situation_hotspots_key(const est_situation_query *q, char *out, size_t n) {
  snprintf(out, n, "hot|area=%lld|%s..%s|eps=%.3f|minpts=%d|detail=%d", q->area_id, q->from, q->to, q->eps_m,
           q->min_points, q->detail ? 1 : 0);
}

bool est_situation_buckets_cover(const est_situation_bucket *b, size_t n, long long area, est_date day) {
  long d = est_date_to_days(day);
  for (size_t i = 0; i < n; i++)
    if (b[i].area == area && d >= est_date_to_days(b[i].from) && d < est_date_to_days(b[i].to)) return true;
  return false;
}

void est_situation_buckets_key(const est_situation_bucket *b, size_t n, char *out, size_t size) {
  size_t off = 0;
  if (size) out[0] = '\0';
  for (size_t i = 0; i < n && off < size; i++) {
    char f[11], t[11];
    est_date_format(b[i].from, f, sizeof f);
    est_date_format(b[i].to, t, sizeof t);
    int w = snprintf(out + off, size - off, "%s%lld:%s..%s", i ? ";" : "", b[i].area, f, t);
    if (w < 0) break;
    off += (size_t)w;
  }
}
