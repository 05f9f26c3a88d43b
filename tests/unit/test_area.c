/* test_area.c - area and area-focus body validation, geo query parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/area.h"

typedef est_result (*validate_fn)(const json_t *, bool, char **, json_t **);

static est_result run(validate_fn fn, const char *text, bool patch, char **norm, json_t **errs) {
  json_t *b = json_loads(text, JSON_DECODE_ANY, NULL);
  assert_non_null(b);
  *errs = NULL;
  est_result rc = fn(b, patch, norm, errs);
  json_decref(b);
  return rc;
}

static bool has_field(const json_t *errs, const char *field) {
  size_t i;
  json_t *e;
  json_array_foreach(errs, i, e) if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0) return true;
  return false;
}

/* Expects EST_EINVAL with exactly the given fields (NULL-terminated). */
static void expect_fields(validate_fn fn, const char *text, bool patch, const char *const *fields) {
  char *norm = (char *)"untouched";
  json_t *errs;
  assert_int_equal(run(fn, text, patch, &norm, &errs), EST_EINVAL);
  assert_null(norm);
  size_t n = 0;
  for (; fields[n]; n++) {
    if (!has_field(errs, fields[n])) {
      char *s = json_dumps(errs, 0);
      fprintf(stderr, "missing %s in %s\n", fields[n], s);
      free(s);
      fail();
    }
  }
  assert_int_equal(json_array_size(errs), n);
  json_decref(errs);
}

/* Expects EST_OK and returns the normalized object (caller decrefs). */
static json_t *expect_ok(validate_fn fn, const char *text, bool patch) {
  char *norm = NULL;
  json_t *errs;
  est_result rc = run(fn, text, patch, &norm, &errs);
  if (rc != EST_OK) {
    char *s = json_dumps(errs, 0);
    fprintf(stderr, "unexpected errors: %s\n", s);
    free(s);
  }
  assert_int_equal(rc, EST_OK);
  assert_null(errs);
  assert_non_null(norm);
  json_t *j = json_loads(norm, 0, NULL);
  free(norm);
  assert_non_null(j);
  return j;
}

#define GEOM "{\"type\":\"Polygon\",\"coordinates\":[[[12.93,57.72],[12.94,57.72],[12.94,57.73],[12.93,57.72]]]}"

static void test_area_valid_create(void **state) {
  (void)state;
  json_t *j = expect_ok(est_area_validate,
                        "{\"name\":\"Hulta torg\",\"kind\":\"hot_spot\",\"code\":\"hulta-torg-2\",\"approximate\":true,"
                        "\"description\":null,\"geometry\":" GEOM "}",
                        false);
  assert_string_equal(json_string_value(json_object_get(j, "name")), "Hulta torg");
  assert_true(json_is_true(json_object_get(j, "approximate")));
  assert_true(json_is_null(json_object_get(j, "description")));
  assert_string_equal(json_string_value(json_object_get(json_object_get(j, "geometry"), "type")), "Polygon");
  json_decref(j);
  /* Optional members may be absent on create, and are then absent. */
  j = expect_ok(est_area_validate, "{\"name\":\"Ö\",\"kind\":\"other\",\"geometry\":" GEOM "}", false);
  assert_null(json_object_get(j, "code"));
  assert_null(json_object_get(j, "approximate"));
  json_decref(j);
}

static void test_area_required_and_all_errors(void **state) {
  (void)state;
  static const char *const req[] = {"/name", "/kind", "/geometry", NULL};
  expect_fields(est_area_validate, "{}", false, req);
  /* Every bad field is reported, unknown fields by name. */
  static const char *const all[] = {
      "/name", "/kind", "/code", "/approximate", "/description", "/colour", "/geometry/coordinates/0", NULL};
  expect_fields(est_area_validate,
                "{\"name\":\"\",\"kind\":\"stadsdel\",\"code\":\"Not A Slug\",\"approximate\":\"yes\","
                "\"description\":7,\"colour\":\"red\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
                "[[[0,0],[1,0],[1,1],[0,1]]]}}",
                false, all);
  static const char *const root[] = {"", NULL};
  expect_fields(est_area_validate, "[1]", false, root);
}

static void test_area_lengths(void **state) {
  (void)state;
  /* 200 characters (multi-byte) pass, 201 fail: length counts characters. */
  char name[1024] = "";
  for (int i = 0; i < 200; i++) strcat(name, "ö");
  char body[2048];
  snprintf(body, sizeof body, "{\"name\":\"%s\"}", name);
  json_decref(expect_ok(est_area_validate, body, true));
  strcat(name, "a");
  snprintf(body, sizeof body, "{\"name\":\"%s\"}", name);
  static const char *const f[] = {"/name", NULL};
  expect_fields(est_area_validate, body, true, f);
  /* description up to 4000 */
  char *desc = malloc(4100 + 32);
  memcpy(desc, "{\"description\":\"", 16);
  memset(desc + 16, 'x', 4001);
  memcpy(desc + 16 + 4001, "\"}", 3);
  static const char *const d[] = {"/description", NULL};
  expect_fields(est_area_validate, desc, true, d);
  free(desc);
}

static void test_area_patch(void **state) {
  (void)state;
  /* Everything optional; null clears code/description, refused elsewhere. */
  json_t *j = expect_ok(est_area_validate, "{}", true);
  assert_int_equal(json_object_size(j), 0);
  json_decref(j);
  j = expect_ok(est_area_validate, "{\"code\":null,\"description\":null}", true);
  assert_true(json_is_null(json_object_get(j, "code")));
  assert_int_equal(json_object_size(j), 2);
  json_decref(j);
  static const char *const nulls[] = {"/name", "/kind", "/approximate", "/geometry", NULL};
  expect_fields(est_area_validate, "{\"name\":null,\"kind\":null,\"approximate\":null,\"geometry\":null}", true, nulls);
}

#define FOCUS "\"area_id\":3,\"agreement_id\":1,\"reason\":\"Kraftsamling\",\"valid_from\":\"2018-01-01\""

static void test_focus_valid(void **state) {
  (void)state;
  json_t *j =
      expect_ok(est_focus_validate, "{" FOCUS ",\"priority\":1,\"valid_to\":\"2020-12-31\",\"code\":\"x-1\"}", false);
  assert_int_equal(json_integer_value(json_object_get(j, "priority")), 1);
  assert_int_equal(json_integer_value(json_object_get(j, "area_id")), 3);
  json_decref(j);
  /* party instead of agreement; valid_to null; same-day period */
  json_decref(expect_ok(est_focus_validate,
                        "{\"area_id\":3,\"party_id\":2,\"reason\":\"r\",\"valid_from\":\"2024-02-29\","
                        "\"valid_to\":\"2024-02-29\"}",
                        false));
  json_decref(expect_ok(est_focus_validate,
                        "{\"area_id\":3,\"party_id\":2,\"agreement_id\":null,\"reason\":\"r\","
                        "\"valid_from\":\"2024-01-01\",\"valid_to\":null}",
                        false));
}

static void test_focus_errors(void **state) {
  (void)state;
  static const char *const req[] = {"/area_id", "/agreement_id", "/reason", "/valid_from", NULL};
  expect_fields(est_focus_validate, "{}", false, req);
  static const char *const owner[] = {"/agreement_id", NULL};
  expect_fields(
      est_focus_validate,
      "{\"area_id\":1,\"agreement_id\":null,\"party_id\":null,\"reason\":\"r\",\"valid_from\":\"2018-01-01\"}", false,
      owner);
  static const char *const bad[] = {"/area_id", "/party_id", "/priority", "/valid_from", "/valid_to",
                                    "/code",    "/reason",   "/extra",    NULL};
  expect_fields(est_focus_validate,
                "{\"area_id\":0,\"agreement_id\":1,\"party_id\":\"2\",\"priority\":6,\"valid_from\":\"2019-02-29\","
                "\"valid_to\":\"31/12/2020\",\"code\":\"-x\",\"reason\":\"\",\"extra\":true}",
                false, bad);
  static const char *const order[] = {"/valid_to", NULL};
  expect_fields(est_focus_validate, "{" FOCUS ",\"valid_to\":\"2017-12-31\"}", false, order);
  static const char *const prio[] = {"/priority", NULL};
  expect_fields(est_focus_validate, "{" FOCUS ",\"priority\":2.5}", false, prio);
  expect_fields(est_focus_validate, "{" FOCUS ",\"priority\":0}", false, prio);
  expect_fields(est_focus_validate, "{\"priority\":null}", true, prio);
  static const char *const id[] = {"/area_id", NULL};
  expect_fields(est_focus_validate, "{\"area_id\":1.0}", true, id);
  expect_fields(est_focus_validate, "{\"area_id\":null}", true, id);
}

static void test_focus_patch(void **state) {
  (void)state;
  json_t *j = expect_ok(est_focus_validate, "{\"party_id\":null,\"valid_to\":null,\"priority\":5}", true);
  assert_int_equal(json_object_size(j), 3);
  assert_true(json_is_null(json_object_get(j, "party_id")));
  json_decref(j);
}

static void test_slug_and_date(void **state) {
  (void)state;
  assert_true(est_slug_valid("norrby-suo"));
  assert_true(est_slug_valid("a"));
  assert_true(est_slug_valid("so-2018-1"));
  assert_false(est_slug_valid(""));
  assert_false(est_slug_valid("-a"));
  assert_false(est_slug_valid("a-"));
  assert_false(est_slug_valid("a--b"));
  assert_false(est_slug_valid("Norrby"));
  assert_false(est_slug_valid("hässleholmen"));
  assert_false(est_slug_valid("a_b"));
  char longslug[128];
  memset(longslug, 'a', 101);
  longslug[101] = '\0';
  assert_false(est_slug_valid(longslug));
  assert_true(est_date_valid("2018-01-01"));
  assert_true(est_date_valid("2000-02-29"));
  assert_false(est_date_valid("1900-02-29"));
  assert_false(est_date_valid("2018-13-01"));
  assert_false(est_date_valid("2018-1-01"));
  assert_false(est_date_valid("0000-01-01"));
}

static void test_latlon_and_bbox(void **state) {
  (void)state;
  double lat, lon, b[4];
  assert_int_equal(est_parse_latlon("57.728,12.93", &lat, &lon), EST_OK);
  assert_true(lat == 57.728 && lon == 12.93);
  assert_int_equal(est_parse_latlon("-90,180", &lat, &lon), EST_OK);
  assert_int_equal(est_parse_latlon("91,12", &lat, &lon), EST_EINVAL);
  assert_int_equal(est_parse_latlon("57,181", &lat, &lon), EST_EINVAL);
  assert_int_equal(est_parse_latlon("57", &lat, &lon), EST_EINVAL);
  assert_int_equal(est_parse_latlon("57,12,1", &lat, &lon), EST_EINVAL);
  assert_int_equal(est_parse_latlon("57, 12", &lat, &lon), EST_EINVAL);
  assert_int_equal(est_parse_latlon("nan,12", &lat, &lon), EST_EINVAL);
  assert_int_equal(est_parse_latlon("0x10,12", &lat, &lon), EST_EINVAL);
  assert_int_equal(est_parse_latlon("", &lat, &lon), EST_EINVAL);
  assert_int_equal(est_parse_bbox("12.9,57.7,13.0,57.75", b), EST_OK);
  assert_true(b[0] == 12.9 && b[1] == 57.7 && b[2] == 13.0 && b[3] == 57.75);
  assert_int_equal(est_parse_bbox("13.0,57.7,12.9,57.75", b), EST_EINVAL); /* min > max */
  assert_int_equal(est_parse_bbox("12.9,57.7,13.0", b), EST_EINVAL);
  assert_int_equal(est_parse_bbox("12.9,-91,13.0,57", b), EST_EINVAL);
  assert_int_equal(est_parse_bbox("12.9,57.7,13.0,57.75,", b), EST_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_area_valid_create), cmocka_unit_test(test_area_required_and_all_errors),
      cmocka_unit_test(test_area_lengths),      cmocka_unit_test(test_area_patch),
      cmocka_unit_test(test_focus_valid),       cmocka_unit_test(test_focus_errors),
      cmocka_unit_test(test_focus_patch),       cmocka_unit_test(test_slug_and_date),
      cmocka_unit_test(test_latlon_and_bbox),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
