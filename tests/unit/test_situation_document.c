/* test_situation_document.c - unit tests for the situational-picture
 * document (domain/situation.c) and its publication policy (privacy.h):
 * the JSON picture built from store rows, cell-key rounding and CompStat changes
 * on it, that every published count goes through the policy, hot spots,
 * GeoJSON and the cache key. Expected values computed by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/situation.h"

/* Week 2024-W10 (Mon 4 March .. Sun 10 March), all areas. */
static void query(est_situation_query *q, int k, bool detail) {
  memset(q, 0, sizeof *q);
  est_period p;
  const char *field, *detail_msg;
  assert_int_equal(est_period_from_params("2024-W10", NULL, NULL, (est_date){2024, 3, 6}, &p, &field, &detail_msg),
                   EST_OK);
  est_situation_query_period(q, &p, NULL);
  q->eps_m = 150;
  q->min_points = 5;
  q->detail = detail;
  q->k = k;
}

/* Rows as the store returns them. Current / previous / year-ago totals
 * 10 / 4 / 0; categories a = 8/1/0, b = 2/3/0; parties 7 = 10/4/0. Cell
 * keys (ck_*) are 0 (u = 0: every count that is not a multiple of k rounds
 * up) except b's current count (u = 0.93: 2 rounds down). */
static const char *const COUNTS =
    "{\"total\":{\"count\":10,\"previous\":4,\"year_ago\":0},"
    "\"by_category\":[{\"code\":\"a\",\"count\":8,\"previous\":1,\"year_ago\":0},"
    "{\"code\":\"b\",\"count\":2,\"ck_count\":2000000000,\"previous\":3,\"year_ago\":0}],"
    "\"by_party\":[{\"party_id\":7,\"code\":\"p\",\"name\":\"P\",\"count\":10,\"previous\":4,\"year_ago\":0}],"
    "\"series\":[{\"start\":\"2024-03-04\",\"count\":9},{\"start\":\"2024-03-05\",\"count\":1}],"
    "\"by_weekday\":[{\"weekday\":1,\"count\":10}],"
    "\"by_hour\":[{\"hour\":0,\"count\":4},{\"hour\":1,\"count\":6}]}";
/* Two hot spots: 6 incidents (a 5, b 1) and 2 incidents. */
static const char *const HOTSPOTS =
    "[{\"rank\":1,\"incident_count\":6,\"hull\":{\"type\":\"Polygon\",\"coordinates\":[]},"
    "\"by_category\":[{\"code\":\"a\",\"count\":5},{\"code\":\"b\",\"count\":1}]},"
    "{\"rank\":2,\"incident_count\":2,\"hull\":{\"type\":\"Polygon\",\"coordinates\":[]},"
    "\"by_category\":[{\"code\":\"a\",\"count\":2}]}]";
static const char *const CONTEXT =
    "{\"area\":null,\"presence\":[],\"focuses\":[],\"commitments\":[],\"freshness\":{\"newest_occurred_at\":null}}";

/* The counts as store_situation_counts gives them (a new document each: the
 * document publishes them in place). */
static json_t *counts_of(const char *text) {
  json_t *c = json_loads(text, 0, NULL);
  assert_non_null(c);
  return c;
}

static json_t *build(const est_situation_query *q, const est_publish_policy *pol) {
  est_situation_rows rows = {counts_of(COUNTS), HOTSPOTS, CONTEXT, NULL, NULL, "2024-05-15T10:00:00.000Z", true, NULL};
  json_t *doc = NULL;
  assert_int_equal(est_situation_document(q, pol, &rows, &doc), EST_OK);
  json_decref(rows.counts);
  assert_non_null(doc);
  /* when the hot spots were computed, and that they lag their buckets */
  assert_string_equal(json_string_value(json_object_get(doc, "hot_spots_as_of")), "2024-05-15T10:00:00.000Z");
  assert_true(json_is_true(json_object_get(doc, "hot_spots_stale")));
  return doc;
}

static json_t *at(json_t *v, const char *path) { /* "incidents.by_category.1.count" */
  char buf[128];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && v; t = strtok_r(NULL, ".", &save))
    v = json_is_array(v) ? json_array_get(v, (size_t)strtoul(t, NULL, 10)) : json_object_get(v, t);
  return v;
}

static void assert_count(json_t *doc, const char *path, long long want) {
  json_t *v = at(doc, path);
  if (!json_is_integer(v)) fail_msg("%s is not an integer", path);
  assert_int_equal(json_integer_value(v), want);
}

static void assert_null_at(json_t *doc, const char *path) {
  if (!json_is_null(at(doc, path))) fail_msg("%s is not null", path);
}

static void test_query_period_and_threshold(void **state) {
  (void)state;
  est_situation_query q;
  query(&q, 3, false);
  assert_string_equal(q.from, "2024-03-04");
  assert_string_equal(q.to, "2024-03-11");
  assert_string_equal(q.prev_from, "2024-02-26");
  assert_string_equal(q.prev_to, "2024-03-04");
  assert_string_equal(q.ya_from, "2023-03-06"); /* 2023-W10 */
  assert_string_equal(q.ya_to, "2023-03-13");
  assert_string_equal(q.bucket, "day");
  est_period long_range;
  const char *f, *d;
  assert_int_equal(
      est_period_from_params(NULL, "2024-01-01", "2024-03-01", (est_date){2024, 3, 6}, &long_range, &f, &d), EST_OK);
  est_situation_query_period(&q, &long_range, NULL);
  assert_string_equal(q.bucket, "week"); /* 60 days > 56 */
  est_situation_query_period(&q, &long_range, "day");
  assert_string_equal(q.bucket, "day");
  est_caller reader = {1, false, false}, detailed = {1, true, false};
  assert_int_equal(est_disclosure_base(&reader, 3, 0), 3);
  assert_int_equal(est_disclosure_base(&detailed, 3, 0), 0); /* detail: exact */
  assert_int_equal(est_disclosure_base(&detailed, 3, 5), 5); /* min_count applies to anyone */
  assert_int_equal(est_disclosure_base(&reader, 3, 7), 7);
}

static void test_document_rounding_and_change(void **state) {
  (void)state;
  est_situation_query q;
  query(&q, 3, false);
  est_publish_policy pol = {3, false, NULL, NULL};
  json_t *doc = build(&q, &pol);
  /* Categories: a 8 -> 9 (u = 0 rounds up); b 2 with u = 0.93 -> 0: null,
   * "< 3". Previous a 1 -> 3, b 3 stays. Year ago: a true 0 is "< 3" too. */
  assert_count(doc, "incidents.by_category.0.count", 9);
  assert_null_at(doc, "incidents.by_category.1.count");
  assert_true(json_is_true(at(doc, "incidents.by_category.1.suppressed")));
  assert_true(json_is_false(at(doc, "incidents.by_category.0.suppressed")));
  assert_count(doc, "incidents.by_category.0.previous", 3);
  assert_count(doc, "incidents.by_category.1.previous", 3);
  assert_null_at(doc, "incidents.by_category.0.year_ago");
  assert_true(json_is_true(at(doc, "incidents.by_category.0.year_ago_suppressed")));
  assert_count(doc, "incidents.by_category.0.change_previous.absolute", 6); /* from the published 9 and 3 */
  assert_null_at(doc, "incidents.by_category.1.change_previous.absolute");  /* from a null count */
  /* Totals: 10 -> 12, 4 -> 6: +6 = +100.0 %; year ago null. */
  assert_count(doc, "incidents.total.count", 12);
  assert_count(doc, "incidents.total.previous", 6);
  assert_true(json_is_false(at(doc, "incidents.total.suppressed")));
  assert_count(doc, "incidents.total.change_previous.absolute", 6);
  assert_true(json_real_value(at(doc, "incidents.total.change_previous.percent")) == 100.0);
  assert_null_at(doc, "incidents.total.year_ago");
  assert_null_at(doc, "incidents.total.change_year_ago.absolute");
  assert_count(doc, "incidents.by_party.0.count", 12);
  /* Series 9 and 1 -> 9 and 3; hours 4, 6 -> 6, 6; weekday 10 -> 12. */
  assert_count(doc, "series.items.0.count", 9);
  assert_count(doc, "series.items.1.count", 3);
  assert_string_equal(json_string_value(at(doc, "series.bucket")), "day");
  assert_count(doc, "by_hour.0.count", 6);
  assert_count(doc, "by_weekday.0.count", 12);
  /* Hot spots: 6 stays, 2 -> 3 (kept); categories 5 -> 6, 1 -> 3. */
  assert_int_equal(json_array_size(at(doc, "hot_spots")), 2);
  assert_count(doc, "hot_spots.0.rank", 1);
  assert_count(doc, "hot_spots.0.incident_count", 6);
  assert_count(doc, "hot_spots.0.by_category.0.count", 6);
  assert_count(doc, "hot_spots.0.by_category.1.count", 3);
  assert_count(doc, "hot_spots.1.incident_count", 3);
  /* No cell key is published. */
  char *text = json_dumps(doc, JSON_COMPACT);
  assert_null(strstr(text, "ck_"));
  free(text);
  /* The frame. */
  assert_count(doc, "privacy.min_count", 3);
  assert_true(json_is_true(at(doc, "privacy.suppression_applied")));
  assert_string_equal(json_string_value(at(doc, "privacy.protection.method")), "cell-key-rounding");
  assert_count(doc, "privacy.protection.base", 3);
  assert_true(json_is_false(at(doc, "privacy.detail_scope")));
  assert_string_equal(json_string_value(at(doc, "period.week")), "2024-W10");
  assert_count(doc, "period.days", 7);
  assert_string_equal(json_string_value(at(doc, "period.time_zone")), "Europe/Stockholm");
  assert_string_equal(json_string_value(at(doc, "previous_period.week")), "2024-W09");
  assert_string_equal(json_string_value(at(doc, "hot_spots_parameters.srid")), "EPSG:3006");
  assert_non_null(at(doc, "freshness"));
  assert_true(json_is_null(at(doc, "area")));
  json_decref(doc);
  /* A larger base: the hot spot of 2 rounds to 0 with a key of u = 0.9 and is left out. */
}

static void test_document_without_suppression(void **state) {
  (void)state;
  est_situation_query q;
  query(&q, 0, true);
  est_publish_policy pol = {0, true, NULL, NULL};
  json_t *doc = build(&q, &pol);
  assert_count(doc, "incidents.by_category.1.count", 2);
  assert_count(doc, "incidents.by_category.1.change_previous.absolute", -1);
  assert_true(json_real_value(at(doc, "incidents.by_category.1.change_previous.percent")) == -33.3);
  assert_int_equal(json_array_size(at(doc, "hot_spots")), 2);
  assert_count(doc, "hot_spots.1.rank", 2);
  assert_count(doc, "hot_spots.0.by_category.1.count", 1);
  assert_true(json_is_false(at(doc, "privacy.suppression_applied")));
  json_decref(doc);
}

/* A policy that records what it is asked and publishes raw + 100. */
typedef struct seen {
  char tables[64][48];
  int n;
  size_t cells;
} seen;

static bool recording_policy(const est_publish_policy *p, est_count_table *t) {
  seen *s = p->arg;
  if (s->n < 64) snprintf(s->tables[s->n++], sizeof s->tables[0], "%s/%s", t->table, t->period);
  for (size_t i = 0; i < t->n; i++) {
    assert_non_null(t->keys[i]);
    assert_int_equal(t->value[i], t->counts[i]); /* preset */
    assert_false(t->suppressed[i]);
    t->value[i] = t->counts[i] + 100;
  }
  s->cells += t->n;
  return false;
}

static bool saw(const seen *s, const char *what) {
  for (int i = 0; i < s->n; i++)
    if (strcmp(s->tables[i], what) == 0) return true;
  return false;
}

static void test_every_count_goes_through_the_policy(void **state) {
  (void)state;
  est_situation_query q;
  query(&q, 3, false);
  seen s;
  memset(&s, 0, sizeof s);
  est_publish_policy pol = {3, false, recording_policy, &s};
  json_t *doc = build(&q, &pol);
  static const char *const expected[] = {"by_category/count",
                                         "by_category/previous",
                                         "by_category/year_ago",
                                         "by_party/count",
                                         "by_party/previous",
                                         "by_party/year_ago",
                                         "series/count",
                                         "by_weekday/count",
                                         "by_hour/count",
                                         "total/count",
                                         "total/previous",
                                         "total/year_ago",
                                         "hot_spot/incident_count",
                                         "hot_spot.by_category/count"};
  for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
    if (!saw(&s, expected[i])) fail_msg("the policy never saw %s", expected[i]);
  /* 2 + 2 + 2 categories, 3 parties, 2 + 1 + 2 series/weekday/hour, 3
   * totals, 2 hot spots, 2 + 1 hot-spot categories */
  assert_int_equal(s.cells, 22);
  /* Every published count is the policy's value, and changes use them. */
  assert_count(doc, "incidents.by_category.1.count", 102);
  assert_count(doc, "incidents.by_category.1.previous", 103);
  assert_count(doc, "incidents.by_category.1.change_previous.absolute", -1);
  assert_count(doc, "incidents.total.count", 110);
  assert_count(doc, "incidents.total.change_previous.absolute", 6);
  assert_count(doc, "incidents.by_party.0.year_ago", 100);
  assert_count(doc, "series.items.1.count", 101);
  assert_count(doc, "by_hour.1.count", 106);
  assert_int_equal(json_array_size(at(doc, "hot_spots")), 2); /* the policy kept both */
  assert_count(doc, "hot_spots.1.incident_count", 102);
  assert_count(doc, "hot_spots.0.by_category.1.count", 101);
  json_decref(doc);
}

/* A policy that hides the total: the table's total is null then. */
static bool hide_totals(const est_publish_policy *p, est_count_table *t) {
  (void)p;
  if (strcmp(t->table, "total") == 0) t->suppressed[0] = true;
  return false;
}

static void test_policy_can_hide_a_total(void **state) {
  (void)state;
  est_situation_query q;
  query(&q, 0, true);
  est_publish_policy pol = {0, true, hide_totals, NULL};
  json_t *doc = build(&q, &pol);
  assert_null_at(doc, "incidents.total.count");
  assert_true(json_is_true(at(doc, "incidents.total.suppressed")));
  assert_null_at(doc, "incidents.total.change_previous.absolute");
  assert_count(doc, "incidents.by_category.0.count", 8);
  json_decref(doc);
}

static char g_keys[4][32];
static bool key_policy(const est_publish_policy *p, est_count_table *t) {
  for (size_t i = 0; i < t->n && i < 4; i++) snprintf(g_keys[i], sizeof g_keys[i], "%s", t->keys[i]);
  assert_int_equal(t->total, 13); /* -1: the sum of the cells */
  return est_publish_round(p, t);
}

static void test_publish_json_keys(void **state) {
  (void)state;
  json_t *cells = json_loads("[{\"code\":\"x\",\"n\":1},{\"code\":12,\"n\":5},{\"n\":7}]", 0, NULL);
  est_publish_policy pol = {2, false, key_policy, NULL};
  assert_false(est_publish_json(&pol, "t", cells, "code", -1, "n", "hidden"));
  /* keys: a string member, an integer member, else the position */
  assert_string_equal(g_keys[0], "x");
  assert_string_equal(g_keys[1], "12");
  assert_string_equal(g_keys[2], "2");
  /* base 2, cell keys 0 (u = 0): every odd count rounds up */
  assert_int_equal(json_integer_value(json_object_get(json_array_get(cells, 0), "n")), 2);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(cells, 1), "n")), 6);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(cells, 2), "n")), 8);
  assert_true(json_is_false(json_object_get(json_array_get(cells, 2), "hidden")));
  json_decref(cells);
}

static void test_bad_rows(void **state) {
  (void)state;
  est_situation_query q;
  query(&q, 3, false);
  est_publish_policy pol = {3, false, NULL, NULL};
  json_t *not_object = json_array();
  est_situation_rows rows = {not_object, HOTSPOTS, CONTEXT, NULL, NULL, NULL, false, NULL};
  json_t *doc = (json_t *)1;
  assert_int_equal(est_situation_document(&q, &pol, &rows, &doc), EST_EINTERNAL);
  assert_null(doc);
  rows.counts = NULL;
  assert_int_equal(est_situation_document(&q, &pol, &rows, &doc), EST_EINTERNAL);
  rows.counts = counts_of(COUNTS);
  rows.context = NULL;
  assert_int_equal(est_situation_document(&q, &pol, &rows, &doc), EST_EINTERNAL);
  json_decref(rows.counts);
  json_decref(not_object);
}

static void test_geojson(void **state) {
  (void)state;
  est_situation_query q;
  query(&q, 0, true);
  q.include_events = true;
  est_publish_policy pol = {0, true, NULL, NULL};
  json_t *doc = build(&q, &pol);
  /* one more event than shown: truncated */
  json_t *events = json_array();
  for (int i = 0; i < EST_SITUATION_GEOJSON_EVENTS_MAX + 1; i++)
    json_array_append_new(events, json_pack("{s:s, s:i}", "type", "Feature", "i", i));
  char *ev = json_dumps(events, JSON_COMPACT);
  json_decref(events);
  est_situation_rows rows = {NULL, HOTSPOTS, CONTEXT, "[{\"type\":\"Feature\",\"id\":\"area-1\"}]",
                             ev,   NULL,     false,   NULL};
  json_t *fc = NULL;
  assert_int_equal(est_situation_geojson(&q, doc, &rows, &fc), EST_OK);
  free(ev);
  assert_string_equal(json_string_value(at(fc, "type")), "FeatureCollection");
  json_t *features = at(fc, "features");
  assert_int_equal(json_array_size(features), 1 + 2 + EST_SITUATION_GEOJSON_EVENTS_MAX);
  assert_string_equal(json_string_value(at(features, "0.id")), "area-1");
  assert_string_equal(json_string_value(at(features, "1.id")), "hot-spot-1");
  assert_string_equal(json_string_value(at(features, "2.properties.feature_type")), "hot_spot");
  assert_null(at(features, "1.properties.hull")); /* the hull is the geometry */
  assert_string_equal(json_string_value(at(features, "1.geometry.type")), "Polygon");
  assert_true(json_is_true(at(fc, "events_included")));
  assert_true(json_is_true(at(fc, "events_truncated")));
  assert_string_equal(json_string_value(at(fc, "period.week")), "2024-W10");
  json_decref(fc);

  /* no events asked for, and bad area rows */
  q.include_events = false;
  doc = build(&q, &pol);
  rows.events = NULL;
  assert_int_equal(est_situation_geojson(&q, doc, &rows, &fc), EST_OK);
  assert_true(json_is_false(at(fc, "events_truncated")));
  assert_int_equal(json_array_size(at(fc, "features")), 3);
  json_decref(fc);
  doc = build(&q, &pol);
  rows.areas = "{}";
  assert_int_equal(est_situation_geojson(&q, doc, &rows, &fc), EST_EINTERNAL); /* doc taken */
}

static void test_cache_key(void **state) {
  (void)state;
  est_situation_query a, b;
  query(&a, 3, false);
  query(&b, 3, false);
  char ka[256], kb[256];
  est_situation_cache_key(&a, false, ka, sizeof ka);
  est_situation_cache_key(&b, false, kb, sizeof kb);
  assert_string_equal(ka, kb);
  assert_string_equal(ka,
                      "json|area=0|2024-03-04..2024-03-11|week=2024-10|bucket=day|eps=150.000|minpts=5|"
                      "detail=0|scope=0|k=3|events=0|vis=0");
  /* every input that changes the body changes the key */
  est_situation_cache_key(&a, true, kb, sizeof kb);
  assert_string_not_equal(ka, kb);
  b.k = 4;
  est_situation_cache_key(&b, false, kb, sizeof kb);
  assert_string_not_equal(ka, kb);
  /* listed events: another visible party, another key */
  char kc[256];
  query(&b, 3, false);
  b.include_events = true;
  b.rows = EST_ROWS_PARTY;
  b.rows_party = 2;
  est_situation_cache_key(&b, true, kb, sizeof kb);
  b.rows_party = 3;
  est_situation_cache_key(&b, true, kc, sizeof kc);
  assert_string_not_equal(kb, kc);
  query(&b, 3, false);
  b.detail_scope = true;
  est_situation_cache_key(&b, false, kb, sizeof kb);
  assert_string_not_equal(ka, kb);
  query(&b, 3, true);
  est_situation_cache_key(&b, false, kb, sizeof kb);
  assert_string_not_equal(ka, kb);
  query(&b, 3, false);
  b.area_id = 2;
  est_situation_cache_key(&b, false, kb, sizeof kb);
  assert_string_not_equal(ka, kb);
}

static void test_hotspots(void **state) {
  (void)state;
  est_situation_query q;
  query(&q, 0, true);
  q.eps_m = 100;
  q.min_points = 3;
  /* three close incidents and one far away */
  est_hs_point pts[] = {{0, 0, 0, 1}, {10, 0, 1, 2}, {0, 10, 0, 4}, {5000, 5000, 0, 8}};
  est_hs_cluster *cl = NULL;
  int k = est_situation_hotspots(&q, pts, 4, 2, &cl);
  assert_int_equal(k, 1);
  assert_int_equal(cl[0].n, 3);
  assert_int_equal(cl[0].cat_counts[0], 2);
  assert_int_equal(cl[0].cat_counts[1], 1);
  assert_int_equal(cl[0].ck, 7); /* the members' record keys 1 + 2 + 4 */
  est_hotspot_clusters_free(cl, k);
}

/* The parts the web page reads: weekday x hour and per-area tables go
 * through the policy; sources lose counts and exact times without the
 * detail scope; every change carries the Poisson z and its marker. */
static const char *const COUNTS_WEB =
    "{\"total\":{\"count\":9,\"previous\":4,\"year_ago\":0},"
    "\"by_category\":[{\"code\":\"a\",\"count\":9,\"previous\":4,\"year_ago\":0}],"
    "\"by_party\":[],\"series\":[],\"by_weekday\":[],\"by_hour\":[],"
    "\"by_weekday_hour\":[{\"weekday\":1,\"hour\":0,\"count\":8},{\"weekday\":1,\"hour\":1,\"count\":1}],"
    "\"by_area\":[{\"area_id\":1,\"count\":2},{\"area_id\":2,\"count\":7},{\"area_id\":3,\"count\":5}],"
    "\"sources\":[{\"party_id\":7,\"code\":\"p\",\"events\":12,\"latest_occurred_at\":\"2024-03-10T20:00:00+00:00\","
    "\"latest_date\":\"2024-03-10\",\"reported\":true}]}";

static void test_document_web_parts(void **state) {
  (void)state;
  est_situation_query q;
  query(&q, 3, false);
  est_publish_policy pol = {3, false, NULL, NULL};
  est_situation_rows rows = {counts_of(COUNTS_WEB), "[]", CONTEXT, NULL, NULL, NULL, false, NULL};
  json_t *doc = NULL;
  assert_int_equal(est_situation_document(&q, &pol, &rows, &doc), EST_OK);
  json_decref(rows.counts);
  /* Weekday x hour and per-area cells go through the policy: each is a
   * multiple of k = 3, or null and flagged. */
  const char *const tables[] = {"by_weekday_hour", "by_area"};
  for (size_t t = 0; t < 2; t++) {
    json_t *cells = at(doc, tables[t]);
    assert_true(json_array_size(cells) >= 2);
    size_t i;
    json_t *c;
    json_array_foreach(cells, i, c) {
      json_t *v = json_object_get(c, "count");
      assert_null(json_object_get(c, "ck_count"));
      if (json_is_null(v)) assert_true(json_is_true(json_object_get(c, "suppressed")));
      else assert_int_equal(json_integer_value(v) % 3, 0);
    }
  }
  json_t *src = at(doc, "sources.0");
  assert_null(json_object_get(src, "events"));
  assert_null(json_object_get(src, "latest_occurred_at"));
  assert_string_equal(json_string_value(json_object_get(src, "latest_date")), "2024-03-10");
  assert_true(json_is_true(json_object_get(src, "reported")));
  json_decref(doc);
  /* With the detail scope the sources keep count and time. */
  query(&q, 0, true);
  est_publish_policy all = {0, true, NULL, NULL};
  rows.counts = counts_of(COUNTS_WEB);
  assert_int_equal(est_situation_document(&q, &all, &rows, &doc), EST_OK);
  json_decref(rows.counts);
  assert_count(doc, "sources.0.events", 12);
  assert_non_null(json_object_get(at(doc, "sources.0"), "latest_occurred_at"));
  assert_count(doc, "by_weekday_hour.1.count", 1);
  /* Exact counts: 9 vs 4 gives z = 2 (3 - 2) = 2.0 > 1.96. */
  json_t *ch = at(doc, "incidents.by_category.0.change_previous");
  assert_true(json_real_value(json_object_get(ch, "z")) == 2.0);
  assert_true(json_is_true(json_object_get(ch, "significant")));
  json_decref(doc);
}

/* Published hot spots spliced into the document (est_situation_hotspots_publish,
 * est_situation_hotspots_splice) give the bytes the document gives when it
 * publishes them itself, under every policy; a name that spells the
 * placeholder does not take the hot spots' place. */
static void test_hotspots_spliced(void **state) {
  (void)state;
  static const char *const hot =
      "[{\"rank\":1,\"incident_count\":7,\"ck_incident_count\":91,\"hull\":{\"type\":\"Polygon\",\"coordinates\":[]},"
      "\"by_category\":[{\"code\":\"a\",\"count\":6,\"ck_count\":40},{\"code\":\"b\",\"count\":1,\"ck_count\":51}],"
      "\"presence\":{\"patrols\":{\"count\":3,\"ck_count\":17,\"duration_s\":600}}},"
      "{\"rank\":2,\"incident_count\":2,\"ck_incident_count\":5,\"hull\":null,"
      "\"by_category\":[{\"code\":\"a\",\"count\":2,\"ck_count\":5}]}]";
  static const char *const cx =
      "{\"area\":{\"id\":1,\"name\":\"\\\"hot_spots\\\":\\\"\\u0002estd-hot-spots\\\"\"},\"presence\":[],"
      "\"focuses\":[],\"commitments\":[],\"freshness\":{\"newest_occurred_at\":null}}";
  est_situation_query q;
  query(&q, 1, true);
  const est_publish_policy pols[] = {{1, true, NULL, NULL}, {5, false, NULL, NULL}, {3, false, NULL, NULL}};
  for (size_t i = 0; i < sizeof pols / sizeof *pols; i++) {
    est_situation_rows rows = {counts_of(COUNTS), hot, cx, NULL, NULL, NULL, false, NULL};
    json_t *doc = NULL;
    assert_int_equal(est_situation_document(&q, &pols[i], &rows, &doc), EST_OK);
    json_decref(rows.counts);
    char *want = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    char *pub = NULL;
    assert_int_equal(est_situation_hotspots_publish(&pols[i], hot, &pub), EST_OK);
    rows.hotspots_published = pub;
    rows.counts = counts_of(COUNTS);
    assert_int_equal(est_situation_document(&q, &pols[i], &rows, &doc), EST_OK);
    json_decref(rows.counts);
    char *with_mark = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    assert_null(strstr(with_mark, "\"incident_count\""));
    char *got = NULL;
    size_t len = 0;
    assert_int_equal(est_situation_hotspots_splice(with_mark, strlen(with_mark), pub, &got, &len), EST_OK);
    assert_int_equal(len, strlen(got));
    assert_string_equal(got, want);
    free(got);
    free(with_mark);
    free(pub);
    free(want);
  }
  char *pub = NULL, *out = NULL;
  size_t len;
  assert_int_equal(est_situation_hotspots_publish(&pols[0], "{}", &pub), EST_EINTERNAL);
  assert_int_equal(est_situation_hotspots_splice("{\"hot_spots\":[]}", 16, "[]", &out, &len), EST_EINTERNAL);
  assert_null(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_query_period_and_threshold),
      cmocka_unit_test(test_document_rounding_and_change),
      cmocka_unit_test(test_document_without_suppression),
      cmocka_unit_test(test_every_count_goes_through_the_policy),
      cmocka_unit_test(test_policy_can_hide_a_total),
      cmocka_unit_test(test_publish_json_keys),
      cmocka_unit_test(test_bad_rows),
      cmocka_unit_test(test_geojson),
      cmocka_unit_test(test_cache_key),
      cmocka_unit_test(test_hotspots),
      cmocka_unit_test(test_hotspots_spliced),
      cmocka_unit_test(test_document_web_parts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
