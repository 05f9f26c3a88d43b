/* test_commitment.c - unit tests for commitment validation and mapping,
 * JSON merge patch (RFC 7396) and the PATCH party/field rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/commitment.h"
#include "estd/util.h"

static json_t *load(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
  if (!j) fail_msg("bad test JSON: %s: %s", e.text, text);
  return j;
}

/* Detail recorded for field, or NULL. */
static const char *error_for(const json_t *errors, const char *field) {
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
      return json_string_value(json_object_get(e, "detail"));
  }
  return NULL;
}

/* Parses text in mode and expects exactly the listed fields (NULL-terminated) to fail. */
static void expect_errors(const char *text, est_commitment_mode mode, const char *const *fields) {
  json_t *doc = load(text);
  json_t *errors = NULL;
  est_commitment_input in;
  est_result rc = est_commitment_parse(doc, mode, &in, &errors);
  size_t n = 0;
  for (; fields[n]; n++) {
    if (!error_for(errors, fields[n])) {
      char *dump = errors ? json_dumps(errors, 0) : NULL;
      print_error("missing error for %s in %s\n", fields[n], dump ? dump : "(none)");
      free(dump);
      fail();
    }
  }
  assert_int_equal(rc, n ? EST_EINVAL : EST_OK);
  if (json_array_size(errors) != n) {
    char *dump = json_dumps(errors, 0);
    print_error("expected %zu errors, got %s\n", n, dump);
    free(dump);
    fail();
  }
  json_decref(errors);
  json_decref(doc);
}

#define ERRS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_ERRS ((const char *const[]){NULL})

static void test_minimal_create_defaults(void **state) {
  (void)state;
  json_t *doc = load(
      "{\"agreement_id\": 1, \"text\": \"Polisen förbinder sig att medverka i SSPF\","
      " \"responsible_party_ids\": [2]}");
  json_t *errors = NULL;
  est_commitment_input in;
  assert_int_equal(est_commitment_parse(doc, EST_COMMITMENT_CREATE, &in, &errors), EST_OK);
  assert_null(errors);
  assert_int_equal(in.agreement_id, 1);
  assert_int_equal(in.cooperation_area_id, 0);
  assert_null(in.code);
  assert_string_equal(in.text, "Polisen förbinder sig att medverka i SSPF");
  assert_int_equal(in.nparties, 1);
  assert_int_equal(in.party_ids[0], 2);
  assert_int_equal(in.nareas, 0);
  assert_false(in.has_target);
  assert_string_equal(in.status, "planned");
  assert_null(in.follow_up_note);
  json_decref(doc);
}

static void test_full_create_maps_every_field(void **state) {
  (void)state;
  json_t *doc = load(
      "{\"agreement_id\": 1, \"cooperation_area_id\": 3, \"code\": \"so-1-polisen-9\","
      " \"text\": \"t\", \"responsible_party_ids\": [3, 1], \"area_ids\": [5, 4, 6],"
      " \"target\": {\"value\": 2.5, \"unit\": \"network_group\", \"comparison\": \"at_most\","
      " \"per\": \"quarter\", \"from\": \"2020-02-29\", \"to\": \"2020-02-29\"},"
      " \"status\": \"partially_fulfilled\", \"follow_up_note\": \"\"}");
  json_t *errors = NULL;
  est_commitment_input in;
  assert_int_equal(est_commitment_parse(doc, EST_COMMITMENT_CREATE, &in, &errors), EST_OK);
  assert_int_equal(in.cooperation_area_id, 3);
  assert_string_equal(in.code, "so-1-polisen-9");
  assert_int_equal(in.nparties, 2);
  assert_int_equal(in.party_ids[0], 3);
  assert_int_equal(in.party_ids[1], 1);
  assert_int_equal(in.nareas, 3);
  assert_int_equal(in.area_ids[2], 6);
  assert_true(in.has_target);
  assert_string_equal(in.target.value, "2.5");
  assert_string_equal(in.target.unit, "network_group");
  assert_string_equal(in.target.comparison, "at_most");
  assert_string_equal(in.target.per, "quarter");
  assert_string_equal(in.target.from, "2020-02-29");
  assert_string_equal(in.target.to, "2020-02-29");
  assert_string_equal(in.status, "partially_fulfilled");
  assert_string_equal(in.follow_up_note, "");
  json_decref(doc);

  doc = load(
      "{\"agreement_id\": 1, \"text\": \"t\", \"responsible_party_ids\": [1], \"target\": {\"value\": 9,"
      " \"unit\": \"u\", \"comparison\": \"exactly\", \"per\": \"period\", \"from\": \"2018-01-01\","
      " \"to\": \"2020-12-31\"}, \"code\": null, \"cooperation_area_id\": null, \"area_ids\": null,"
      " \"follow_up_note\": null}");
  assert_int_equal(est_commitment_parse(doc, EST_COMMITMENT_CREATE, &in, &errors), EST_OK);
  assert_string_equal(in.target.value, "9");
  assert_null(in.code);
  assert_int_equal(in.nareas, 0);
  json_decref(doc);
}

static void test_not_an_object(void **state) {
  (void)state;
  expect_errors("[1, 2]", EST_COMMITMENT_CREATE, ERRS(""));
  expect_errors("\"text\"", EST_COMMITMENT_CREATE, ERRS(""));
  expect_errors("null", EST_COMMITMENT_MERGED, ERRS(""));
}

static void test_required_fields(void **state) {
  (void)state;
  expect_errors("{}", EST_COMMITMENT_CREATE, ERRS("/agreement_id", "/text", "/responsible_party_ids"));
  expect_errors("{}", EST_COMMITMENT_MERGED, ERRS("/agreement_id", "/text", "/responsible_party_ids", "/status"));
}

static void test_unknown_and_readonly_fields(void **state) {
  (void)state;
  expect_errors(
      "{\"agreement_id\": 1, \"text\": \"t\", \"responsible_party_ids\": [1], \"colour\": \"red\","
      " \"a/b~c\": 1, \"id\": 4, \"version\": 2}",
      EST_COMMITMENT_CREATE, ERRS("/colour", "/a~1b~0c", "/id", "/version"));
  json_t *doc = load("{\"id\": 4, \"version\": 2}");
  json_t *errors = NULL;
  est_commitment_input in;
  est_commitment_parse(doc, EST_COMMITMENT_CREATE, &in, &errors);
  assert_string_equal(error_for(errors, "/id"), "is read-only");
  json_decref(errors);
  json_decref(doc);
  /* A stored representation carries the read-only fields; they are ignored. */
  expect_errors(
      "{\"id\": 4, \"created_at\": \"x\", \"updated_at\": \"y\", \"version\": 2, \"agreement_id\": 1,"
      " \"text\": \"t\", \"responsible_party_ids\": [1], \"status\": \"ongoing\", \"target\": null}",
      EST_COMMITMENT_MERGED, NO_ERRS);
}

static void test_wrong_types_all_collected(void **state) {
  (void)state;
  expect_errors(
      "{\"agreement_id\": \"1\", \"cooperation_area_id\": 1.0, \"code\": 5, \"text\": [],"
      " \"responsible_party_ids\": 7, \"area_ids\": {}, \"target\": 3, \"status\": true,"
      " \"follow_up_note\": 1}",
      EST_COMMITMENT_CREATE,
      ERRS("/agreement_id", "/cooperation_area_id", "/code", "/text", "/responsible_party_ids", "/area_ids", "/target",
           "/status", "/follow_up_note"));
  expect_errors("{\"agreement_id\": 0, \"text\": null, \"responsible_party_ids\": [1], \"status\": null}",
                EST_COMMITMENT_CREATE, ERRS("/agreement_id", "/text", "/status"));
  expect_errors("{\"agreement_id\": -3, \"text\": \"t\", \"responsible_party_ids\": [1], \"status\": \"done\"}",
                EST_COMMITMENT_CREATE, ERRS("/agreement_id", "/status"));
}

static void test_text_lengths(void **state) {
  (void)state;
  expect_errors("{\"agreement_id\": 1, \"text\": \"\", \"responsible_party_ids\": [1]}", EST_COMMITMENT_CREATE,
                ERRS("/text"));
  /* NUL inside a string (http_body_json rejects \u0000 already; the domain does too). */
  json_t *nul =
      json_pack("{s:i, s:s#, s:[i]}", "agreement_id", 1, "text", "a\0b", (size_t)3, "responsible_party_ids", 1);
  json_t *nerr = NULL;
  est_commitment_input nin;
  assert_int_equal(est_commitment_parse(nul, EST_COMMITMENT_CREATE, &nin, &nerr), EST_EINVAL);
  assert_string_equal(error_for(nerr, "/text"), "must not contain NUL characters");
  json_decref(nerr);
  json_decref(nul);
  /* 4000 characters of two bytes each (å) is fine; 4001 is not. */
  size_t n = 4001;
  char *text = malloc(n * 2 + 1);
  for (size_t i = 0; i < n; i++) memcpy(text + 2 * i, "\xc3\xa5", 2);
  text[(n - 1) * 2] = '\0';
  json_t *doc = json_pack("{s:i, s:s, s:[i]}", "agreement_id", 1, "text", text, "responsible_party_ids", 1);
  json_t *errors = NULL;
  est_commitment_input in;
  assert_int_equal(est_commitment_parse(doc, EST_COMMITMENT_CREATE, &in, &errors), EST_OK);
  json_decref(doc);
  memcpy(text + (n - 1) * 2, "\xc3\xa5", 3);
  doc = json_pack("{s:i, s:s, s:[i], s:s}", "agreement_id", 1, "text", text, "responsible_party_ids", 1,
                  "follow_up_note", text);
  assert_int_equal(est_commitment_parse(doc, EST_COMMITMENT_CREATE, &in, &errors), EST_EINVAL);
  assert_non_null(error_for(errors, "/text"));
  assert_non_null(error_for(errors, "/follow_up_note"));
  assert_int_equal(json_array_size(errors), 2);
  json_decref(errors);
  json_decref(doc);
  free(text);
}

static void test_code_slug(void **state) {
  (void)state;
  const char *bad[] = {"\"\"", "\"Upper\"", "\"-x\"", "\"x-\"", "\"a--b\"", "\"a b\"", "\"å\""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char buf[160];
    snprintf(buf, sizeof buf, "{\"agreement_id\": 1, \"text\": \"t\", \"responsible_party_ids\": [1], \"code\": %s}",
             bad[i]);
    expect_errors(buf, EST_COMMITMENT_CREATE, ERRS("/code"));
  }
  expect_errors("{\"agreement_id\": 1, \"text\": \"t\", \"responsible_party_ids\": [1], \"code\": \"ml-7\"}",
                EST_COMMITMENT_CREATE, NO_ERRS);
}

static void test_id_lists(void **state) {
  (void)state;
  expect_errors("{\"agreement_id\": 1, \"text\": \"t\", \"responsible_party_ids\": []}", EST_COMMITMENT_CREATE,
                ERRS("/responsible_party_ids"));
  expect_errors(
      "{\"agreement_id\": 1, \"text\": \"t\", \"responsible_party_ids\": [1, 0, \"2\", 1, 1.5],"
      " \"area_ids\": [4, 4, -1]}",
      EST_COMMITMENT_CREATE,
      ERRS("/responsible_party_ids/1", "/responsible_party_ids/2", "/responsible_party_ids/3",
           "/responsible_party_ids/4", "/area_ids/1", "/area_ids/2"));
  char buf[1024];
  size_t j = (size_t)snprintf(buf, sizeof buf, "{\"agreement_id\": 1, \"text\": \"t\", \"responsible_party_ids\": [");
  for (int i = 1; i <= 21; i++) j += (size_t)snprintf(buf + j, sizeof buf - j, "%s%d", i > 1 ? "," : "", i);
  snprintf(buf + j, sizeof buf - j, "]}");
  expect_errors(buf, EST_COMMITMENT_CREATE, ERRS("/responsible_party_ids"));
  j = (size_t)snprintf(buf, sizeof buf,
                       "{\"agreement_id\": 1, \"text\": \"t\", \"responsible_party_ids\": [1], \"area_ids\": [");
  for (int i = 1; i <= 51; i++) j += (size_t)snprintf(buf + j, sizeof buf - j, "%s%d", i > 1 ? "," : "", i);
  snprintf(buf + j, sizeof buf - j, "]}");
  expect_errors(buf, EST_COMMITMENT_CREATE, ERRS("/area_ids"));
  /* Exactly 20 parties and 50 areas are fine. */
  j = (size_t)snprintf(buf, sizeof buf, "{\"agreement_id\": 1, \"text\": \"t\", \"responsible_party_ids\": [");
  for (int i = 1; i <= 20; i++) j += (size_t)snprintf(buf + j, sizeof buf - j, "%s%d", i > 1 ? "," : "", i);
  j += (size_t)snprintf(buf + j, sizeof buf - j, "], \"area_ids\": [");
  for (int i = 1; i <= 50; i++) j += (size_t)snprintf(buf + j, sizeof buf - j, "%s%d", i > 1 ? "," : "", i);
  snprintf(buf + j, sizeof buf - j, "]}");
  expect_errors(buf, EST_COMMITMENT_CREATE, NO_ERRS);
}

#define BASE "{\"agreement_id\": 1, \"text\": \"t\", \"responsible_party_ids\": [1], "

static void test_target_all_or_nothing(void **state) {
  (void)state;
  expect_errors(
      BASE "\"target\": {}}", EST_COMMITMENT_CREATE,
      ERRS("/target/value", "/target/unit", "/target/comparison", "/target/per", "/target/from", "/target/to"));
  expect_errors(BASE "\"target\": {\"value\": 4}}", EST_COMMITMENT_CREATE,
                ERRS("/target/unit", "/target/comparison", "/target/per", "/target/from", "/target/to"));
  expect_errors(BASE
                "\"target\": {\"value\": 4, \"unit\": \"x\", \"comparison\": \"at_least\", \"per\": \"year\","
                " \"from\": \"2018-01-01\", \"to\": \"2018-12-31\", \"extra\": 1}}",
                EST_COMMITMENT_CREATE, ERRS("/target/extra"));
}

static void test_target_values(void **state) {
  (void)state;
  expect_errors(
      BASE
      "\"target\": {\"value\": 0, \"unit\": \"Network group\", \"comparison\": \"more\","
      " \"per\": \"day\", \"from\": \"2019-02-29\", \"to\": \"2018-13-01\"}}",
      EST_COMMITMENT_CREATE,
      ERRS("/target/value", "/target/unit", "/target/comparison", "/target/per", "/target/from", "/target/to"));
  expect_errors(BASE
                "\"target\": {\"value\": -1.5, \"unit\": \"x\", \"comparison\": \"at_least\", \"per\": \"year\","
                " \"from\": \"2018-01-01\", \"to\": \"2018-12-31\"}}",
                EST_COMMITMENT_CREATE, ERRS("/target/value"));
  expect_errors(BASE
                "\"target\": {\"value\": \"4\", \"unit\": \"x\", \"comparison\": \"at_least\", \"per\": \"year\","
                " \"from\": 20180101, \"to\": \"2018-12-31\"}}",
                EST_COMMITMENT_CREATE, ERRS("/target/value", "/target/from"));
  /* from after to */
  json_t *doc = load(BASE
                     "\"target\": {\"value\": 1, \"unit\": \"x\", \"comparison\": \"at_least\", \"per\": \"year\","
                     " \"from\": \"2019-01-01\", \"to\": \"2018-12-31\"}}");
  json_t *errors = NULL;
  est_commitment_input in;
  assert_int_equal(est_commitment_parse(doc, EST_COMMITMENT_CREATE, &in, &errors), EST_EINVAL);
  assert_int_equal(json_array_size(errors), 1);
  assert_string_equal(error_for(errors, "/target/to"), "must not be before /target/from");
  assert_false(in.has_target);
  json_decref(errors);
  json_decref(doc);
}

static void test_errors_are_appended(void **state) {
  (void)state;
  json_t *errors = NULL;
  est_commitment_input in;
  json_t *a = load("{\"x\": 1}");
  json_t *b = load("{\"agreement_id\": 1, \"text\": \"t\", \"responsible_party_ids\": [1], \"status\": \"x\"}");
  assert_int_equal(est_commitment_parse(a, EST_COMMITMENT_CREATE, &in, &errors), EST_EINVAL);
  size_t n = json_array_size(errors);
  assert_int_equal(n, 4); /* /x plus three required */
  assert_int_equal(est_commitment_parse(b, EST_COMMITMENT_CREATE, &in, &errors), EST_EINVAL);
  assert_int_equal(json_array_size(errors), n + 1);
  json_decref(errors);
  json_decref(a);
  json_decref(b);
}

static void test_dates(void **state) {
  (void)state;
  assert_true(est_date_valid("2020-02-29"));
  assert_true(est_date_valid("2000-02-29"));
  assert_false(est_date_valid("1900-02-29"));
  assert_false(est_date_valid("2019-02-29"));
  assert_false(est_date_valid("2019-04-31"));
  assert_false(est_date_valid("2019-00-10"));
  assert_false(est_date_valid("0000-01-01"));
  assert_false(est_date_valid("2019-1-10"));
  assert_false(est_date_valid("2019-01-10T00:00"));
  assert_false(est_date_valid(NULL));
}

static void test_patch_check(void **state) {
  (void)state;
  json_t *errors = NULL;
  json_t *p = load("{\"status\": \"ongoing\", \"follow_up_note\": null, \"code\": null, \"target\": null}");
  assert_int_equal(est_commitment_patch_check(p, &errors), EST_OK);
  assert_null(errors);
  json_decref(p);
  p = load(
      "{\"id\": 3, \"version\": 1, \"bogus\": 1, \"text\": null, \"status\": null, \"agreement_id\": null,"
      " \"responsible_party_ids\": null, \"target\": {\"valu\": 3}, \"area_ids\": null}");
  assert_int_equal(est_commitment_patch_check(p, &errors), EST_EINVAL);
  assert_string_equal(error_for(errors, "/id"), "is read-only");
  assert_string_equal(error_for(errors, "/version"), "is read-only");
  assert_string_equal(error_for(errors, "/bogus"), "unknown field");
  assert_non_null(error_for(errors, "/text"));
  assert_non_null(error_for(errors, "/status"));
  assert_non_null(error_for(errors, "/agreement_id"));
  assert_non_null(error_for(errors, "/responsible_party_ids"));
  assert_string_equal(error_for(errors, "/target/valu"), "unknown field");
  assert_int_equal(json_array_size(errors), 8);
  json_decref(errors);
  json_decref(p);
  errors = NULL;
  p = load("[]");
  assert_int_equal(est_commitment_patch_check(p, &errors), EST_EINVAL);
  assert_non_null(error_for(errors, ""));
  json_decref(errors);
  json_decref(p);
}

static void expect_merge(const char *target, const char *patch, const char *want) {
  json_t *t = load(target), *p = load(patch), *w = load(want);
  json_t *got = est_json_merge_patch(t, p);
  assert_non_null(got);
  if (!json_equal(got, w)) {
    char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS);
    print_error("merge %s + %s = %s, want %s\n", target, patch, g, want);
    free(g);
    fail();
  }
  json_t *t2 = load(target);
  assert_true(json_equal(t, t2)); /* target untouched */
  json_decref(t2);
  json_decref(got);
  json_decref(t);
  json_decref(p);
  json_decref(w);
}

static void test_merge_patch_rfc7396_examples(void **state) {
  (void)state;
  /* RFC 7396 Appendix A */
  expect_merge("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
  expect_merge("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
  expect_merge("{\"a\":\"b\"}", "{\"a\":null}", "{}");
  expect_merge("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
  expect_merge("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
  expect_merge("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
  expect_merge("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
  expect_merge("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
  expect_merge("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
  expect_merge("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
  expect_merge("{\"a\":\"foo\"}", "null", "null");
  expect_merge("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
  expect_merge("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
  expect_merge("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
  expect_merge("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
  /* a target object merged into a stored null target */
  expect_merge("{\"target\":null}", "{\"target\":{\"value\":3}}", "{\"target\":{\"value\":3}}");
}

static void test_merged_patch_validation(void **state) {
  (void)state;
  json_t *cur = load(
      "{\"id\": 7, \"agreement_id\": 1, \"cooperation_area_id\": 2, \"code\": \"x\", \"text\": \"t\","
      " \"responsible_party_ids\": [1], \"area_ids\": [3], \"target\": {\"value\": 9, \"unit\": "
      "\"network_group\", \"comparison\": \"at_least\", \"per\": \"period\", \"from\": \"2018-01-01\","
      " \"to\": \"2020-12-31\"}, \"status\": \"planned\", \"follow_up_note\": null, \"created_at\": "
      "\"2018-01-01T00:00:00+00:00\", \"updated_at\": \"2018-01-01T00:00:00+00:00\", \"version\": 1}");
  json_t *p =
      load("{\"target\": {\"value\": 12, \"to\": \"2017-01-01\"}, \"status\": \"ongoing\", \"area_ids\": null}");
  json_t *m = est_json_merge_patch(cur, p);
  json_t *errors = NULL;
  est_commitment_input in;
  assert_int_equal(est_commitment_parse(m, EST_COMMITMENT_MERGED, &in, &errors), EST_EINVAL);
  assert_int_equal(json_array_size(errors), 1);
  assert_non_null(error_for(errors, "/target/to"));
  json_decref(errors);
  json_decref(m);
  json_decref(p);
  errors = NULL;
  p = load("{\"target\": {\"value\": 12}, \"status\": \"fulfilled\", \"area_ids\": null, \"code\": null}");
  m = est_json_merge_patch(cur, p);
  assert_int_equal(est_commitment_parse(m, EST_COMMITMENT_MERGED, &in, &errors), EST_OK);
  assert_string_equal(in.target.value, "12");
  assert_string_equal(in.target.to, "2020-12-31");
  assert_string_equal(in.status, "fulfilled");
  assert_int_equal(in.nareas, 0);
  assert_null(in.code);
  assert_int_equal(in.cooperation_area_id, 2);
  json_decref(m);
  json_decref(p);
  json_decref(cur);
}

static void test_patch_allowed(void **state) {
  (void)state;
  json_t *cur = load("{\"responsible_party_ids\": [1, 3]}");
  json_t *ok = load("{\"status\": \"ongoing\", \"follow_up_note\": \"Genomfört 2018\"}");
  json_t *text = load("{\"status\": \"ongoing\", \"text\": \"x\"}");
  char why[160];
  assert_int_equal(est_commitment_patch_allowed(text, cur, true, 0, why, sizeof why), EST_OK);
  assert_int_equal(est_commitment_patch_allowed(ok, cur, false, 3, why, sizeof why), EST_OK);
  assert_int_equal(est_commitment_patch_allowed(ok, cur, false, 2, why, sizeof why), EST_EFORBIDDEN);
  assert_non_null(strstr(why, "party 2"));
  assert_int_equal(est_commitment_patch_allowed(text, cur, false, 1, why, sizeof why), EST_EFORBIDDEN);
  assert_non_null(strstr(why, "'text'"));
  assert_int_equal(est_commitment_patch_allowed(ok, cur, false, 0, why, sizeof why), EST_EFORBIDDEN);
  json_decref(cur);
  json_decref(ok);
  json_decref(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minimal_create_defaults),
      cmocka_unit_test(test_full_create_maps_every_field),
      cmocka_unit_test(test_not_an_object),
      cmocka_unit_test(test_required_fields),
      cmocka_unit_test(test_unknown_and_readonly_fields),
      cmocka_unit_test(test_wrong_types_all_collected),
      cmocka_unit_test(test_text_lengths),
      cmocka_unit_test(test_code_slug),
      cmocka_unit_test(test_id_lists),
      cmocka_unit_test(test_target_all_or_nothing),
      cmocka_unit_test(test_target_values),
      cmocka_unit_test(test_errors_are_appended),
      cmocka_unit_test(test_dates),
      cmocka_unit_test(test_patch_check),
      cmocka_unit_test(test_merge_patch_rfc7396_examples),
      cmocka_unit_test(test_merged_patch_validation),
      cmocka_unit_test(test_patch_allowed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
