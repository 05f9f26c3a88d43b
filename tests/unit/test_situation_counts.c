/* test_situation_counts.c - the counts document from the rollups' cells
 * (situation_counts.h). The byte-for-byte comparison with the reference
 * statement over real rows is tests/integration/test_rollups.py; these
 * check the adding up, the cell keys, the order and the edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "estd/situation_counts.h"

static const est_counts_category CATS[] = {{"klotter", "Klotter", "Graffiti"}, {"brand", "Brand", NULL}};
static const est_counts_party PARTIES[] = {{1, "polisen", "Polisen"}, {3, "bostader", "AB Bostäder"}};

static json_t *doc_of(const est_counts_rows *r) {
  json_t *d = NULL;
  assert_int_equal(est_counts_document(r, &d), EST_OK);
  assert_non_null(d);
  return d;
}
static long long num(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  assert_true(json_is_integer(v));
  return json_integer_value(v);
}

static void test_sums_and_cell_keys(void **state) {
  (void)state;
  const est_counts_cell cells[] = {
      {EST_COUNTS_CURRENT, "klotter", 1, 4, 2147483000},
      {EST_COUNTS_CURRENT, "klotter", 3, 2, 1000},
      {EST_COUNTS_CURRENT, "brand", 3, 1, 7},
      {EST_COUNTS_CURRENT, NULL, 1, 5, 11}, /* no category */
      {EST_COUNTS_PREVIOUS, "brand", 1, 9, 90},
      {EST_COUNTS_YEAR_AGO, "klotter", 99, 3, 30}, /* unknown party */
      {EST_COUNTS_CURRENT, "okand", 1, 2, 5},      /* unknown category */
      {7, "klotter", 1, 100, 100},                 /* no period */
  };
  est_counts_rows r = {.from = {2024, 5, 13},
                       .to = {2024, 5, 20},
                       .cells = cells,
                       .ncells = sizeof cells / sizeof *cells,
                       .categories = CATS,
                       .ncategories = 2,
                       .parties = PARTIES,
                       .nparties = 2};
  json_t *d = doc_of(&r);
  json_t *t = json_object_get(d, "total");
  assert_int_equal(num(t, "count"), 14);
  /* (2147483000 + 1000 + 7 + 11 + 5) mod 2^31 */
  assert_int_equal(num(t, "ck_count"), (2147483000LL + 1000 + 7 + 11 + 5) % 2147483648LL);
  assert_int_equal(num(t, "previous"), 9);
  assert_int_equal(num(t, "ck_previous"), 90);
  assert_int_equal(num(t, "year_ago"), 3);
  json_t *c0 = json_array_get(json_object_get(d, "by_category"), 0);
  assert_string_equal(json_string_value(json_object_get(c0, "code")), "klotter");
  assert_int_equal(num(c0, "count"), 6);
  assert_int_equal(num(c0, "ck_count"), (2147483000LL + 1000) % 2147483648LL);
  assert_int_equal(num(c0, "year_ago"), 3);
  json_t *c1 = json_array_get(json_object_get(d, "by_category"), 1);
  assert_true(json_is_null(json_object_get(c1, "label_en")));
  assert_int_equal(num(c1, "count"), 1);
  assert_int_equal(num(c1, "previous"), 9);
  json_t *p1 = json_array_get(json_object_get(d, "by_party"), 1);
  assert_int_equal(num(p1, "party_id"), 3);
  assert_int_equal(num(p1, "count"), 3);
  assert_int_equal(num(json_array_get(json_object_get(d, "by_party"), 0), "count"), 11);
  assert_int_equal(num(json_array_get(json_object_get(d, "by_party"), 0), "year_ago"), 0);
  /* members in the reference statement's order */
  char *text = json_dumps(c0, JSON_COMPACT);
  assert_string_equal(text,
                      "{\"code\":\"klotter\",\"label_sv\":\"Klotter\",\"label_en\":\"Graffiti\",\"count\":6,"
                      "\"ck_count\":352,\"previous\":0,\"ck_previous\":0,\"year_ago\":3,\"ck_year_ago\":30}");
  free(text);
  const char *keys[] = {"total",   "by_category",     "by_party", "series", "by_weekday",
                        "by_hour", "by_weekday_hour", "by_area",  "sources"};
  size_t i = 0;
  const char *k;
  json_t *v;
  json_object_foreach(d, k, v) {
    assert_true(i < 9);
    assert_string_equal(k, keys[i++]);
  }
  assert_int_equal(i, 9);
  json_decref(d);
}

static void test_hours_series_and_edges(void **state) {
  (void)state;
  const est_counts_hour hours[] = {
      /* by week, the bucket is the Monday of the hour's week */
      {{2024, 10, 21}, 1, 0, 2, 20},   {{2024, 10, 21}, 7, 2, 1, 3},
      {{2024, 10, 21}, 7, 2, 4, 5},    /* the October hour twice */
      {{2024, 10, 27}, 7, 3, 1000, 0}, /* not a Monday: in no bucket of the series */
      {{2024, 10, 28}, 1, 23, 1, 1},   /* the next week */
      {{2024, 10, 21}, 9, 25, 50, 50}, /* no such weekday, hour: the series only */
  };
  est_counts_rows r = {.from = {2024, 10, 23},
                       .to = {2024, 11, 6},
                       .by_week = 1,
                       .hours = hours,
                       .nhours = sizeof hours / sizeof *hours};
  json_t *d = doc_of(&r);
  json_t *s = json_object_get(d, "series");
  /* Mondays from the period's week to its last day: 21 Oct, 28 Oct, 4 Nov */
  assert_int_equal(json_array_size(s), 3);
  assert_string_equal(json_string_value(json_object_get(json_array_get(s, 0), "start")), "2024-10-21");
  assert_string_equal(json_string_value(json_object_get(json_array_get(s, 2), "start")), "2024-11-04");
  assert_int_equal(num(json_array_get(s, 0), "count"), 57);
  assert_int_equal(num(json_array_get(s, 0), "ck_count"), 78);
  assert_int_equal(num(json_array_get(s, 1), "count"), 1);
  assert_int_equal(num(json_array_get(s, 2), "count"), 0);
  json_t *wd = json_object_get(d, "by_weekday");
  assert_int_equal(json_array_size(wd), 7);
  assert_string_equal(json_string_value(json_object_get(json_array_get(wd, 6), "name")), "Sun");
  assert_int_equal(num(json_array_get(wd, 6), "count"), 1005);
  assert_int_equal(num(json_array_get(wd, 6), "ck_count"), 8);
  assert_int_equal(num(json_array_get(wd, 0), "count"), 3);
  assert_int_equal(num(json_array_get(json_object_get(d, "by_hour"), 2), "count"), 5);
  assert_int_equal(num(json_array_get(json_object_get(d, "by_hour"), 3), "count"), 1000);
  json_t *wdh = json_object_get(d, "by_weekday_hour");
  assert_int_equal(json_array_size(wdh), 7 * 24);
  json_t *sun2 = json_array_get(wdh, 6 * 24 + 2);
  assert_int_equal(num(sun2, "weekday"), 7);
  assert_int_equal(num(sun2, "hour"), 2);
  assert_int_equal(num(sun2, "count"), 5);
  /* json_agg of no rows is null */
  assert_true(json_is_null(json_object_get(d, "by_category")));
  assert_true(json_is_null(json_object_get(d, "by_party")));
  assert_true(json_is_null(json_object_get(d, "by_area")));
  assert_true(json_is_null(json_object_get(d, "sources")));
  json_decref(d);
  /* by day */
  const est_counts_hour days[] = {{{2024, 10, 23}, 3, 1, 2, 2},
                                  {{2024, 10, 27}, 7, 2, 1, 3},
                                  {{2024, 10, 27}, 7, 2, 4, 5},
                                  {{2024, 10, 21}, 1, 0, 9, 9} /* before the period */};
  r.by_week = 0;
  r.hours = days;
  r.nhours = sizeof days / sizeof *days;
  d = doc_of(&r);
  s = json_object_get(d, "series");
  assert_int_equal(json_array_size(s), 14);
  assert_string_equal(json_string_value(json_object_get(json_array_get(s, 0), "start")), "2024-10-23");
  assert_int_equal(num(json_array_get(s, 4), "count"), 5); /* 27 Oct */
  assert_int_equal(num(json_array_get(s, 0), "count"), 2);
  assert_int_equal(num(json_array_get(s, 13), "count"), 0);
  assert_int_equal(num(json_array_get(json_object_get(d, "by_weekday"), 0), "count"), 9); /* weekdays: every row */
  json_decref(d);
}

static void test_areas_and_sources(void **state) {
  (void)state;
  const est_counts_cell cells[] = {{EST_COUNTS_CURRENT, "klotter", 1, 6, 60}};
  const est_counts_area one[] = {{2, "norrby", "Norrby", 0, 0, 0}};
  const est_counts_source src[] = {{3, 12, "2024-05-19T21:58:00+00:00", "2024-05-19"}};
  est_counts_rows r = {.from = {2024, 5, 13},
                       .to = {2024, 5, 20},
                       .cells = cells,
                       .ncells = 1,
                       .areas = one,
                       .nareas = 1,
                       .parties = PARTIES,
                       .nparties = 2,
                       .sources = src,
                       .nsources = 1};
  json_t *d = doc_of(&r);
  json_t *a = json_array_get(json_object_get(d, "by_area"), 0);
  assert_int_equal(num(a, "area_id"), 2);
  assert_int_equal(num(a, "count"), 6); /* the one area: the period's total */
  assert_int_equal(num(a, "ck_count"), 60);
  json_t *s0 = json_array_get(json_object_get(d, "sources"), 0), *s1 = json_array_get(json_object_get(d, "sources"), 1);
  assert_int_equal(num(s0, "events"), 0);
  assert_true(json_is_null(json_object_get(s0, "latest_occurred_at")));
  assert_true(json_is_false(json_object_get(s0, "reported")));
  assert_int_equal(num(s1, "party_id"), 3);
  assert_int_equal(num(s1, "events"), 12);
  assert_string_equal(json_string_value(json_object_get(s1, "latest_occurred_at")), "2024-05-19T21:58:00+00:00");
  assert_string_equal(json_string_value(json_object_get(s1, "latest_date")), "2024-05-19");
  assert_true(json_is_true(json_object_get(s1, "reported")));
  json_decref(d);
  /* all areas: each area's own counts, also zero */
  const est_counts_area all[] = {{1, "centrum", "Centrum", 1, 0, 0}, {2, "norrby", "Norrby", 1, 6, 60}};
  r.areas = all;
  r.nareas = 2;
  d = doc_of(&r);
  assert_int_equal(num(json_array_get(json_object_get(d, "by_area"), 0), "count"), 0);
  assert_int_equal(num(json_array_get(json_object_get(d, "by_area"), 1), "count"), 6);
  json_decref(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sums_and_cell_keys),
      cmocka_unit_test(test_hours_series_and_edges),
      cmocka_unit_test(test_areas_and_sources),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
