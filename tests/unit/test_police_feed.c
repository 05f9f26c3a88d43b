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
#include "estd/place.h"

static void test_categories(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"Skadegörelse", "skadegorelse"},
      {"Brand", "brand"},
      {"Brand automatlarm", "ovrigt"},
      {"Narkotikabrott", "narkotika"},
      {"Misshandel", "hot_och_vald"},
      {"Misshandel, grov", "hot_och_vald"},
      {"Rån", "hot_och_vald"},
      {"Rån väpnat", "hot_och_vald"},
      {"Rån, försök", "hot_och_vald"},
      {"Skottlossning, misstänkt", "hot_och_vald"},
      {"Våld/hot mot tjänsteman", "hot_vald_mot_anstalld"},
      {"Stöld", "inbrott_och_stold"},
      {"Stöld, ringa", "inbrott_och_stold"},
      {"Inbrott", "inbrott_och_stold"},
      {"Inbrott, försök", "inbrott_och_stold"},
      {"Motorfordon, stöld", "inbrott_och_stold"},
      {"Motorfordon, anträffat stulet", "ovrigt"},
      {"Bråk", "ordningsstorning"},
      {"Fylleri/LOB", "ordningsstorning"},
      {"Ofredande/förargelse", "ordningsstorning"},
      {"Olovlig körning", "olovlig_korning"},
      {"Rattfylleri", "olovlig_korning"},
      {"Trafikolycka", "ovrigt"},
      {"Trafikolycka, vilt", "ovrigt"},
      {"Något helt nytt", "ovrigt"},
      {"", "ovrigt"},
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
  assert_int_equal(
      map("{\"id\":476521,\"datetime\":\"2018-12-28 14:32:20 +01:00\",\"name\":\"28 december 14:32, "
          "Misshandel, Borås\",\"summary\":\"Man slagen.\",\"url\":\"/aktuellt/x\",\"type\":\"Misshandel\","
          "\"location\":{\"name\":\"Borås\",\"gps\":\"57.721035,12.939819\"}}",
          &ev, &errors),
      EST_REASON_NONE);
  assert_string_equal(ev.kind, "incident");
  assert_string_equal(ev.category, "hot_och_vald");
  /* the occurrence time is in name; datetime is the publication */
  assert_string_equal(ev.occurred_at, "2018-12-28T14:32:00+01:00");
  assert_string_equal(ev.published_at, "2018-12-28T14:32:20+01:00");
  assert_string_equal(ev.precision, "municipality"); /* gps is Borås' centroid */
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
  assert_string_equal(ev.occurred_at, "2019-01-02T09:05:00-02:00"); /* no name: the publication time */
  assert_string_equal(ev.published_at, "2019-01-02T09:05:00-02:00");
  assert_int_equal(ev.srid, 0);
  assert_null(ev.precision);
  est_event_free(&ev);
  /* a county centroid */
  assert_int_equal(
      map("{\"datetime\":\"2024-07-01 10:00:00 +02:00\",\"name\":\"1 juli 08.15, Brand, Västra Götalands "
          "län\",\"type\":\"Brand\",\"location\":{\"name\":\"Västra Götalands län\",\"gps\":\"58.25,13.06\"}}",
          &ev, &errors),
      EST_REASON_NONE);
  assert_string_equal(ev.precision, "county");
  assert_string_equal(ev.occurred_at, "2024-07-01T08:15:00+02:00");
  assert_string_equal(ev.published_at, "2024-07-01T10:00:00+02:00");
  est_event_free(&ev);
}

/* The time in name, in Europe/Stockholm, against the publication time. */
static void test_occurred_at_from_name(void **state) {
  (void)state;
  static const char *const cases[][3] = {
      /* name, published, expected occurred_at ("" = not parsed) */
      {"28 december 14.32, Misshandel, Borås", "2018-12-28T14:40:00+01:00", "2018-12-28T14:32:00+01:00"},
      {"28 december 14:32, Misshandel, Borås", "2018-12-28T14:40:00+01:00", "2018-12-28T14:32:00+01:00"},
      {"3 juni 9.05, Stöld, Borås", "2024-06-03T09:30:00+02:00", "2024-06-03T09:05:00+02:00"},
      {"03 juni 09.05, Stöld, Borås", "2024-06-03T09:30:00+02:00", "2024-06-03T09:05:00+02:00"},
      /* the turn of the year: published in January about December */
      {"31 december 23.50, Brand, Borås", "2019-01-01T00:20:00+01:00", "2018-12-31T23:50:00+01:00"},
      {"31 december 23.50, Brand, Borås", "2018-12-31T23:55:00+01:00", "2018-12-31T23:50:00+01:00"},
      {"1 januari 00.10, Bråk, Borås", "2019-01-01T00:30:00+01:00", "2019-01-01T00:10:00+01:00"},
      /* within the hour of slack a time just after the publication keeps the year */
      {"1 januari 00.40, Bråk, Borås", "2019-01-01T00:30:00+01:00", "2019-01-01T00:40:00+01:00"},
      /* daylight saving 2024: CEST from 31 March 02:00 to 27 October 03:00 */
      {"31 mars 01.59, Brand, Borås", "2024-03-31T06:00:00+02:00", "2024-03-31T01:59:00+01:00"},
      {"31 mars 02.30, Brand, Borås", "2024-03-31T06:00:00+02:00", "2024-03-31T02:30:00+01:00"}, /* not on the clock */
      {"31 mars 03.00, Brand, Borås", "2024-03-31T06:00:00+02:00", "2024-03-31T03:00:00+02:00"},
      {"27 oktober 01.30, Brand, Borås", "2024-10-27T06:00:00+01:00", "2024-10-27T01:30:00+02:00"},
      {"27 oktober 02.30, Brand, Borås", "2024-10-27T06:00:00+01:00", "2024-10-27T02:30:00+02:00"}, /* twice: first */
      {"27 oktober 03.00, Brand, Borås", "2024-10-27T06:00:00+01:00", "2024-10-27T03:00:00+01:00"},
      /* a publication in UTC still finds the Stockholm year: 2018-12-31T23:30Z is 00:30 on 1 January */
      {"1 januari 00.10, Bråk, Borås", "2018-12-31T23:30:00Z", "2019-01-01T00:10:00+01:00"},
      /* 29 February: the publication year has it */
      {"29 februari 12.00, Stöld, Borås", "2024-03-01T08:00:00+01:00", "2024-02-29T12:00:00+01:00"},
      {"Sammanfattning natt, Västra Götalands län", "2024-03-01T08:00:00+01:00", ""},
      {"28 decembre 14.32, Misshandel", "2018-12-28T14:40:00+01:00", ""},
      {"28 december 24.32, Misshandel", "2018-12-28T14:40:00+01:00", ""},
      {"28 december 14.3, Misshandel", "2018-12-28T14:40:00+01:00", ""},
      {"28 december 14.32 Misshandel", "2018-12-28T14:40:00+01:00", ""},
      {"31 november 14.32, Misshandel", "2018-12-28T14:40:00+01:00", ""},
      {"28 december 14.32, Misshandel", "not a time", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[40] = "";
    bool ok = est_police_occurred_at(cases[i][0], cases[i][1], out, sizeof out);
    if (ok != (cases[i][2][0] != '\0') || (ok && strcmp(out, cases[i][2]) != 0))
      fail_msg("%s @ %s -> %s (%d), want %s", cases[i][0], cases[i][1], out, ok, cases[i][2]);
  }
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
  assert_int_equal(
      map("{\"datetime\":\"2018-12-28 14:32:20 +01:00\",\"type\":\"Brand\",\"location\":{\"gps\":\"57.7\"}}", &ev,
          &errors),
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
  json_t *ce = json_loads(
      "{\"specversion\":\"1.0\",\"id\":\"polisen-1\",\"source\":\"https://polisen.se/api/events\","
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

/* The full type list: 97 types, each decided, every category in the closed
 * list, no type twice (case-folded), and the attribute names the decision. */
static void test_type_list(void **state) {
  (void)state;
  size_t n = 0, mapped = 0, unmapped = 0, summaries = 0;
  for (const est_police_type *t = est_police_types; t->type; t++, n++) {
    const char *cat;
    est_police_disposition d = est_police_classify(t->type, &cat);
    if (d != t->disposition) fail_msg("%s classified %d, listed %d", t->type, d, t->disposition);
    if (d == EST_POLICE_SUMMARY) {
      summaries++;
      assert_null(t->category);
      assert_true(est_police_is_summary(t->type));
      continue;
    }
    if (!est_event_category(t->category)) fail_msg("%s -> %s: not a category", t->type, t->category);
    assert_string_equal(cat, t->category);
    if (d == EST_POLICE_MAPPED) {
      mapped++;
      assert_string_not_equal(t->category, "ovrigt");
    } else {
      assert_int_equal(d, EST_POLICE_UNMAPPED);
      assert_string_equal(t->category, "ovrigt");
      unmapped++;
    }
    for (const est_police_type *u = t + 1; u->type; u++)
      if (est_fold_equal(t->type, strlen(t->type), u->type, strlen(u->type))) fail_msg("%s listed twice", t->type);
  }
  assert_int_equal(n, 97);
  assert_int_equal(summaries, 9);
  assert_int_equal(mapped + unmapped + summaries, n);
  /* the feed's other spellings */
  assert_int_equal(est_police_classify("Larm Inbrott", &(const char *){0}), EST_POLICE_MAPPED);
  assert_string_equal(est_police_category("Larm Överfall"), "hot_och_vald");
  assert_string_equal(est_police_category("SKADEGÖRELSE"), "skadegorelse");
  /* unknown: a variant keeps its base's category; a new type is ovrigt */
  const char *cat;
  assert_int_equal(est_police_classify("Inbrott, grovt", &cat), EST_POLICE_UNKNOWN);
  assert_string_equal(cat, "inbrott_och_stold");
  assert_int_equal(est_police_classify("Drönarlarm", &cat), EST_POLICE_UNKNOWN);
  assert_string_equal(cat, "ovrigt");
  assert_int_equal(est_police_classify("Trafikolycka, vilt", &cat), EST_POLICE_UNMAPPED);
  assert_int_equal(est_police_classify("Sammanfattning morgon", &cat), EST_POLICE_SUMMARY); /* a new bundle */
  assert_string_equal(est_police_disposition_name(EST_POLICE_UNKNOWN), "unknown");
  assert_string_equal(est_police_disposition_name(EST_POLICE_UNMAPPED), "unmapped");

  est_event ev;
  json_t *errors;
  assert_int_equal(map("{\"datetime\":\"2018-12-28 14:32:20 +01:00\",\"type\":\"Trafikolycka\"}", &ev, &errors),
                   EST_REASON_NONE);
  assert_string_equal(ev.category, "ovrigt");
  assert_non_null(strstr(ev.attributes, "\"police_mapping\":\"unmapped\""));
  est_event_free(&ev);
  assert_int_equal(map("{\"datetime\":\"2018-12-28 14:32:20 +01:00\",\"type\":\"Drönarlarm\"}", &ev, &errors),
                   EST_REASON_NONE);
  assert_non_null(strstr(ev.attributes, "\"police_mapping\":\"unknown\""));
  est_event_free(&ev);
  assert_int_equal(map("{\"datetime\":\"2018-12-28 14:32:20 +01:00\",\"type\":\"Stöld\"}", &ev, &errors),
                   EST_REASON_NONE);
  assert_non_null(strstr(ev.attributes, "\"police_mapping\":\"mapped\""));
  est_event_free(&ev);
}

/* Swedish case folding. */
static void test_fold(void **state) {
  (void)state;
  char out[64];
  const char *s = "ÅÄÖ åäö Éé ABC × Ü";
  est_fold(s, strlen(s), out);
  assert_string_equal(out, "åäö åäö éé abc × ü");
  assert_true(est_fold_equal("HÄSSLEHOLMEN", 13, "hässleholmen", 13));
  assert_false(est_fold_equal("Hasslehol", 9, "Hässleho", 9)); /* a is not ä */
  assert_true(est_fold_prefix("SAMMANFATTNING natt", "Sammanfattning"));
  assert_false(est_fold_prefix("Samman", "Sammanfattning"));
}

/* The geocoder's matching of district names in a summary. */
static void test_place_find(void **state) {
  (void)state;
  static const est_place places[] = {
      {1, "Norrby", 0, 0},         {2, "Hässleholmen", 0, 0}, {3, "Hulta", 0, 0},
      {4, "Centrum", 0, 0},        {5, "Sjöbo", 0, 0},        {1, "Norrbyområdet", 0, 0}, /* an alias */
      {6, "Norrby centrum", 0, 0}, /* a longer name of another place */
  };
  size_t n = sizeof places / sizeof places[0];
  static const struct {
    const char *text;
    long long want;
    bool ambiguous;
  } cases[] = {
      {"En man misshandlades på Norrby under natten.", 1, false},
      {"Bilbrand i Hässleholmen.", 2, false},
      {"Bilbrand I HÄSSLEHOLMEN.", 2, false},     /* case folding of ä */
      {"Inbrott i hasslehOlmen.", 0, false},      /* a is not ä */
      {"Stöld på Norrbyvägen i natt.", 0, false}, /* a street, not the district */
      {"Stöld vid Norrbyområdet.", 1, false},     /* alias */
      {"Bråk utanför Hulta torg", 3, false},
      {"Bråk i Hultafors", 0, false},                      /* longer word */
      {"En man från Norrby greps.", 0, false},             /* no place preposition */
      {"Norrby: skadegörelse.", 0, false},                 /* no preposition at all */
      {"Rån på Norrby centrum.", 6, false},                /* the longer name wins */
      {"Bråk på Norrby och i Hulta.", 0, true},            /* two districts */
      {"Bråk på Norrby, sedan igen på Norrby.", 1, false}, /* the same twice */
      {"Brand på Sjöbo.", 5, false},
      {"Brand på Sjöbo-", 5, false}, /* punctuation ends the word */
      {"Brand påNorrby.", 0, false},
      {"Brand i  Hulta.", 3, false}, /* two blanks */
      {"", 0, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bool amb = !cases[i].ambiguous;
    long long got = est_place_find(cases[i].text, places, n, &amb);
    if (got != cases[i].want || amb != cases[i].ambiguous)
      fail_msg("\"%s\" -> %lld (ambiguous %d), want %lld (%d)", cases[i].text, got, amb, cases[i].want,
               cases[i].ambiguous);
  }
  assert_int_equal(est_place_find(NULL, places, n, NULL), 0);
  assert_int_equal(est_place_find("på Norrby", places, 0, NULL), 0);
}

/* The geocoder: a municipality-centroid event whose summary names one
 * district moves to that district's point with precision "district". */
static void test_geocode(void **state) {
  (void)state;
  static const est_place places[] = {
      {1, "Norrby", 12.95, 57.73}, {2, "Hässleholmen", 12.90, 57.74}, {1, "Norrbyområdet", 12.95, 57.73}};
  est_event ev;
  json_t *errors;
#define REC                                                                                         \
  "{\"id\":9,\"datetime\":\"2024-06-03 09:30:00 +02:00\",\"name\":\"3 juni 9.05, Stöld, Borås\"," \
  "\"summary\":\"%s\",\"type\":\"Stöld\",\"location\":{\"name\":\"%s\",\"gps\":\"57.721035,12.939819\"}}"
  char buf[512];
  snprintf(buf, sizeof buf, REC, "Cykelstöld i Hässleholmen under natten.", "Borås");
  assert_int_equal(map(buf, &ev, &errors), EST_REASON_NONE);
  assert_int_equal(est_police_geocode(&ev, "borås", places, 3), 2);
  assert_string_equal(ev.precision, "district");
  assert_true(ev.x == 12.90 && ev.y == 57.74 && ev.srid == 4326);
  json_t *a = json_loads(ev.attributes, 0, NULL);
  assert_string_equal(json_string_value(json_object_get(a, "police_gps")), "57.721035,12.939819");
  assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "police_geocoded"), "area_id")), 2);
  assert_string_equal(json_string_value(json_object_get(json_object_get(a, "police_geocoded"), "name")),
                      "Hässleholmen");
  assert_string_equal(json_string_value(json_object_get(a, "police_type")), "Stöld"); /* kept */
  json_decref(a);
  /* a second call finds nothing to do: it is no longer a centroid */
  assert_int_equal(est_police_geocode(&ev, "Borås", places, 3), 0);
  est_event_free(&ev);

  /* unchanged: no district named, another municipality, geocoder off, a street, two districts */
  static const char *const none[][2] = {{"Stöld på Norrbyvägen.", "Borås"},
                                        {"Stöld på Norrby.", "Ulricehamn"},
                                        {"Stöld.", "Borås"},
                                        {"Bråk på Norrby och i Hässleholmen.", "Borås"}};
  for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
    snprintf(buf, sizeof buf, REC, none[i][0], none[i][1]);
    assert_int_equal(map(buf, &ev, &errors), EST_REASON_NONE);
    char *before = strdup(ev.attributes);
    assert_int_equal(est_police_geocode(&ev, "Borås", places, 3), 0);
    assert_string_equal(ev.precision, "municipality");
    assert_true(ev.x == 12.939819 && ev.y == 57.721035);
    assert_string_equal(ev.attributes, before);
    free(before);
    est_event_free(&ev);
  }
  snprintf(buf, sizeof buf, REC, "Stöld på Norrby.", "Borås");
  assert_int_equal(map(buf, &ev, &errors), EST_REASON_NONE);
  assert_int_equal(est_police_geocode(&ev, NULL, places, 3), 0); /* off */
  assert_int_equal(est_police_geocode(&ev, "", places, 3), 0);
  assert_int_equal(est_police_geocode(&ev, "Borås", places, 3), 1);
  est_event_free(&ev);
  /* a county centroid is not geocoded to a district of the municipality */
  assert_int_equal(
      map("{\"datetime\":\"2024-07-01 10:00:00 +02:00\",\"type\":\"Brand\",\"summary\":\"Brand på Norrby\","
          "\"location\":{\"name\":\"Västra Götalands län\",\"gps\":\"58.25,13.06\"}}",
          &ev, &errors),
      EST_REASON_NONE);
  assert_int_equal(est_police_geocode(&ev, "Västra Götalands län", places, 3), 0);
  assert_string_equal(ev.precision, "county");
  est_event_free(&ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_categories),  cmocka_unit_test(test_record),
      cmocka_unit_test(test_bad_records), cmocka_unit_test(test_long_summary_truncated),
      cmocka_unit_test(test_envelope),    cmocka_unit_test(test_occurred_at_from_name),
      cmocka_unit_test(test_type_list),   cmocka_unit_test(test_fold),
      cmocka_unit_test(test_place_find),  cmocka_unit_test(test_geocode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
