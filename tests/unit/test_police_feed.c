/* test_police_feed.c - unit tests for the Swedish Police feed mapper
 * (domain/police_feed.c): type -> category, summaries, datetime, gps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/event.h"

static void test_categories(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"Skadegörelse", "skadegorelse"},        {"Brand", "brand"},
      {"Brand automatlarm", "ovrigt"},         {"Narkotikabrott", "narkotika"},
      {"Misshandel", "hot_och_vald"},          {"Misshandel, grov", "hot_och_vald"},
      {"Rån", "hot_och_vald"},                 {"Rån väpnat", "hot_och_vald"},
      {"Rån, försök", "hot_och_vald"},         {"Skottlossning, misstänkt", "hot_och_vald"},
      {"Våld/hot mot tjänsteman", "hot_vald_mot_anstalld"},
      {"Stöld", "inbrott_och_stold"},          {"Stöld, ringa", "inbrott_och_stold"},
      {"Inbrott", "inbrott_och_stold"},        {"Inbrott, försök", "inbrott_och_stold"},
      {"Motorfordon, stöld", "inbrott_och_stold"},
      {"Motorfordon, anträffat stulet", "ovrigt"},
      {"Bråk", "ordningsstorning"},            {"Fylleri/LOB", "ordningsstorning"},
      {"Ofredande/förargelse", "ordningsstorning"},
      {"Olovlig körning", "olovlig_korning"},  {"Rattfylleri", "olovlig_korning"},
      {"Trafikolycka", "ovrigt"},              {"Trafikolycka, vilt", "ovrigt"},
      {"Något helt nytt", "ovrigt"},           {"", "ovrigt"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = est_police_category(cases[i][0]);
    if (strcmp(got, cases[i][1]) != 0) fail_msg("%s -> %s, want %s", cases[i][0], got, cases[i][1]);
    assert_non_null(est_event_category(got)); /* always in the closed list */
  }
  assert_string_equal(est_police_category(NULL), "ovrigt");
  assert_true(est_police_is_summary("Sammanfattning natt"));
  assert_true(est_police_is_summary("Sammanfattning kväll och natt"));
  assert_false(est_police_is_summary("Misshandel"));
  assert_false(est_police_is_summary(NULL));
}

static est_event_reason map(const char *text, est_event *ev, json_t **errors) {
  memset(ev, 0, sizeof *ev);
  ev->duration_s = -1;
  *errors = NULL;
  json_t *j = json_loads(text, 0, NULL);
  assert_non_null(j);
  est_event_reason r = est_police_feed_map(j, ev, errors);
  json_decref(j);
  return r;
}

static void test_record(void **state) {
  (void)state;
  est_event ev;
  json_t *errors;
  assert_int_equal(map("{\"id\":476521,\"datetime\":\"2018-12-28 14:32:20 +01:00\",\"name\":\"28 december 14:32, "
                       "Misshandel, Borås\",\"summary\":\"Man slagen.\",\"url\":\"/aktuellt/x\",\"type\":\"Misshandel\","
                       "\"location\":{\"name\":\"Borås\",\"gps\":\"57.721035,12.939819\"}}",
                       &ev, &errors),
                   EST_REASON_NONE);
  assert_string_equal(ev.kind, "incident");
  assert_string_equal(ev.category, "hot_och_vald");
  assert_string_equal(ev.occurred_at, "2018-12-28T14:32:20+01:00");
  assert_int_equal(ev.srid, 4326);
  assert_true(ev.y == 57.721035 && ev.x == 12.939819);
  assert_string_equal(ev.place_name, "Borås");
  assert_string_equal(ev.description, "Man slagen.");
  assert_true(ev.flags & EST_EVENT_FLAG_POLICE_FEED);
  json_t *a = json_loads(ev.attributes, 0, NULL);
  assert_string_equal(json_string_value(json_object_get(a, "police_type")), "Misshandel");
  assert_int_equal(json_integer_value(json_object_get(a, "police_id")), 476521);
  assert_string_equal(json_string_value(json_object_get(a, "police_url")), "/aktuellt/x");
  json_decref(a);
  est_event_free(&ev);
  /* one-digit hour, negative offset, no location */
  assert_int_equal(map("{\"datetime\":\"2019-01-02 9:05:00 -02:00\",\"type\":\"Stöld\"}", &ev, &errors),
                   EST_REASON_NONE);
  assert_string_equal(ev.occurred_at, "2019-01-02T09:05:00-02:00");
  assert_int_equal(ev.srid, 0);
  est_event_free(&ev);
}

static void test_bad_records(void **state) {
  (void)state;
  est_event ev;
  json_t *errors;
  assert_int_equal(map("{\"datetime\":\"2018-12-28 14:32:20 +01:00\",\"type\":\"Sammanfattning natt\"}", &ev, &errors),
                   EST_REASON_SKIPPED_SUMMARY);
  assert_null(errors);
  est_event_free(&ev);
  assert_int_equal(map("{\"datetime\":\"2018-12-28T14:32:20Z\",\"type\":\"Brand\"}", &ev, &errors), EST_REASON_SCHEMA);
  json_decref(errors);
  est_event_free(&ev);
  assert_int_equal(map("{\"datetime\":\"2018-02-30 14:32:20 +01:00\",\"type\":\"Brand\"}", &ev, &errors),
                   EST_REASON_SCHEMA);
  json_decref(errors);
  est_event_free(&ev);
  assert_int_equal(map("{\"datetime\":\"2018-12-28 14:32:20 +01:00\",\"type\":\"Brand\",\"location\":{\"gps\":\"57.7\"}}",
                       &ev, &errors),
                   EST_REASON_BAD_COORDINATES);
  json_decref(errors);
  est_event_free(&ev);
  assert_int_equal(map("{\"datetime\":\"2018-12-28 14:32:20 +01:00\",\"type\":\"Brand\","
                       "\"location\":{\"gps\":\"95.0,12.9\"}}",
                       &ev, &errors),
                   EST_REASON_BAD_COORDINATES);
  json_decref(errors);
  est_event_free(&ev);
  assert_int_equal(map("{\"datetime\":\"2018-12-28 14:32:20 +01:00\"}", &ev, &errors), EST_REASON_SCHEMA);
  json_decref(errors);
  est_event_free(&ev);
}

static void test_long_summary_truncated(void **state) {
  (void)state;
  size_t n = 5000;
  char *rec = malloc(n * 2 + 200);
  int len = snprintf(rec, 200, "{\"datetime\":\"2018-12-28 14:32:20 +01:00\",\"type\":\"Brand\",\"summary\":\"");
  for (size_t i = 0; i < n; i++) memcpy(rec + len + 2 * i, "\xc3\xa4", 2);
  snprintf(rec + len + 2 * n, 8, "\"}");
  est_event ev;
  json_t *errors;
  assert_int_equal(map(rec, &ev, &errors), EST_REASON_NONE);
  assert_int_equal(strlen(ev.description), 8000); /* 4000 characters */
  est_event_free(&ev);
  free(rec);
}

/* Through the CloudEvents envelope (type se.polisen.event.v1). */
static void test_envelope(void **state) {
  (void)state;
  json_t *ce = json_loads("{\"specversion\":\"1.0\",\"id\":\"polisen-1\",\"source\":\"https://polisen.se/api/events\","
                          "\"type\":\"se.polisen.event.v1\",\"party\":\"polisen-boras\",\"data\":{\"id\":1,"
                          "\"datetime\":\"2018-12-28 14:32:20 +01:00\",\"type\":\"Narkotikabrott\"}}",
                          0, NULL);
  est_event ev;
  memset(&ev, 0, sizeof ev);
  json_t *errors = NULL;
  assert_int_equal(est_event_from_json(ce, &ev, &errors), EST_REASON_NONE);
  assert_string_equal(ev.category, "narkotika");
  assert_string_equal(ev.id, "polisen-1");
  est_event_free(&ev);
  json_decref(ce);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_categories), cmocka_unit_test(test_record), cmocka_unit_test(test_bad_records),
      cmocka_unit_test(test_long_summary_truncated), cmocka_unit_test(test_envelope),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
