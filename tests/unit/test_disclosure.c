/* test_disclosure.c - the disclosure policy and cell-key rounding
 * (estd/disclosure.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "estd/disclosure.h"
#include "estd/privacy.h"

static const est_caller no_party = {0, false, false};
static const est_caller party7 = {7, false, false};
static const est_caller detail = {7, true, false};
static const est_caller admin = {0, true, true}; /* effective scopes: admin implies read-detail */
static const est_caller admin_only = {0, false, true};

static void test_rows(void **state) {
  (void)state;
  long long p = -1;
  assert_int_equal(est_disclosure_rows(&no_party, &p), EST_ROWS_NONE);
  assert_int_equal(est_disclosure_rows(&party7, &p), EST_ROWS_PARTY);
  assert_int_equal(p, 7);
  assert_int_equal(est_disclosure_rows(&detail, &p), EST_ROWS_ALL);
  assert_int_equal(est_disclosure_rows(&admin, &p), EST_ROWS_ALL);
  assert_int_equal(est_disclosure_rows(&admin_only, &p), EST_ROWS_ALL);
}

static void test_event_view(void **state) {
  (void)state;
  est_event_view v = est_disclosure_event(&party7, 7);
  assert_true(v.visible && v.position && v.exact_time && v.description && v.place_name && v.attributes);
  v = est_disclosure_event(&party7, 8);
  assert_false(v.visible || v.position || v.exact_time || v.description || v.place_name || v.attributes);
  v = est_disclosure_event(&no_party, 8);
  assert_false(v.visible);
  v = est_disclosure_event(&detail, 8);
  assert_true(v.visible && v.position && v.description);
}

static void test_base(void **state) {
  (void)state;
  assert_int_equal(est_disclosure_base(&party7, 3, 0), 3);
  assert_int_equal(est_disclosure_base(&no_party, 3, 0), 3);
  assert_int_equal(est_disclosure_base(&detail, 3, 0), 0);
  assert_int_equal(est_disclosure_base(&admin, 3, 0), 0);
  assert_int_equal(est_disclosure_base(&detail, 3, 5), 5);
  assert_int_equal(est_disclosure_base(&party7, 3, 5), 5);
  assert_int_equal(est_disclosure_base(&party7, 3, 2), 3); /* never below the configured minimum */
  assert_false(est_disclosure_exact_geometry(&party7));
  assert_true(est_disclosure_exact_geometry(&detail));
}

static void test_dead_letters(void **state) {
  (void)state;
  long long p;
  assert_int_equal(est_disclosure_dead_letters(&admin_only, &p), EST_ROWS_ALL);
  assert_int_equal(est_disclosure_dead_letters(&detail, &p), EST_ROWS_PARTY); /* detail is not admin */
  assert_int_equal(p, 7);
  assert_int_equal(est_disclosure_dead_letters(&no_party, &p), EST_ROWS_NONE);
}

static void test_feature_rows(void **state) {
  (void)state;
  long long p = -1;
  assert_int_equal(est_disclosure_feature_rows(&admin_only, &p), EST_ROWS_ALL);
  assert_int_equal(est_disclosure_feature_rows(&admin, &p), EST_ROWS_ALL);
  assert_int_equal(est_disclosure_feature_rows(&detail, &p), EST_ROWS_PARTY); /* its own party only */
  assert_int_equal(p, 7);
  assert_int_equal(est_disclosure_feature_rows(&party7, &p), EST_ROWS_NONE); /* no read-detail */
  assert_int_equal(p, 0);
  assert_int_equal(est_disclosure_feature_rows(&no_party, &p), EST_ROWS_NONE);
  const est_caller detail_no_party = {0, true, false};
  assert_int_equal(est_disclosure_feature_rows(&detail_no_party, &p), EST_ROWS_NONE);
}

static void test_round_values(void **state) {
  (void)state;
  for (uint32_t ck = 0; ck < 2000000000u; ck += 99999989u) {
    for (long long c = 0; c < 40; c++) {
      long long r = est_cell_round(c, ck, 3);
      assert_int_equal(r % 3, 0);
      assert_true(r == c - c % 3 || r == c - c % 3 + 3);
      assert_int_equal(r, est_cell_round(c, ck, 3)); /* deterministic */
    }
    assert_int_equal(est_cell_round(0, ck, 3), 0); /* true zero */
    assert_int_equal(est_cell_round(6, ck, 3), 6); /* multiples stay */
    assert_int_equal(est_cell_round(5, ck, 1), 5); /* k <= 1: exact */
    assert_int_equal(est_cell_round(5, ck, 0), 5);
  }
  /* Threshold: c mod k = 1 rounds up iff ck < 2^31 / 3. */
  assert_int_equal(est_cell_round(1, 0, 3), 3);
  assert_int_equal(est_cell_round(1, 715827882u, 3), 3);
  assert_int_equal(est_cell_round(1, 715827883u, 3), 0);
  assert_int_equal(est_cell_round(2, 1431655765u, 3), 3);
  assert_int_equal(est_cell_round(2, 1431655766u, 3), 0);
  assert_int_equal(est_cell_round(2, 2147483647u, 3), 0);
}

/* Unbiased: over evenly spread keys the mean of the rounded values is c. */
static void test_round_unbiased(void **state) {
  (void)state;
  const uint32_t steps = 300000;
  for (long long c = 1; c <= 7; c++) {
    double sum = 0;
    for (uint32_t i = 0; i < steps; i++) sum += (double)est_cell_round(c, (uint32_t)((2147483648ULL * i) / steps), 3);
    double mean = sum / steps;
    assert_true(mean > (double)c - 0.001 && mean < (double)c + 0.001);
  }
}

/* The default publication policy (privacy.h) is this rounding. */
static void test_publish_tree(void **state) {
  (void)state;
  const char *in =
      "{\"total\":{\"count\":4,\"ck_count\":0,\"previous\":2,\"ck_previous\":2147483000,"
      "\"year_ago\":0,\"ck_year_ago\":0},"
      "\"rows\":[{\"count\":1,\"ck_count\":5},{\"count\":6,\"ck_count\":5},{\"name\":\"x\"}],"
      "\"p\":{\"value\":2,\"ck_value\":-1}}";
  json_t *v = json_loads(in, 0, NULL);
  assert_non_null(v);
  est_publish_policy pol3 = {3, false, NULL, NULL}, pol0 = {0, true, NULL, NULL};
  est_publish_tree(&pol3, "t", v);
  char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
  assert_null(strstr(s, "ck_"));
  json_t *t = json_object_get(v, "total");
  assert_int_equal(json_integer_value(json_object_get(t, "count")), 6);
  assert_true(json_is_false(json_object_get(t, "suppressed")));
  assert_true(json_is_null(json_object_get(t, "previous")));
  assert_true(json_is_true(json_object_get(t, "previous_suppressed")));
  assert_true(json_is_null(json_object_get(t, "year_ago"))); /* true zero: "< 3" as well */
  assert_true(json_is_true(json_object_get(t, "year_ago_suppressed")));
  json_t *rows = json_object_get(v, "rows");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "count")), 3);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 1), "count")), 6);
  assert_null(json_object_get(json_array_get(rows, 2), "suppressed"));
  /* A negative key is taken mod 2^31: -1 -> 2^31 - 1 rounds 2 down. */
  assert_true(json_is_null(json_object_get(json_object_get(v, "p"), "value")));
  assert_true(json_is_true(json_object_get(json_object_get(v, "p"), "value_suppressed")));
  free(s);
  json_decref(v);

  v = json_loads(in, 0, NULL);
  est_publish_tree(&pol0, "t", v); /* exact: counts kept, keys removed */
  s = json_dumps(v, JSON_COMPACT);
  assert_null(strstr(s, "ck_"));
  assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "total"), "previous")), 2);
  assert_true(json_is_false(json_object_get(json_object_get(v, "total"), "previous_suppressed")));
  free(s);
  json_decref(v);

  json_t *p = est_protection_json(3);
  assert_string_equal(json_string_value(json_object_get(p, "method")), "cell-key-rounding");
  assert_int_equal(json_integer_value(json_object_get(p, "base")), 3);
  json_decref(p);
  assert_true(json_is_null(est_protection_json(0)));
}

static void test_publish_json_table(void **state) {
  (void)state;
  json_t *cells = json_loads(
      "[{\"code\":\"a\",\"n\":1,\"ck_n\":0},{\"code\":\"b\",\"n\":4,"
      "\"ck_n\":2000000000},{\"code\":\"c\",\"n\":0}]",
      0, NULL);
  est_publish_policy pol = {3, false, NULL, NULL};
  assert_false(est_publish_json(&pol, "t", cells, "code", -1, "n", "hidden"));
  char *s = json_dumps(cells, JSON_COMPACT | JSON_SORT_KEYS);
  assert_string_equal(s,
                      "[{\"code\":\"a\",\"hidden\":false,\"n\":3},{\"code\":\"b\",\"hidden\":false,\"n\":3},"
                      "{\"code\":\"c\",\"hidden\":true,\"n\":null}]");
  free(s);
  json_decref(cells);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rows),
      cmocka_unit_test(test_event_view),
      cmocka_unit_test(test_base),
      cmocka_unit_test(test_dead_letters),
      cmocka_unit_test(test_feature_rows),
      cmocka_unit_test(test_round_values),
      cmocka_unit_test(test_round_unbiased),
      cmocka_unit_test(test_publish_tree),
      cmocka_unit_test(test_publish_json_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
