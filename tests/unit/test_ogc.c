/* test_ogc.c - OGC API - Features: CRSs, bbox, datetime, the hot-spot
 * period and the documents' links (pure, domain/ogc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/ogc.h"

static void test_crs_table(void **state) {
  (void)state;
  const est_ogc_crs *c = est_ogc_crs_find(NULL);
  assert_string_equal(c->uri, EST_OGC_CRS84);
  assert_int_equal(c->srid, 4326);
  assert_false(c->swap);
  c = est_ogc_crs_find(EST_OGC_EPSG4326);
  assert_int_equal(c->srid, 4326);
  assert_true(c->swap); /* EPSG:4326 is latitude, longitude */
  c = est_ogc_crs_find(EST_OGC_EPSG3006);
  assert_int_equal(c->srid, 3006);
  assert_true(c->swap); /* EPSG:3006 is northing, easting */
  assert_null(est_ogc_crs_find("EPSG:3006"));
  assert_null(est_ogc_crs_find("http://www.opengis.net/def/crs/EPSG/0/3857"));
  assert_null(est_ogc_crs_find(""));
  json_t *l = est_ogc_crs_list();
  assert_int_equal(json_array_size(l), 3);
  assert_string_equal(json_string_value(json_array_get(l, 0)), EST_OGC_CRS84);
  json_decref(l);
}

static void expect_bbox(const char *s, const char *crs, double x0, double y0, double x1, double y1) {
  double b[4];
  const char *why = NULL;
  assert_int_equal(est_ogc_bbox_parse(s, est_ogc_crs_find(crs), b, &why), EST_OK);
  assert_true(b[0] == x0 && b[1] == y0 && b[2] == x1 && b[3] == y1);
}

static void expect_bad_bbox(const char *s, const char *crs) {
  double b[4];
  const char *why = NULL;
  if (est_ogc_bbox_parse(s, est_ogc_crs_find(crs), b, &why) != EST_EPARSE) {
    fprintf(stderr, "accepted bbox '%s'\n", s ? s : "(null)");
    fail();
  }
  assert_non_null(why);
}

static void test_bbox(void **state) {
  (void)state;
  expect_bbox("12.9,57.7,13,57.8", NULL, 12.9, 57.7, 13, 57.8);
  /* heights are accepted and ignored */
  expect_bbox("12.9,57.7,-5,13,57.8,100", NULL, 12.9, 57.7, 13, 57.8);
  /* EPSG:4326 and EPSG:3006 are given in their own axis order: swapped to x/y */
  expect_bbox("57.7,12.9,57.8,13", EST_OGC_EPSG4326, 12.9, 57.7, 13, 57.8);
  expect_bbox("6399000,376000,6401000,379000.5", EST_OGC_EPSG3006, 376000, 6399000, 379000.5, 6401000);
  expect_bbox("-180,-90,180,90", NULL, -180, -90, 180, 90);
  expect_bbox("1e1,2E1,3e1,4e1", NULL, 10, 20, 30, 40);
  expect_bad_bbox(NULL, NULL);
  expect_bad_bbox("", NULL);
  expect_bad_bbox("1,2,3", NULL);
  expect_bad_bbox("1,2,3,4,5", NULL);
  expect_bad_bbox("1,2,3,4,5,6,7", NULL);
  expect_bad_bbox("1,2,3,4,", NULL);
  expect_bad_bbox(",1,2,3,4", NULL);
  expect_bad_bbox("1,,3,4", NULL);
  expect_bad_bbox("1, 2,3,4", NULL);
  expect_bad_bbox("a,2,3,4", NULL);
  expect_bad_bbox("nan,2,3,4", NULL);
  expect_bad_bbox("inf,2,3,4", NULL);
  expect_bad_bbox("0x1,2,3,4", NULL);
  expect_bad_bbox("1e999,2,3,4", NULL);
  expect_bad_bbox("13,57.7,12.9,57.8", NULL); /* across the antimeridian: refused */
  expect_bad_bbox("12.9,57.8,13,57.7", NULL);
  expect_bad_bbox("-181,0,1,1", NULL);
  expect_bad_bbox("0,-91,1,1", NULL);
  expect_bad_bbox("0,0,1,91", EST_OGC_CRS84);
  expect_bad_bbox("0,0,91,1", EST_OGC_EPSG4326); /* latitude first */
  /* metres are not degrees */
  expect_bbox("6399000,376000,6401000,379000", EST_OGC_EPSG3006, 376000, 6399000, 379000, 6401000);
  expect_bad_bbox("6399000,376000,6401000,379000", NULL);
}

static void test_datetime(void **state) {
  (void)state;
  est_ogc_interval iv;
  const char *why;
  assert_int_equal(est_ogc_datetime_parse("2026-11-02T08:00:00Z", &iv, &why), EST_OK);
  assert_true(iv.instant);
  assert_string_equal(iv.start, "2026-11-02T08:00:00Z");
  assert_string_equal(iv.end, "2026-11-02T08:00:00Z");
  assert_true(iv.start_s == iv.end_s);

  assert_int_equal(est_ogc_datetime_parse("2026-11-02T00:00:00+01:00/2026-11-09T00:00:00Z", &iv, &why), EST_OK);
  assert_false(iv.instant);
  assert_string_equal(iv.start, "2026-11-02T00:00:00+01:00");
  assert_string_equal(iv.end, "2026-11-09T00:00:00Z");
  assert_true(iv.end_s - iv.start_s == 7 * 86400 + 3600);

  assert_int_equal(est_ogc_datetime_parse("../2026-11-09T00:00:00Z", &iv, &why), EST_OK);
  assert_string_equal(iv.start, "");
  assert_string_equal(iv.end, "2026-11-09T00:00:00Z");
  assert_int_equal(est_ogc_datetime_parse("/2026-11-09T00:00:00Z", &iv, &why), EST_OK);
  assert_string_equal(iv.start, "");
  assert_int_equal(est_ogc_datetime_parse("2026-11-09T00:00:00Z/..", &iv, &why), EST_OK);
  assert_string_equal(iv.end, "");
  assert_int_equal(est_ogc_datetime_parse("2026-11-09T00:00:00Z/", &iv, &why), EST_OK);
  assert_string_equal(iv.end, "");
  /* the same instant at both ends is a closed interval */
  assert_int_equal(est_ogc_datetime_parse("2026-11-09T00:00:00Z/2026-11-09T01:00:00+01:00", &iv, &why), EST_OK);

  static const char *const bad[] = {"",
                                    "..",
                                    "../..",
                                    "/",
                                    "2026-11-02",
                                    "2026-11-02T08:00:00",
                                    "2026-11-02T",
                                    "2026-11-02T08:00:00Z/x",
                                    "2026-11-09T00:00:00Z/2026-11-02T00:00:00Z",
                                    "2026-11-02T08:00:00Z/2026-11-03T08:00:00Z/..",
                                    "2026-02-30T00:00:00Z",
                                    "2026-11-02T08:00:00Z ",
                                    " 2026-11-02T08:00:00Z",
                                    "2026-11-02T08:00:00Z/2026-11-03T08:00:00.123456789012345678901234567890Z",
                                    NULL};
  for (int i = 0; bad[i]; i++) {
    if (est_ogc_datetime_parse(bad[i], &iv, &why) != EST_EPARSE) {
      fprintf(stderr, "accepted datetime '%s'\n", bad[i]);
      fail();
    }
    assert_non_null(why);
  }
  assert_int_equal(est_ogc_datetime_parse(NULL, &iv, &why), EST_EPARSE);
}

static est_date d(int y, int m, int day) {
  est_date x = {y, m, day};
  return x;
}

static void expect_period(const char *dt, est_date today, const char *from, const char *to, int week) {
  est_ogc_interval iv;
  const char *why;
  if (dt) assert_int_equal(est_ogc_datetime_parse(dt, &iv, &why), EST_OK);
  est_period p;
  assert_int_equal(est_ogc_period(dt ? &iv : NULL, today, &p, &why), EST_OK);
  char f[11], t[11];
  est_date_format(p.from, f, sizeof f);
  est_date_format(p.to, t, sizeof t);
  assert_string_equal(f, from);
  assert_string_equal(t, to);
  assert_int_equal(p.iso_week, week);
}

static void test_period(void **state) {
  (void)state;
  /* none: the ISO week of today (2026-12-01 is a Tuesday of W49) */
  expect_period(NULL, d(2026, 12, 1), "2026-11-30", "2026-12-07", 49);
  /* an instant: its local date's ISO week; 23:30Z on Sunday is Monday in Stockholm */
  expect_period("2026-11-15T12:00:00Z", d(2000, 1, 1), "2026-11-09", "2026-11-16", 46);
  expect_period("2026-11-15T23:30:00Z", d(2000, 1, 1), "2026-11-16", "2026-11-23", 47);
  /* a closed interval: its local dates; an end on local midnight is exclusive */
  expect_period("2026-11-01T23:00:00Z/2026-11-08T23:00:00Z", d(2000, 1, 1), "2026-11-02", "2026-11-09", 45);
  expect_period("2026-11-02T00:00:00+01:00/2026-11-04T12:00:00+01:00", d(2000, 1, 1), "2026-11-02", "2026-11-05", 0);
  /* summer time: local midnight is 22:00Z */
  expect_period("2026-06-30T22:00:00Z/2026-07-31T22:00:00Z", d(2000, 1, 1), "2026-07-01", "2026-08-01", 0);

  est_ogc_interval iv;
  const char *why;
  est_period p;
  assert_int_equal(est_ogc_datetime_parse("2026-11-02T00:00:00Z/..", &iv, &why), EST_OK);
  assert_int_equal(est_ogc_period(&iv, d(2026, 12, 1), &p, &why), EST_EPARSE);
  assert_int_equal(est_ogc_datetime_parse("2020-01-01T00:00:00Z/2026-01-01T00:00:00Z", &iv, &why), EST_OK);
  assert_int_equal(est_ogc_period(&iv, d(2026, 12, 1), &p, &why), EST_EPARSE);
}

static const char *link_href(json_t *doc, const char *rel) {
  size_t i;
  json_t *l;
  json_array_foreach(json_object_get(doc, "links"), i, l) {
    if (strcmp(json_string_value(json_object_get(l, "rel")), rel) == 0)
      return json_string_value(json_object_get(l, "href"));
  }
  return NULL;
}

static void test_href_encoding(void **state) {
  (void)state;
  est_buf b = EST_BUF_INIT;
  const char *kv[] = {"crs", EST_OGC_EPSG3006, "skip", NULL, "datetime", "../2026-11-02T08:00:00+01:00",
                      "q",   "a b&c=d#",       NULL};
  est_ogc_href(&b, "http://h:1/ogc", "/x", kv);
  char *s = est_buf_steal(&b);
  assert_string_equal(s,
                      "http://h:1/ogc/x?crs=http://www.opengis.net/def/crs/EPSG/0/3006"
                      "&datetime=../2026-11-02T08:00:00%2B01:00&q=a%20b%26c%3Dd%23");
  free(s);
}

static void test_documents(void **state) {
  (void)state;
  const char *base = "http://h:1/ogc";
  json_t *land = est_ogc_landing(base);
  assert_string_equal(link_href(land, "self"), "http://h:1/ogc");
  assert_string_equal(link_href(land, "conformance"), "http://h:1/ogc/conformance");
  assert_string_equal(link_href(land, "data"), "http://h:1/ogc/collections");
  assert_string_equal(link_href(land, "service-desc"), "http://h:1/ogc/api");
  json_decref(land);
  json_t *api = est_ogc_api_definition(base);
  assert_string_equal(json_string_value(json_object_get(api, "openapi")), "3.0.3");
  json_t *items = json_object_get(json_object_get(api, "paths"), "/collections/{collectionId}/items");
  assert_int_equal(json_array_size(json_object_get(json_object_get(items, "get"), "parameters")), 8);
  json_decref(api);

  json_t *conf = est_ogc_conformance();
  json_t *classes = json_object_get(conf, "conformsTo");
  assert_int_equal(json_array_size(classes), 4);
  assert_string_equal(json_string_value(json_array_get(classes, 3)),
                      "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs");
  json_decref(conf);

  const est_ogc_collection *c = est_ogc_collection_find("events");
  assert_non_null(c);
  assert_true(c->temporal);
  assert_false(est_ogc_collection_find("areas")->temporal);
  assert_null(est_ogc_collection_find("nope"));
  assert_null(est_ogc_collection_find(NULL));
  double bb[4] = {12.9, 57.7, 13.0, 57.8};
  json_t *cd = est_ogc_collection_doc(base, c, bb, "2026-01-01T00:00:00Z", NULL, EST_OGC_EPSG3006);
  assert_string_equal(json_string_value(json_object_get(cd, "storageCrs")), EST_OGC_CRS84);
  assert_int_equal(json_array_size(json_object_get(cd, "crs")), 3);
  assert_string_equal(link_href(cd, "items"),
                      "http://h:1/ogc/collections/events/items?crs=http://www.opengis.net/def/crs/EPSG/0/3006");
  json_t *iv = json_object_get(json_object_get(json_object_get(cd, "extent"), "temporal"), "interval");
  assert_true(json_is_null(json_array_get(json_array_get(iv, 0), 1)));
  json_decref(cd);
  cd = est_ogc_collection_doc(base, est_ogc_collection_find("areas"), NULL, NULL, NULL, NULL);
  assert_null(json_object_get(json_object_get(cd, "extent"), "spatial"));
  assert_null(json_object_get(json_object_get(cd, "extent"), "temporal"));
  assert_string_equal(link_href(cd, "items"), "http://h:1/ogc/collections/areas/items");
  json_decref(cd);

  const char *q[] = {"bbox", "1,2,3,4", "crs", NULL, "limit", "2", NULL};
  json_t *fc = est_ogc_items_doc(base, c, json_pack("[{s:s}]", "type", "Feature"), 7, q, "CUR", false);
  assert_int_equal(json_integer_value(json_object_get(fc, "numberMatched")), 7);
  assert_int_equal(json_integer_value(json_object_get(fc, "numberReturned")), 1);
  assert_string_equal(link_href(fc, "self"), "http://h:1/ogc/collections/events/items?bbox=1,2,3,4&limit=2");
  assert_string_equal(link_href(fc, "alternate"),
                      "http://h:1/ogc/collections/events/items?bbox=1,2,3,4&limit=2&f=json");
  assert_string_equal(link_href(fc, "collection"), "http://h:1/ogc/collections/events");
  assert_string_equal(link_href(fc, "next"), "http://h:1/ogc/collections/events/items?bbox=1,2,3,4&limit=2&cursor=CUR");
  json_decref(fc);
  /* f=json: self is the JSON encoding, and so is next; no numberMatched when unknown */
  fc = est_ogc_items_doc(base, c, json_array(), -1, q, NULL, true);
  assert_null(json_object_get(fc, "numberMatched"));
  assert_int_equal(json_integer_value(json_object_get(fc, "numberReturned")), 0);
  assert_string_equal(link_href(fc, "self"), "http://h:1/ogc/collections/events/items?bbox=1,2,3,4&limit=2&f=json");
  assert_string_equal(link_href(fc, "alternate"), "http://h:1/ogc/collections/events/items?bbox=1,2,3,4&limit=2");
  assert_null(link_href(fc, "next"));
  json_decref(fc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_crs_table), cmocka_unit_test(test_bbox),          cmocka_unit_test(test_datetime),
      cmocka_unit_test(test_period),    cmocka_unit_test(test_href_encoding), cmocka_unit_test(test_documents),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
