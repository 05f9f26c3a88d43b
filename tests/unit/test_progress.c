/* test_progress.c - unit tests for commitment progress evaluation
 * (domain/progress.c) and the agreement report (domain/report.c): the
 * current bucket, percentage and on_track from the store's rows, attaching
 * progress to lists and reports, and the report's CSV. Expected values
 * computed by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "estd/progress.h"
#include "estd/report.h"

/* A target of at least 10 per quarter, measured in three buckets. */
static const char *const ROW =
    "{\"commitment_id\":5,\"target\":{\"value\":10,\"comparison\":\"at_least\",\"per\":\"quarter\"},"
    "\"buckets\":[{\"from\":\"2024-01-01\",\"to\":\"2024-03-31\",\"value\":12},"
    "{\"from\":\"2024-04-01\",\"to\":\"2024-06-30\",\"value\":3},"
    "{\"from\":\"2024-07-01\",\"to\":\"2024-09-30\",\"value\":0}]}";

/* Exact publication for a read-detail caller. */
static const est_publish_policy EXACT = {0, true, NULL, NULL};
static const est_caller DETAIL = {1, true, false};

static json_t *row(void) {
  json_t *p = json_loads(ROW, 0, NULL);
  assert_non_null(p);
  return p;
}

static void test_evaluate_current_bucket(void **state) {
  (void)state;
  json_t *p = row();
  /* 2024-05-15: the second bucket; 45 of its 91 days have ended (1 April
   * .. 15 May), so 10 * 45/91 = 4.95 are due and 3 are not on track. */
  est_progress_evaluate(p, (est_date){2024, 5, 15}, &EXACT, &DETAIL);
  assert_string_equal(json_string_value(json_object_get(p, "evaluated_on")), "2024-05-15");
  assert_int_equal(json_integer_value(json_object_get(p, "value")), 3);
  assert_string_equal(json_string_value(json_object_get(json_object_get(p, "current_bucket"), "from")), "2024-04-01");
  assert_true(json_real_value(json_object_get(p, "elapsed_fraction")) == 0.4945);
  assert_true(json_real_value(json_object_get(p, "percentage")) == 30.0);
  assert_true(json_is_false(json_object_get(p, "on_track")));
  json_decref(p);

  /* before the first bucket: the first one, nothing elapsed, on track */
  p = row();
  est_progress_evaluate(p, (est_date){2023, 12, 1}, &EXACT, &DETAIL);
  assert_string_equal(json_string_value(json_object_get(json_object_get(p, "current_bucket"), "to")), "2024-03-31");
  assert_true(json_real_value(json_object_get(p, "elapsed_fraction")) == 0.0);
  assert_true(json_is_true(json_object_get(p, "on_track")));
  json_decref(p);

  /* after the last: the last one, fully elapsed, 0 of 10 */
  p = row();
  est_progress_evaluate(p, (est_date){2025, 1, 1}, &EXACT, &DETAIL);
  assert_string_equal(json_string_value(json_object_get(json_object_get(p, "current_bucket"), "from")), "2024-07-01");
  assert_true(json_real_value(json_object_get(p, "elapsed_fraction")) == 1.0);
  assert_true(json_is_false(json_object_get(p, "on_track")));
  json_decref(p);
}

static void test_evaluate_without_target_or_buckets(void **state) {
  (void)state;
  json_t *p = json_loads("{\"target\":null,\"buckets\":null}", 0, NULL);
  est_progress_evaluate(p, (est_date){2024, 5, 15}, &EXACT, &DETAIL);
  assert_true(json_is_null(json_object_get(p, "value")));
  assert_true(json_is_null(json_object_get(p, "current_bucket")));
  assert_true(json_is_null(json_object_get(p, "percentage")));
  assert_true(json_is_null(json_object_get(p, "on_track")));
  json_decref(p);
}

static void test_ids_and_attach(void **state) {
  (void)state;
  json_t *items = json_loads("[{\"id\":5,\"code\":\"a\"},{\"id\":6,\"code\":\"b\"}]", 0, NULL);
  long long *ids;
  size_t n;
  assert_int_equal(est_progress_ids(items, &ids, &n), EST_OK);
  assert_int_equal(n, 2);
  assert_int_equal(ids[0], 5);
  assert_int_equal(ids[1], 6);
  free(ids);
  assert_int_equal(est_progress_ids(NULL, &ids, &n), EST_EINTERNAL);
  json_t *rows = json_object();
  json_object_set_new(rows, "5", row());
  est_progress_attach(items, rows, (est_date){2024, 5, 15}, &EXACT, &DETAIL);
  json_t *p = json_object_get(json_array_get(items, 0), "progress");
  assert_true(json_is_false(json_object_get(p, "on_track"))); /* evaluated */
  assert_true(json_is_null(json_object_get(json_array_get(items, 1), "progress")));
  json_decref(rows);
  json_decref(items);
}

static void test_report(void **state) {
  (void)state;
  json_t *doc = json_loads(
      "{\"agreement\":{\"id\":1,\"code\":\"AG-1\"},\"commitments\":[{\"id\":5,\"code\":\"C1\",\"text\":\"Trygg, \\\"ren\\\"\","
      "\"status\":\"ongoing\",\"cooperation_area\":{\"code\":\"SA\"},"
      "\"responsible_parties\":[{\"name\":\"Polisen\"},{\"name\":\"Borås Stad\"}],"
      "\"target\":{\"value\":10,\"unit\":\"walks\",\"comparison\":\"at_least\",\"per\":\"quarter\"}},"
      "{\"id\":6,\"code\":\"C2\",\"responsible_parties\":[],\"target\":null}]}",
      0, NULL);
  assert_non_null(doc);
  long long *ids;
  size_t n;
  assert_int_equal(est_report_commitment_ids(doc, &ids, &n), EST_OK);
  assert_int_equal(n, 2);
  free(ids);
  json_t *rows = json_object();
  json_object_set_new(rows, "5", row());
  est_report_finish(doc, rows, (est_date){2024, 5, 15}, &EXACT, &DETAIL);
  json_decref(rows);
  assert_string_equal(json_string_value(json_object_get(doc, "generated_on")), "2024-05-15");
  assert_true(json_is_null(json_object_get(json_array_get(json_object_get(doc, "commitments"), 1), "progress")));
  est_buf b = EST_BUF_INIT;
  assert_int_equal(est_report_csv(doc, &b), EST_OK);
  const char *header =
      "agreement_code,commitment_id,code,cooperation_area,text,status,follow_up_note,"
      "responsible_parties,target_value,target_unit,target_comparison,target_per,target_from,"
      "target_to,measure,period_from,period_to,current_bucket_from,current_bucket_to,value,total,"
      "percentage,on_track,last_event_at\r\n";
  assert_true(strncmp(b.data, header, strlen(header)) == 0);
  const char *r1 = b.data + strlen(header);
  const char *want1 =
      "AG-1,5,C1,SA,\"Trygg, \"\"ren\"\"\",ongoing,,Polisen; Borås Stad,10,walks,at_least,quarter,,,,,,"
      "2024-04-01,2024-06-30,3,,30,false,\r\n";
  assert_true(strncmp(r1, want1, strlen(want1)) == 0);
  assert_string_equal(r1 + strlen(want1), "AG-1,6,C2,,,,,,,,,,,,,,,,,,,,,\r\n");
  est_buf_free(&b);
  json_decref(doc);
}

/* Disclosure: a count indicator's buckets and total are rounded through the
 * policy before value and percentage are derived; another party's last
 * event is withheld. */
static void test_evaluate_disclosure(void **state) {
  (void)state;
  const char *text =
      "{\"indicator\":{\"measure\":\"count\"},\"target\":{\"value\":10,\"comparison\":\"at_least\"},"
      "\"total\":4,\"ck_total\":2000000000,"
      "\"buckets\":[{\"from\":\"2024-01-01\",\"to\":\"2024-12-31\",\"value\":4,\"ck_value\":2000000000}],"
      "\"last_event\":{\"id\":9,\"occurred_at\":\"2024-05-01T10:00:00+00:00\",\"kind\":\"activity\",\"party_id\":2}}";
  est_publish_policy pol = {3, false, NULL, NULL};
  est_caller own = {2, false, false}, other = {3, false, false};
  json_t *p = json_loads(text, 0, NULL);
  est_progress_evaluate(p, (est_date){2025, 1, 1}, &pol, &own);
  assert_int_equal(json_integer_value(json_object_get(p, "value")), 3); /* 4 rounded down by its key */
  assert_int_equal(json_integer_value(json_object_get(p, "total")), 3);
  assert_true(json_real_value(json_object_get(p, "percentage")) == 30.0); /* from the published 3, not 4 */
  assert_true(json_is_false(json_object_get(p, "value_suppressed")));
  assert_non_null(json_object_get(json_object_get(p, "last_event"), "occurred_at"));
  char *s = json_dumps(p, JSON_COMPACT);
  assert_null(strstr(s, "ck_"));
  free(s);
  json_decref(p);
  p = json_loads(text, 0, NULL);
  est_progress_evaluate(p, (est_date){2025, 1, 1}, &pol, &other);
  assert_true(json_is_null(json_object_get(p, "last_event")));
  json_decref(p);
  p = json_loads(text, 0, NULL);
  est_progress_evaluate(p, (est_date){2025, 1, 1}, &EXACT, &other);
  assert_int_equal(json_integer_value(json_object_get(p, "value")), 4);
  json_decref(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_evaluate_disclosure),
      cmocka_unit_test(test_evaluate_current_bucket),
      cmocka_unit_test(test_evaluate_without_target_or_buckets),
      cmocka_unit_test(test_ids_and_attach),
      cmocka_unit_test(test_report),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
