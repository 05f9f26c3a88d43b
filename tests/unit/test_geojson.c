/* test_geojson.c - GeoJSON Polygon/MultiPolygon validation (pure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/geojson.h"

/* Validates the JSON text; returns the result and leaves errors in *errs. */
static est_result check(const char *text, json_t **errs) {
  json_error_t e;
  json_t *g = json_loads(text, 0, &e);
  assert_non_null(g);
  *errs = NULL;
  est_result rc = est_geojson_validate_area(g, "/geometry", errs);
  json_decref(g);
  return rc;
}

/* True if some error names exactly `field` and its detail contains `word`. */
static bool has_error(const json_t *errs, const char *field, const char *word) {
  size_t i;
  json_t *e;
  json_array_foreach(errs, i, e) {
    const char *f = json_string_value(json_object_get(e, "field"));
    const char *d = json_string_value(json_object_get(e, "detail"));
    if (f && d && strcmp(f, field) == 0 && strstr(d, word)) return true;
  }
  return false;
}

static void expect_ok(const char *text) {
  json_t *errs;
  est_result rc = check(text, &errs);
  if (rc != EST_OK) {
    char *s = json_dumps(errs, 0);
    fprintf(stderr, "unexpected errors for %s: %s\n", text, s);
    free(s);
  }
  assert_int_equal(rc, EST_OK);
  assert_null(errs);
}

static void expect_error(const char *text, const char *field, const char *word) {
  json_t *errs;
  assert_int_equal(check(text, &errs), EST_EINVAL);
  assert_non_null(errs);
  if (!has_error(errs, field, word)) {
    char *s = json_dumps(errs, 0);
    fprintf(stderr, "expected %s ~ '%s' in %s\n", field, word, s);
    free(s);
    fail();
  }
  json_decref(errs);
}

#define SQUARE "[[12.93,57.72],[12.94,57.72],[12.94,57.73],[12.93,57.73],[12.93,57.72]]"

static void test_valid_shapes(void **state) {
  (void)state;
  expect_ok("{\"type\":\"Polygon\",\"coordinates\":[" SQUARE "]}");
  /* integers, a hole, altitude, bbox member */
  expect_ok(
      "{\"type\":\"Polygon\",\"bbox\":[0,0,10,10],\"coordinates\":[[[0,0],[10,0],[10,10],[0,10],[0,0]],"
      "[[2,2],[3,2],[3,3],[2,2]]]}");
  expect_ok("{\"type\":\"Polygon\",\"coordinates\":[[[0,0,5],[1,0,5],[1,1,5],[0,0,5]]]}");
  expect_ok("{\"type\":\"MultiPolygon\",\"coordinates\":[[" SQUARE "],[[[13,57],[13.1,57],[13.1,57.1],[13,57]]]]}");
  /* the extreme ranges are allowed */
  expect_ok("{\"type\":\"Polygon\",\"coordinates\":[[[-180,-90],[180,-90],[180,90],[-180,-90]]]}");
}

static void test_unclosed_ring(void **state) {
  (void)state;
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1]]]}", "/geometry/coordinates/0",
               "closed");
  /* closed in lon/lat but not altitude */
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[[[0,0,1],[1,0,1],[1,1,1],[0,0,2]]]}", "/geometry/coordinates/0",
               "closed");
  expect_error("{\"type\":\"MultiPolygon\",\"coordinates\":[[" SQUARE "],[[[0,0],[1,0],[1,1],[0,1]]]]}",
               "/geometry/coordinates/1/0", "closed");
}

static void test_too_few_points(void **state) {
  (void)state;
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[0,0]]]}", "/geometry/coordinates/0", "at least 4");
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[[]]}", "/geometry/coordinates/0", "at least 4");
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[]}", "/geometry/coordinates", "at least one");
  expect_error("{\"type\":\"MultiPolygon\",\"coordinates\":[]}", "/geometry/coordinates", "at least one");
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0]]]}", "/geometry/coordinates/0/3",
               "longitude and latitude");
}

static void test_out_of_range(void **state) {
  (void)state;
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[180.5,0],[1,1],[0,0]]]}", "/geometry/coordinates/0/1/0",
               "longitude");
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,-90.01],[1,1],[0,0]]]}", "/geometry/coordinates/0/1/1",
               "latitude");
  /* lat,lon swapped for Borås: 57.72 as longitude is fine, 12.93 as latitude
   * too, so swapping is only caught when out of range; SWEREF 99 metres are: */
  expect_error(
      "{\"type\":\"Polygon\",\"coordinates\":[[[371000,6400000],[372000,6400000],[372000,6401000],"
      "[371000,6400000]]]}",
      "/geometry/coordinates/0/0/0", "longitude");
}

static void test_bad_bbox(void **state) {
  (void)state;
  expect_ok("{\"type\":\"Polygon\",\"bbox\":[0,0,0,10,10,5],\"coordinates\":[" SQUARE "]}");
  expect_error("{\"type\":\"Polygon\",\"bbox\":[0,0,10],\"coordinates\":[" SQUARE "]}", "/geometry/bbox", "bbox");
  expect_error("{\"type\":\"Polygon\",\"bbox\":\"0,0,10,10\",\"coordinates\":[" SQUARE "]}", "/geometry/bbox", "bbox");
  expect_error("{\"type\":\"Polygon\",\"bbox\":[0,0,10,\"10\"],\"coordinates\":[" SQUARE "]}", "/geometry/bbox",
               "bbox");
  expect_error("{\"type\":\"Polygon\",\"bbox\":[0,0,10,181],\"coordinates\":[" SQUARE "]}", "/geometry/bbox", "bbox");
}

static void test_wrong_nesting(void **state) {
  (void)state;
  /* Polygon coordinates given as a single ring (one level short). */
  expect_error("{\"type\":\"Polygon\",\"coordinates\":" SQUARE "}", "/geometry/coordinates/0", "nesting");
  /* MultiPolygon coordinates given as a Polygon's. */
  expect_error("{\"type\":\"MultiPolygon\",\"coordinates\":[" SQUARE "]}", "/geometry/coordinates/0", "nesting");
  /* One level too deep. */
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[[" SQUARE "]]}", "/geometry/coordinates/0/0", "nesting");
  expect_error("{\"type\":\"Polygon\",\"coordinates\":{\"a\":1}}", "/geometry/coordinates", "array");
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[5]}", "/geometry/coordinates/0", "ring");
  expect_error("{\"type\":\"Polygon\"}", "/geometry/coordinates", "required");
}

static void test_non_numbers(void **state) {
  (void)state;
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[\"1\",0],[1,1],[0,0]]]}", "/geometry/coordinates/0/1/0",
               "number");
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,null],[1,1],[0,0]]]}", "/geometry/coordinates/0/1/1",
               "number");
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,true],[1,1],[0,0]]]}", "/geometry/coordinates/0/1/1",
               "number");
}

static void test_extra_dimensions(void **state) {
  (void)state;
  expect_error("{\"type\":\"Polygon\",\"coordinates\":[[[0,0,0,0],[1,0,0,0],[1,1,0,0],[0,0,0,0]]]}",
               "/geometry/coordinates/0/0", "at most 3");
}

static void test_wrong_type(void **state) {
  (void)state;
  expect_error("{\"type\":\"Point\",\"coordinates\":[12.9,57.7]}", "/geometry/type", "Polygon");
  expect_error("{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}", "/geometry/type", "Polygon");
  expect_error("{\"type\":\"polygon\",\"coordinates\":[" SQUARE "]}", "/geometry/type", "Polygon");
  expect_error("{\"type\":7,\"coordinates\":[" SQUARE "]}", "/geometry/type", "Polygon");
  expect_error("{\"coordinates\":[" SQUARE "]}", "/geometry/type", "Polygon");
  expect_error("[1,2]", "/geometry", "object");
  expect_error("{\"type\":\"Feature\",\"geometry\":null}", "/geometry/type", "Polygon");
  /* crs and other members are refused */
  expect_error("{\"type\":\"Polygon\",\"crs\":{\"type\":\"name\"},\"coordinates\":[" SQUARE "]}", "/geometry/crs",
               "WGS84");
  expect_error("{\"type\":\"Polygon\",\"foo\":1,\"coordinates\":[" SQUARE "]}", "/geometry/foo", "unknown");
}

static void test_position_limit(void **state) {
  (void)state;
  /* A ring of EST_GEOJSON_MAX_POSITIONS + 1 positions is refused with one
   * error, without walking it. */
  json_t *ring = json_array();
  for (int i = 0; i <= EST_GEOJSON_MAX_POSITIONS; i++) json_array_append_new(ring, json_pack("[f,f]", 0.0, 0.0));
  json_t *g = json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", ring);
  json_t *errs = NULL;
  assert_int_equal(est_geojson_validate_area(g, "/geometry", &errs), EST_EINVAL);
  assert_int_equal(json_array_size(errs), 1);
  assert_true(has_error(errs, "/geometry/coordinates/0", "at most 100000"));
  json_decref(errs);
  json_decref(g);
}

static void test_error_cap(void **state) {
  (void)state;
  /* 50 bad positions yield at most EST_GEOJSON_MAX_ERRORS errors. */
  json_t *ring = json_array();
  for (int i = 0; i < 50; i++) json_array_append_new(ring, json_pack("[s,s]", "a", "b"));
  json_t *g = json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", ring);
  json_t *errs = NULL;
  assert_int_equal(est_geojson_validate_area(g, "/geometry", &errs), EST_EINVAL);
  assert_int_equal(json_array_size(errs), EST_GEOJSON_MAX_ERRORS);
  json_decref(errs);
  json_decref(g);
}

static void test_normalize_keeps_type_and_coordinates(void **state) {
  (void)state;
  json_t *g = json_loads("{\"type\":\"Polygon\",\"bbox\":[1,2,3,4],\"coordinates\":[" SQUARE "]}", 0, NULL);
  json_t *n = est_geojson_normalize(g);
  assert_non_null(n);
  assert_int_equal(json_object_size(n), 2);
  assert_string_equal(json_string_value(json_object_get(n, "type")), "Polygon");
  assert_true(json_equal(json_object_get(n, "coordinates"), json_object_get(g, "coordinates")));
  json_decref(n);
  json_decref(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_shapes),
      cmocka_unit_test(test_unclosed_ring),
      cmocka_unit_test(test_too_few_points),
      cmocka_unit_test(test_out_of_range),
      cmocka_unit_test(test_bad_bbox), /* the one member besides type and coordinates */
      cmocka_unit_test(test_wrong_nesting),
      cmocka_unit_test(test_non_numbers),
      cmocka_unit_test(test_extra_dimensions),
      cmocka_unit_test(test_wrong_type),
      cmocka_unit_test(test_position_limit),
      cmocka_unit_test(test_error_cap),
      cmocka_unit_test(test_normalize_keeps_type_and_coordinates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
