/* test_situation.c - unit tests for the pure situational-picture rules:
 * calendar and ISO weeks, Stockholm local date, periods and comparison
 * periods, percentage change, progress evaluation,
 * CSV quoting. Expected values computed by hand (see comments). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "estd/csv.h"
#include "estd/progress.h"
#include "estd/situation.h"

static est_date D(int y, int m, int d) {
  est_date r = {y, m, d};
  return r;
}

static void assert_date(est_date got, int y, int m, int d) {
  assert_int_equal(got.y, y);
  assert_int_equal(got.m, m);
  assert_int_equal(got.d, d);
}

static time_t utc(int y, int m, int d, int hh, int mm) {
  return (time_t)est_date_to_days(D(y, m, d)) * 86400 + hh * 3600 + mm * 60;
}

static void test_calendar(void **state) {
  (void)state;
  assert_int_equal(est_date_to_days(D(1970, 1, 1)), 0);
  assert_int_equal(est_date_to_days(D(2024, 3, 4)), 19786);
  assert_date(est_date_from_days(19786), 2024, 3, 4);
  assert_int_equal(est_date_weekday(D(2024, 3, 4)), 0);  /* Monday */
  assert_int_equal(est_date_weekday(D(2024, 3, 31)), 6); /* Sunday */
  est_date d;
  assert_true(est_date_parse("2024-02-29", &d));
  assert_false(est_date_parse("2023-02-29", &d));
  assert_false(est_date_parse("2024-13-01", &d));
  assert_false(est_date_parse("2024-1-01", &d));
  assert_false(est_date_parse(NULL, &d));
  char buf[16];
  est_date_format(D(2025, 1, 6), buf, sizeof buf);
  assert_string_equal(buf, "2025-01-06");
}

static void test_iso_weeks(void **state) {
  (void)state;
  int y, w;
  est_iso_week_of(D(2024, 12, 30), &y, &w); /* Monday of 2025-W01 */
  assert_int_equal(y, 2025);
  assert_int_equal(w, 1);
  est_iso_week_of(D(2021, 1, 3), &y, &w); /* Sunday of 2020-W53 */
  assert_int_equal(y, 2020);
  assert_int_equal(w, 53);
  est_iso_week_of(D(2024, 3, 4), &y, &w);
  assert_int_equal(w, 10);
  assert_int_equal(est_iso_weeks_in_year(2020), 53);
  assert_int_equal(est_iso_weeks_in_year(2024), 52);
  assert_int_equal(est_iso_weeks_in_year(2026), 53);
  assert_date(est_iso_week_monday(2025, 1), 2024, 12, 30);
  assert_date(est_iso_week_monday(2024, 1), 2024, 1, 1);
  assert_date(est_iso_week_monday(2020, 53), 2020, 12, 28);
  assert_true(est_iso_week_parse("2024-W05", &y, &w));
  assert_int_equal(y, 2024);
  assert_int_equal(w, 5);
  assert_false(est_iso_week_parse("2024-W53", &y, &w));
  assert_true(est_iso_week_parse("2020-W53", &y, &w));
  assert_false(est_iso_week_parse("2024-W00", &y, &w));
  assert_false(est_iso_week_parse("2024W05", &y, &w));
  assert_false(est_iso_week_parse("2024-w05", &y, &w));
}

static void test_stockholm_date(void **state) {
  (void)state;
  /* CET (+1): 2024-03-30 23:30 UTC is 00:30 on the 31st. */
  assert_date(est_stockholm_date(utc(2024, 3, 30, 23, 30)), 2024, 3, 31);
  assert_date(est_stockholm_date(utc(2024, 3, 30, 22, 59)), 2024, 3, 30);
  /* CEST (+2) from 2024-03-31 01:00 UTC: 22:30 UTC is 00:30 on April 1st. */
  assert_date(est_stockholm_date(utc(2024, 3, 31, 22, 30)), 2024, 4, 1);
  assert_date(est_stockholm_date(utc(2024, 6, 30, 22, 0)), 2024, 7, 1);
  assert_date(est_stockholm_date(utc(2024, 6, 30, 21, 59)), 2024, 6, 30);
  /* Back to CET at 2024-10-27 01:00 UTC. */
  assert_date(est_stockholm_date(utc(2024, 10, 26, 22, 30)), 2024, 10, 27);
  assert_date(est_stockholm_date(utc(2024, 10, 27, 22, 59)), 2024, 10, 27);
  assert_date(est_stockholm_date(utc(2024, 10, 27, 23, 0)), 2024, 10, 28);
  /* New year. */
  assert_date(est_stockholm_date(utc(2024, 12, 31, 23, 0)), 2025, 1, 1);
  assert_date(est_stockholm_date(utc(2024, 12, 31, 22, 59)), 2024, 12, 31);
}

static void test_periods(void **state) {
  (void)state;
  est_period p, q;
  const char *field, *detail;
  assert_int_equal(est_period_from_params("2025-W01", NULL, NULL, D(2000, 1, 1), &p, &field, &detail), EST_OK);
  assert_date(p.from, 2024, 12, 30);
  assert_date(p.to, 2025, 1, 6);
  est_period_previous(&p, &q);
  assert_int_equal(q.iso_year, 2024);
  assert_int_equal(q.iso_week, 52);
  assert_date(q.from, 2024, 12, 23);
  est_period_year_ago(&p, &q);
  assert_int_equal(q.iso_year, 2024);
  assert_int_equal(q.iso_week, 1);
  assert_date(q.from, 2024, 1, 1);
  assert_date(q.to, 2024, 1, 8);
  /* Week 53 of 2020 compares with week 52 of 2019. */
  assert_int_equal(est_period_from_params("2020-W53", NULL, NULL, D(2000, 1, 1), &p, &field, &detail), EST_OK);
  est_period_year_ago(&p, &q);
  assert_int_equal(q.iso_week, 52);
  assert_date(q.from, 2019, 12, 23);
  /* Default: the ISO week of today. */
  assert_int_equal(est_period_from_params(NULL, NULL, NULL, D(2024, 3, 31), &p, &field, &detail), EST_OK);
  assert_int_equal(p.iso_week, 13);
  assert_date(p.from, 2024, 3, 25);
  /* from/to: previous is the equally long range before; year ago by calendar. */
  assert_int_equal(est_period_from_params(NULL, "2024-02-29", "2024-03-10", D(2000, 1, 1), &p, &field, &detail),
                   EST_OK);
  assert_int_equal(p.iso_week, 0);
  assert_int_equal(est_period_days(&p), 10);
  est_period_previous(&p, &q);
  assert_date(q.from, 2024, 2, 19);
  assert_date(q.to, 2024, 2, 29);
  est_period_year_ago(&p, &q);
  assert_date(q.from, 2023, 2, 28);
  assert_date(q.to, 2023, 3, 10);
  /* Errors name the parameter. */
  assert_int_equal(est_period_from_params("2024-W10", "2024-01-01", NULL, D(2000, 1, 1), &p, &field, &detail),
                   EST_EPARSE);
  assert_string_equal(field, "from");
  assert_int_equal(est_period_from_params(NULL, NULL, "2024-01-01", D(2000, 1, 1), &p, &field, &detail), EST_EPARSE);
  assert_string_equal(field, "from");
  assert_int_equal(est_period_from_params(NULL, "2024-01-02", "2024-01-01", D(2000, 1, 1), &p, &field, &detail),
                   EST_EPARSE);
  assert_string_equal(field, "to");
  assert_int_equal(est_period_from_params(NULL, "2020-01-01", "2022-01-02", D(2000, 1, 1), &p, &field, &detail),
                   EST_EPARSE);
  assert_int_equal(est_period_from_params(NULL, "2020-01-01", "2021-12-31", D(2000, 1, 1), &p, &field, &detail),
                   EST_OK); /* 730 days */
  assert_int_equal(est_period_from_params("2024-W53", NULL, NULL, D(2000, 1, 1), &p, &field, &detail), EST_EPARSE);
  assert_string_equal(field, "week");
}

static void test_pct_change(void **state) {
  (void)state;
  double v;
  assert_true(est_pct_change(9, 5, &v));
  assert_true(v == 80.0);
  assert_true(est_pct_change(9, 10, &v));
  assert_true(v == -10.0);
  assert_true(est_pct_change(1, 3, &v)); /* -66.666.. -> -66.7 */
  assert_true(v == -66.7);
  assert_true(est_pct_change(3, 3, &v));
  assert_true(v == 0.0);
  assert_false(est_pct_change(3, 0, &v)); /* division by zero -> null */
  assert_false(est_pct_change(0, 0, &v));
}

static void test_change(void **state) {
  (void)state;
  json_t *cells = json_loads(
      "[{\"count\":5,\"previous\":2},{\"count\":null,\"previous\":3},{\"count\":1,\"previous\":0}]", 0, NULL);
  assert_non_null(cells);
  json_t *c0 = json_array_get(cells, 0);
  est_change_json(c0, "change_previous", "count", "previous");
  json_t *ch = json_object_get(c0, "change_previous");
  assert_int_equal(json_integer_value(json_object_get(ch, "absolute")), 3);
  assert_true(json_real_value(json_object_get(ch, "percent")) == 150.0);
  json_t *c1 = json_array_get(cells, 1); /* below the base (null): change is null */
  est_change_json(c1, "change_previous", "count", "previous");
  assert_true(json_is_null(json_object_get(json_object_get(c1, "change_previous"), "absolute")));
  json_t *c2 = json_array_get(cells, 2);
  json_object_set_new(c2, "count", json_integer(4));
  est_change_json(c2, "change_previous", "count", "previous"); /* base 0 */
  assert_int_equal(json_integer_value(json_object_get(json_object_get(c2, "change_previous"), "absolute")), 4);
  assert_true(json_is_null(json_object_get(json_object_get(c2, "change_previous"), "percent")));
  json_decref(cells);
}

static void test_progress_rules(void **state) {
  (void)state;
  bool on;
  assert_true(est_progress_on_track(2, 4, "at_least", 0.5, &on));
  assert_true(on);
  assert_true(est_progress_on_track(1, 4, "at_least", 0.5, &on));
  assert_false(on);
  assert_true(est_progress_on_track(4, 4, "at_least", 1.0, &on));
  assert_true(on);
  assert_true(est_progress_on_track(3, 10, "at_most", 0.5, &on));
  assert_true(on);
  assert_true(est_progress_on_track(6, 10, "at_most", 0.5, &on));
  assert_false(on);
  assert_true(est_progress_on_track(5, 4, "exactly", 1.0, &on));
  assert_false(on);
  assert_true(est_progress_on_track(4, 4, "exactly", 1.0, &on));
  assert_true(on);
  assert_false(est_progress_on_track(1, 0, "at_least", 1.0, &on));
  assert_false(est_progress_on_track(1, 4, "roughly", 1.0, &on));
  /* 2024 (366 days): at the end of 2024-03-31, 91 days have elapsed. */
  double f = est_elapsed_fraction(D(2024, 1, 1), D(2024, 12, 31), D(2024, 3, 31));
  assert_true(f > 91.0 / 366 - 1e-12 && f < 91.0 / 366 + 1e-12);
  assert_true(est_elapsed_fraction(D(2024, 1, 1), D(2024, 12, 31), D(2023, 12, 31)) == 0.0);
  assert_true(est_elapsed_fraction(D(2024, 1, 1), D(2024, 12, 31), D(2024, 12, 31)) == 1.0);
  assert_true(est_elapsed_fraction(D(2024, 1, 1), D(2024, 12, 31), D(2026, 1, 1)) == 1.0);
}

static void test_csv(void **state) {
  (void)state;
  est_buf b = EST_BUF_INIT;
  assert_int_equal(est_csv_field(&b, "plain", true), EST_OK);
  assert_int_equal(est_csv_field(&b, "a,b", false), EST_OK);
  assert_int_equal(est_csv_field(&b, "say \"hej\"", false), EST_OK);
  assert_int_equal(est_csv_field(&b, NULL, false), EST_OK);
  assert_int_equal(est_csv_field(&b, "rad 1\nrad 2", false), EST_OK);
  assert_int_equal(est_csv_field(&b, "Hässleholmen", false), EST_OK);
  assert_int_equal(est_csv_end_row(&b), EST_OK);
  assert_string_equal(b.data, "plain,\"a,b\",\"say \"\"hej\"\"\",,\"rad 1\nrad 2\",Hässleholmen\r\n");
  est_buf_free(&b);
}

/* ---- data version buckets (cache invalidation per area and period) ---- */

static est_situation_query week_query(const char *week, long long area) {
  est_situation_query q;
  memset(&q, 0, sizeof q);
  est_period p;
  const char *field, *detail;
  assert_int_equal(est_period_from_params(week, NULL, NULL, D(2024, 12, 10), &p, &field, &detail), EST_OK);
  est_situation_query_period(&q, &p, NULL);
  q.area_id = area;
  return q;
}

/* The buckets an event's write bumps (as the 0070 triggers do): each of
 * its areas, all areas, and presence for patrols and activities. */
static bool event_invalidates(const est_situation_query *q, long long area, bool incident, est_date day) {
  est_situation_bucket b[EST_SITUATION_BUCKETS_MAX];
  size_t n = est_situation_buckets(q, b);
  return est_situation_buckets_cover(b, n, area, day) ||
         est_situation_buckets_cover(b, n, EST_SITUATION_ALL_AREAS, day) ||
         (!incident && est_situation_buckets_cover(b, n, EST_SITUATION_PRESENCE, day));
}

static void test_buckets(void **state) {
  (void)state;
  const long long norrby = 5, hulta = 7;
  /* Norrby 2024-W49 (12-02..12-09): previous week 11-25 merged into one
   * range, year-ago 2023-W49 (12-04..12-11), presence of the week. */
  est_situation_query q = week_query("2024-W49", norrby);
  est_situation_bucket b[EST_SITUATION_BUCKETS_MAX];
  size_t n = est_situation_buckets(&q, b);
  assert_int_equal(n, 3);
  assert_int_equal(b[0].area, norrby);
  assert_date(b[0].from, 2023, 12, 4);
  assert_date(b[0].to, 2023, 12, 11);
  assert_int_equal(b[1].area, norrby);
  assert_date(b[1].from, 2024, 11, 25);
  assert_date(b[1].to, 2024, 12, 9);
  assert_int_equal(b[2].area, EST_SITUATION_PRESENCE);
  assert_date(b[2].from, 2024, 12, 2);
  assert_date(b[2].to, 2024, 12, 9);
  char key[256];
  est_situation_buckets_key(b, n, key, sizeof key);
  assert_string_equal(key, "5:2023-12-04..2023-12-11;5:2024-11-25..2024-12-09;-1:2024-12-02..2024-12-09");
  /* Range ends are exclusive. */
  assert_true(est_situation_buckets_cover(b, n, norrby, D(2024, 12, 8)));
  assert_false(est_situation_buckets_cover(b, n, norrby, D(2024, 12, 9)));
  assert_true(est_situation_buckets_cover(b, n, norrby, D(2024, 11, 25)));
  assert_false(est_situation_buckets_cover(b, n, norrby, D(2024, 11, 24)));
  assert_false(est_situation_buckets_cover(b, n, hulta, D(2024, 12, 4)));

  /* An incident for Norrby in W49 invalidates Norrby's W49 and W50 (its
   * previous week), not Hulta's W48 nor W49, nor a week of last year. */
  assert_true(event_invalidates(&q, norrby, true, D(2024, 12, 4)));
  est_situation_query w50 = week_query("2024-W50", norrby);
  assert_true(event_invalidates(&w50, norrby, true, D(2024, 12, 4)));
  est_situation_query h48 = week_query("2024-W48", hulta), h49 = week_query("2024-W49", hulta);
  assert_false(event_invalidates(&h48, norrby, true, D(2024, 12, 4)));
  assert_false(event_invalidates(&h49, norrby, true, D(2024, 12, 4)));
  est_situation_query n23 = week_query("2023-W49", norrby);
  assert_false(event_invalidates(&n23, norrby, true, D(2024, 12, 4)));
  /* ...but its year-ago picture reads last year's week: */
  assert_true(event_invalidates(&q, norrby, true, D(2023, 12, 5)));
  /* A patrol in Norrby: Hulta's same week (presence around its hot spots), not its previous one. */
  assert_true(event_invalidates(&h49, norrby, false, D(2024, 12, 4)));
  assert_false(event_invalidates(&h48, norrby, false, D(2024, 12, 4)));
  /* All areas read every event of the periods (bucket 0), no presence range. */
  est_situation_query all = week_query("2024-W48", 0);
  n = est_situation_buckets(&all, b);
  assert_int_equal(n, 2);
  assert_true(event_invalidates(&all, hulta, true, D(2024, 11, 20)));
  assert_false(event_invalidates(&all, hulta, true, D(2024, 12, 2)));
  assert_false(est_situation_buckets_cover(b, n, EST_SITUATION_PRESENCE, D(2024, 11, 26)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_calendar),       cmocka_unit_test(test_iso_weeks),  cmocka_unit_test(test_stockholm_date),
      cmocka_unit_test(test_periods),        cmocka_unit_test(test_pct_change), cmocka_unit_test(test_change),
      cmocka_unit_test(test_progress_rules), cmocka_unit_test(test_csv),        cmocka_unit_test(test_buckets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
