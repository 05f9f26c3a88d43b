/* test_cycle.c - EST cycle rules: revision overlap, action status
 * transitions and party rule, outcome judgement with margins of error,
 * follow-up periods per cadence, validators, report assembly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/cycle.h"
#include "estd/disclosure.h"

static est_date D(int y, int m, int d) { return (est_date){y, m, d}; }

static bool has_field(const json_t *errs, const char *field) {
  size_t i;
  json_t *e;
  json_array_foreach(errs, i, e) if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0) return true;
  return false;
}

static void test_revision_rules(void **state) {
  (void)state;
  const char *f, *d;
  /* Follow-up period after the predecessor: fine without supersede. */
  assert_int_equal(est_revision_check(D(2018, 1, 1), D(2020, 12, 31), D(2021, 1, 1), D(2023, 12, 31), false, &f, &d),
                   EST_OK);
  /* Overlap (a day) without supersede: refused, naming valid_from. */
  assert_int_equal(est_revision_check(D(2018, 1, 1), D(2020, 12, 31), D(2020, 12, 31), D(2023, 12, 31), false, &f, &d),
                   EST_EINVAL);
  assert_string_equal(f, "/valid_from");
  /* Overlap with explicit supersede: allowed. */
  assert_int_equal(est_revision_check(D(2018, 1, 1), D(2020, 12, 31), D(2019, 7, 1), D(2021, 6, 30), true, &f, &d),
                   EST_OK);
  /* Supersede without overlap: meaningless, refused on /supersede. */
  assert_int_equal(est_revision_check(D(2018, 1, 1), D(2020, 12, 31), D(2021, 1, 1), D(2023, 12, 31), true, &f, &d),
                   EST_EINVAL);
  assert_string_equal(f, "/supersede");
  /* Starting with or before the predecessor: never a revision. */
  assert_int_equal(est_revision_check(D(2018, 1, 1), D(2020, 12, 31), D(2018, 1, 1), D(2019, 12, 31), true, &f, &d),
                   EST_EINVAL);
  assert_string_equal(f, "/valid_from");
}

static void test_action_transitions(void **state) {
  (void)state;
  assert_true(est_action_transition_allowed("planned", "ongoing"));
  assert_true(est_action_transition_allowed("ongoing", "done"));
  assert_true(est_action_transition_allowed("done", "ongoing"));
  assert_true(est_action_transition_allowed("cancelled", "planned"));
  assert_true(est_action_transition_allowed("done", "done"));
  assert_false(est_action_transition_allowed("done", "cancelled"));
  assert_false(est_action_transition_allowed("cancelled", "done"));
  assert_false(est_action_transition_allowed("done", "planned"));
  assert_false(est_action_transition_allowed("planned", "bogus"));
}

static void test_action_party_rule(void **state) {
  (void)state;
  json_t *cur = json_pack("{s:I}", "responsible_party_id", (json_int_t)2);
  json_t *p_status = json_pack("{s:s}", "status", "done");
  json_t *p_owner = json_pack("{s:I}", "responsible_party_id", (json_int_t)3);
  char why[200];
  assert_int_equal(est_action_patch_allowed(p_status, cur, false, 2, why, sizeof why), EST_OK);
  assert_int_equal(est_action_patch_allowed(p_status, cur, false, 3, why, sizeof why), EST_EFORBIDDEN);
  assert_int_equal(est_action_patch_allowed(p_status, cur, false, 0, why, sizeof why), EST_EFORBIDDEN);
  assert_int_equal(est_action_patch_allowed(p_owner, cur, false, 2, why, sizeof why), EST_EFORBIDDEN);
  assert_int_equal(est_action_patch_allowed(p_owner, cur, true, 0, why, sizeof why), EST_OK);
  json_decref(cur);
  json_decref(p_status);
  json_decref(p_owner);
}

static void test_outcome_judgement(void **state) {
  (void)state;
  est_outcome_judgement j;
  /* 60 % -> 66 %, margins 3 + 3 = 6: a change of exactly 6 is not beyond the margins. */
  est_outcome_judge(60, true, 3, true, 66, true, 3, "increase", &j);
  assert_string_equal(j.verdict, "no_significant_change");
  assert_false(j.significant);
  /* 60 -> 67: beyond, in the wanted direction. */
  est_outcome_judge(60, true, 3, true, 67, true, 3, "increase", &j);
  assert_string_equal(j.verdict, "improved");
  assert_true(j.significant);
  assert_true(j.margins_known);
  /* A drop beyond the margins when an increase is wanted. */
  est_outcome_judge(60, true, 2, true, 50, true, 2, "increase", &j);
  assert_string_equal(j.verdict, "worsened");
  /* decrease wanted (andel otrygga): falling is improving. */
  est_outcome_judge(40, true, 2, true, 30, true, 2, "decrease", &j);
  assert_string_equal(j.verdict, "improved");
  /* A missing margin counts as 0 and is reported. */
  est_outcome_judge(60, false, 0, true, 61, true, 0.5, "increase", &j);
  assert_string_equal(j.verdict, "improved");
  assert_false(j.margins_known);
  est_outcome_judge(60, true, 3, false, 0, false, 0, "increase", &j);
  assert_string_equal(j.verdict, "no_data");
}

static void expect_period(const char *cad, const char *val, est_date today, est_date ef, est_date et) {
  est_date f, t;
  const char *field, *detail;
  assert_int_equal(est_followup_period(cad, val, D(2021, 1, 1), D(2023, 12, 31), today, &f, &t, &field, &detail),
                   EST_OK);
  assert_int_equal(est_date_to_days(f), est_date_to_days(ef));
  assert_int_equal(est_date_to_days(t), est_date_to_days(et));
}

static void test_followup_periods(void **state) {
  (void)state;
  est_date today = D(2022, 5, 17);
  expect_period("quarter", "2021-Q1", today, D(2021, 1, 1), D(2021, 3, 31));
  expect_period("quarter", "2022-Q4", today, D(2022, 10, 1), D(2022, 12, 31));
  expect_period("quarter", NULL, today, D(2022, 4, 1), D(2022, 6, 30));
  expect_period("year", "2023", today, D(2023, 1, 1), D(2023, 12, 31));
  expect_period("week", "2021-W01", today, D(2021, 1, 4), D(2021, 1, 10));
  /* 2020-W53 runs 2020-12-28..2021-01-03: clipped to the agreement. */
  expect_period("week", "2020-W53", today, D(2021, 1, 1), D(2021, 1, 3));
  expect_period("period", NULL, today, D(2021, 1, 1), D(2023, 12, 31));
  /* No value and today after the agreement: its last quarter. */
  expect_period("quarter", NULL, D(2026, 1, 1), D(2023, 10, 1), D(2023, 12, 31));
  est_date f, t;
  const char *field, *detail;
  assert_int_equal(est_followup_period("year", "2019", D(2021, 1, 1), D(2023, 12, 31), today, &f, &t, &field, &detail),
                   EST_EINVAL);
  assert_string_equal(field, "period");
  assert_int_equal(
      est_followup_period("quarter", "2021-Q5", D(2021, 1, 1), D(2023, 12, 31), today, &f, &t, &field, &detail),
      EST_EINVAL);
  assert_int_equal(
      est_followup_period("period", "2021", D(2021, 1, 1), D(2023, 12, 31), today, &f, &t, &field, &detail),
      EST_EINVAL);
}

static est_result run_ind(const char *text, bool patch, char **norm, json_t **errs) {
  json_t *b = json_loads(text, 0, NULL);
  assert_non_null(b);
  *errs = NULL;
  est_result rc = est_indicator_validate(b, patch, norm, errs);
  json_decref(b);
  return rc;
}

static void test_indicator_needs_unit_and_source(void **state) {
  (void)state;
  char *norm = NULL;
  json_t *errs;
  assert_int_equal(run_ind("{\"indicator\":\"trygghet\",\"measure\":\"andel-trygga\",\"area_id\":1,"
                           "\"period_from\":\"2017-01-01\",\"period_to\":\"2017-12-31\",\"value\":61.5}",
                           false, &norm, &errs),
                   EST_EINVAL);
  assert_true(has_field(errs, "/unit"));
  assert_true(has_field(errs, "/source"));
  json_decref(errs);
  assert_int_equal(run_ind("{\"indicator\":\"trygghet\",\"measure\":\"andel-trygga\",\"area_id\":1,"
                           "\"period_from\":\"2017-01-01\",\"period_to\":\"2017-12-31\",\"value\":61.5,"
                           "\"unit\":\"percent\",\"source\":\"Trygghetsundersökning Borås Stad 2017\","
                           "\"sample_size\":812,\"margin_of_error\":3.4}",
                           false, &norm, &errs),
                   EST_OK);
  assert_non_null(strstr(norm, "\"margin_of_error\":\"3.4\""));
  free(norm);
  json_decref(errs);
  /* Negative margin and period backwards. */
  assert_int_equal(run_ind("{\"margin_of_error\":-1,\"period_from\":\"2017-12-31\",\"period_to\":\"2017-01-01\"}", true,
                           &norm, &errs),
                   EST_EINVAL);
  assert_true(has_field(errs, "/margin_of_error"));
  assert_true(has_field(errs, "/period_to"));
  json_decref(errs);
}

static void test_meeting_snapshot_frozen(void **state) {
  (void)state;
  json_t *b = json_pack("{s:s}", "held_on", "2021-03-01");
  char *norm = NULL;
  json_t *errs = NULL;
  assert_int_equal(est_meeting_validate(b, true, &norm, &errs), EST_ECONFLICT);
  assert_true(has_field(errs, "/held_on"));
  json_decref(errs);
  json_decref(b);
  b = json_pack("{s:s}", "notes", "Beslut om insatser");
  errs = NULL;
  assert_int_equal(est_meeting_validate(b, true, &norm, &errs), EST_OK);
  free(norm);
  json_decref(b);
  /* Default lägesbild week: the ISO week before the meeting. */
  est_period p;
  assert_int_equal(est_meeting_period("2021-03-01", NULL, &p), EST_OK);
  assert_int_equal(p.iso_week, 8);
  assert_int_equal(est_date_to_days(p.from), est_date_to_days(D(2021, 2, 22)));
  assert_int_equal(est_date_to_days(p.to), est_date_to_days(D(2021, 3, 1)));
  /* A hot spot needs exactly one of rank and area_id. */
  b = json_loads(
      "{\"agreement_id\":1,\"held_on\":\"2021-03-01\",\"party_ids\":[1],\"hot_spots\":"
      "[{\"rank\":1,\"area_id\":2,\"reason\":\"x\",\"valid_from\":\"2021-03-01\",\"valid_to\":\"2021-03-31\"}]}",
      0, NULL);
  errs = NULL;
  assert_int_equal(est_meeting_validate(b, false, &norm, &errs), EST_EINVAL);
  assert_true(has_field(errs, "/hot_spots/0/rank"));
  json_decref(errs);
  json_decref(b);
}

static void test_signing_roles_only(void **state) {
  (void)state;
  json_t *b = json_loads(
      "{\"signed_on\":\"2021-02-01\",\"signatories\":[{\"party_id\":1,\"role_title\":"
      "\"Lokalpolisområdeschef\"},{\"party_id\":2,\"role_title\":\"19121212-1212\"}]}",
      0, NULL);
  char *norm = NULL;
  json_t *errs = NULL;
  assert_int_equal(est_signing_validate(b, &norm, &errs), EST_EINVAL);
  assert_true(has_field(errs, "/signatories/1/role_title"));
  assert_false(has_field(errs, "/signatories/0/role_title"));
  json_decref(errs);
  json_decref(b);
}

static void test_followup_csv(void **state) {
  (void)state;
  json_t *doc = json_loads(
      "{\"period\":{\"from\":\"2021-01-01\",\"to\":\"2021-03-31\"},"
      "\"commitments\":[{\"id\":7,\"code\":\"ml-1\",\"text\":\"Patrullering, hot spot\",\"status\":\"ongoing\","
      "\"progress\":{\"period_value\":12,\"measure_used\":\"count\"},\"status_history\":[{\"status\":\"ongoing\","
      "\"previous\":\"planned\",\"changed_at\":\"2021-02-01T10:00:00+01:00\"}]}],"
      "\"actions\":[{\"id\":3,\"kind\":\"patrol\",\"area_id\":9,\"title\":\"Fotpatrull\",\"status\":\"done\","
      "\"evidence_count\":2}],\"incident_trends\":[],\"indicators\":[],\"meetings\":[]}",
      0, NULL);
  assert_non_null(doc);
  est_buf b = EST_BUF_INIT;
  assert_int_equal(est_followup_csv(doc, &b), EST_OK);
  assert_non_null(strstr(b.data, "section,id,code,area,title,status,value,unit,from,to,note\r\n"));
  assert_non_null(
      strstr(b.data, "commitment,7,ml-1,,\"Patrullering, hot spot\",ongoing,12,count,2021-01-01,2021-03-31,"));
  assert_non_null(strstr(b.data, "commitment_status,7,ml-1,,,ongoing,,,2021-02-01T10:00:00+01:00,,planned"));
  assert_non_null(strstr(b.data, "action,3,patrol,9,Fotpatrull,done,2,events,,,"));
  est_buf_free(&b);
  json_decref(doc);
}

static void test_statutory_sections(void **state) {
  (void)state;
  json_t *data = json_loads("{\"incidents\":{\"by_category\":[]},\"actions\":[],\"meetings\":[]}", 0, NULL);
  json_t *doc = est_statutory_report(data);
  json_t *s = json_object_get(doc, "sections");
  assert_non_null(json_object_get(s, "kartlaggning"));
  assert_non_null(json_object_get(s, "ovrig_relevant_information"));
  json_t *parts = json_object_get(json_object_get(s, "analys"), "parts");
  assert_true(json_array_size(parts) >= 3);
  assert_true(json_is_null(json_object_get(json_array_get(parts, 0), "text")));
  assert_non_null(strstr(json_string_value(json_object_get(doc, "legal_basis")), "2023:196"));
  json_decref(doc);
  json_decref(data);
}

static void test_situation_diff(void **state) {
  (void)state;
  json_t *then = json_loads(
      "{\"incidents\":{\"total\":{\"count\":8},\"by_category\":[{\"code\":\"skadegorelse\","
      "\"label_sv\":\"Skadegörelse\",\"count\":8},{\"code\":\"klotter\",\"count\":0}]},"
      "\"hot_spots\":[{}],\"freshness\":{\"newest_occurred_at\":\"a\"}}",
      0, NULL);
  json_t *now = json_loads(
      "{\"incidents\":{\"total\":{\"count\":9},\"by_category\":[{\"code\":\"skadegorelse\","
      "\"count\":8},{\"code\":\"klotter\",\"count\":1},{\"code\":\"brand\",\"count\":null}]},"
      "\"hot_spots\":[{},{}],\"freshness\":{\"newest_occurred_at\":\"b\"}}",
      0, NULL);
  json_t *d = est_situation_diff(then, now);
  assert_true(json_is_true(json_object_get(d, "changed")));
  assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "total"), "change")), 1);
  json_t *cats = json_object_get(d, "by_category");
  assert_int_equal(json_array_size(cats), 3);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(cats, 1), "change")), 1);
  /* a category only now, suppressed: no number to compare */
  assert_true(json_is_null(json_object_get(json_array_get(cats, 2), "change")));
  assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "hot_spots"), "now")), 2);
  json_decref(d);
  d = est_situation_diff(then, then);
  assert_false(json_is_true(json_object_get(d, "changed")));
  json_decref(d);
  json_decref(then);
  json_decref(now);
}

static void test_followup_protect(void **state) {
  (void)state;
  const char *text =
      "{\"incidents\":{\"total\":12,\"ck_total\":77,\"by_category\":[{\"category\":\"brand\",\"count\":10,"
      "\"ck_count\":5},{\"category\":\"klotter\",\"count\":2,\"ck_count\":9}]},\"incident_trends\":["
      "{\"area_id\":1,\"total\":1,\"ck_total\":4,\"previous_total\":0,\"ck_previous_total\":0,"
      "\"series\":[{\"from\":\"a\",\"count\":1,\"ck_count\":4},{\"from\":\"b\",\"count\":0,\"ck_count\":0}]},"
      "{\"area_id\":2,\"total\":10,\"ck_total\":123,\"previous_total\":4,\"ck_previous_total\":99,"
      "\"series\":[{\"from\":\"a\",\"count\":7,\"ck_count\":1000},{\"from\":\"b\",\"count\":3,"
      "\"ck_count\":2000}]}],\"presence\":[{\"area_id\":2,\"patrols\":5,\"ck_patrols\":31}]}";
  json_t *doc = json_loads(text, 0, NULL);
  est_publish_policy p3 = {3, false, NULL, NULL};
  est_followup_protect(doc, &p3);
  char *out = json_dumps(doc, JSON_COMPACT);
  assert_null(strstr(out, "ck_")); /* no cell key is ever published */
  free(out);
  json_t *cats = json_object_get(json_object_get(doc, "incidents"), "by_category");
  assert_int_equal(json_integer_value(json_object_get(json_array_get(cats, 0), "count")), est_cell_round(10, 5, 3));
  long long klotter = est_cell_round(2, 9, 3);
  json_t *kv = json_object_get(json_array_get(cats, 1), "count");
  if (klotter == 0) assert_true(json_is_null(kv));
  else assert_int_equal(json_integer_value(kv), klotter);
  json_t *t = json_object_get(doc, "incident_trends");
  json_t *a1 = json_array_get(t, 0), *a2 = json_array_get(t, 1);
  if (est_cell_round(1, 4, 3) == 0) {
    /* a hidden total is not rebuilt from its series */
    assert_true(json_is_null(json_object_get(a1, "total")));
    assert_true(json_is_null(json_object_get(json_array_get(json_object_get(a1, "series"), 0), "count")));
  }
  assert_int_equal(json_integer_value(json_object_get(a2, "total")), est_cell_round(10, 123, 3));
  assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(a2, "series"), 0), "count")),
                   est_cell_round(7, 1000, 3));
  /* presence goes through the policy too (est_publish_tree) */
  long long pat = json_integer_value(json_object_get(json_array_get(json_object_get(doc, "presence"), 0), "patrols"));
  assert_true(pat % 3 == 0);
  assert_true(json_is_true(json_object_get(json_object_get(doc, "privacy"), "suppression_applied")));
  json_decref(doc);
  /* read-detail (k = 0): exact */
  doc = json_loads(text, 0, NULL);
  est_publish_policy p0 = {0, true, NULL, NULL};
  est_followup_protect(doc, &p0);
  assert_int_equal(json_integer_value(json_object_get(
                       json_array_get(json_object_get(json_object_get(doc, "incidents"), "by_category"), 1), "count")),
                   2);
  out = json_dumps(doc, JSON_COMPACT);
  assert_null(strstr(out, "ck_"));
  free(out);
  json_decref(doc);
}

static void test_snapshot_visibility(void **state) {
  (void)state;
  est_caller detail = {1, true, false}, polis = {1, false, false}, stad = {2, false, false}, anon = {0, false, false};
  assert_true(est_snapshot_visible(&detail, 0, &detail, 0));
  assert_false(est_snapshot_visible(&detail, 0, &polis, 3)); /* frozen with read-detail */
  assert_true(est_snapshot_visible(&polis, 3, &polis, 3));
  assert_false(est_snapshot_visible(&polis, 3, &stad, 3)); /* made for another party's own rows */
  assert_true(est_snapshot_visible(&polis, 3, &detail, 0));
  assert_true(est_snapshot_visible(&anon, 3, &stad, 3));
  assert_false(est_snapshot_visible(&anon, 3, &stad, 5)); /* the reader's base is coarser */
  assert_false(est_snapshot_visible(&anon, 0, &stad, 3)); /* exact counts frozen */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_revision_rules),
      cmocka_unit_test(test_action_transitions),
      cmocka_unit_test(test_action_party_rule),
      cmocka_unit_test(test_outcome_judgement),
      cmocka_unit_test(test_followup_periods),
      cmocka_unit_test(test_indicator_needs_unit_and_source),
      cmocka_unit_test(test_meeting_snapshot_frozen),
      cmocka_unit_test(test_signing_roles_only),
      cmocka_unit_test(test_followup_csv),
      cmocka_unit_test(test_statutory_sections),
      cmocka_unit_test(test_situation_diff),
      cmocka_unit_test(test_followup_protect),
      cmocka_unit_test(test_snapshot_visibility),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
