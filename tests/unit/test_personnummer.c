/* test_personnummer.c - screening for personal identity numbers.
 *
 * Check digits below were computed with the Luhn rule over the 10-digit
 * form (weights 2,1,2,... on YYMMDDNNN). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/personnummer.h"

static bool matches(const char *s) { return est_pnr_contains(s); }

/* The whole string is exactly one match. */
static bool exact(const char *s) {
  size_t st, n;
  return est_pnr_find(s, strlen(s), 0, &st, &n) && st == 0 && n == strlen(s);
}

static void test_valid_ten_digit(void **state) {
  (void)state;
  assert_true(exact("850709-9805"));
  assert_true(exact("850709+9805")); /* '+' = older than 100 years */
  assert_true(exact("8507099805"));
  assert_true(exact("811218-9876"));
  assert_true(exact("640823-3234"));
  assert_true(exact("121212-1212"));
  assert_true(exact("991231-9994"));
  assert_true(exact("900101-0017"));
}

static void test_valid_twelve_digit(void **state) {
  (void)state;
  assert_true(exact("19850709-9805"));
  assert_true(exact("198507099805"));
  assert_true(exact("19811218-9876"));
  assert_true(exact("20121212-1212"));
  assert_true(exact("18991231-9994"));
}

static void test_bad_check_digit(void **state) {
  (void)state;
  for (char c = '0'; c <= '9'; c++) {
    char s[] = "850709-980X";
    s[10] = c;
    assert_int_equal(matches(s), c == '5');
    char t[] = "19850709980X";
    t[11] = c;
    assert_int_equal(matches(t), c == '5');
  }
  assert_false(matches("811218-9875"));
  assert_false(matches("19811218-9877"));
}

static void test_invalid_dates(void **state) {
  (void)state;
  /* Each of these has a correct Luhn digit, so only the date rejects it. */
  assert_false(matches("850230-1230")); /* Feb 30 */
  assert_false(matches("851301-1232")); /* month 13 */
  assert_false(matches("850100-1237")); /* day 0 */
  assert_false(matches("850009-1239")); /* month 0 */
  assert_false(matches("850732-1233")); /* Jul 32 */
  assert_false(matches("850431-1237")); /* Apr 31 */
  assert_true(matches("850430-1238"));  /* Apr 30 is fine */
  assert_false(matches("19850230-1230"));
  assert_false(matches("19851301-1232"));
}

static void test_leap_days(void **state) {
  (void)state;
  /* 10-digit form: the century is unknown, YY % 4 == 0 may be a leap year. */
  assert_true(matches("000229-1235"));
  assert_true(matches("040229-1231"));
  assert_true(matches("200229-1231"));
  assert_false(matches("010229-1234"));
  /* 12-digit form: the real Gregorian rule. */
  assert_true(matches("20000229-1235"));
  assert_false(matches("19000229-1235")); /* 1900 is not a leap year */
  assert_true(matches("19040229-1231"));
  assert_true(matches("20200229-1231"));
  assert_false(matches("20010229-1234"));
  assert_false(matches("200102291234"));
}

static void test_coordination_numbers(void **state) {
  (void)state;
  assert_true(exact("701063-2391")); /* day 63 = 3 + 60 */
  assert_true(exact("7010632391"));
  assert_true(exact("19701063-2391"));
  assert_true(exact("850769-1239"));    /* Jul 9 + 60 */
  assert_true(exact("850761-1237"));    /* Jul 1 + 60 */
  assert_false(matches("850792-1230")); /* Jul 32 + 60 */
  assert_true(matches("850791-1231"));  /* Jul 31 + 60 */
}

static void test_embedded_and_boundaries(void **state) {
  (void)state;
  size_t st, n;
  const char *s = "Anmalaren (pnr 850709-9805) ringde.";
  assert_true(est_pnr_find(s, strlen(s), 0, &st, &n));
  assert_int_equal(st, 15);
  assert_int_equal(n, 11);
  s = "8507099805 i borjan";
  assert_true(est_pnr_find(s, strlen(s), 0, &st, &n));
  assert_int_equal(st, 0);
  assert_int_equal(n, 10);
  s = "i slutet: 19701063-2391";
  assert_true(est_pnr_find(s, strlen(s), 0, &st, &n));
  assert_int_equal(st, 10);
  assert_int_equal(n, 13);
  assert_true(matches("x8507099805y"));
  assert_true(matches("pnr:850709-9805."));
  assert_true(matches("a\n850709-9805\n"));
  /* len bounds the search: a match cut off by len is not a match. */
  s = "abc 850709-9805";
  assert_false(est_pnr_find(s, strlen(s) - 1, 0, &st, &n));
  /* Searching on from a position. */
  s = "850709-9805 och 811218-9876";
  assert_true(est_pnr_find(s, strlen(s), 1, &st, &n));
  assert_int_equal(st, 16);
  assert_false(est_pnr_find(s, strlen(s), 17, &st, &n));
  /* Starting inside a digit run never matches the tail of the run. */
  s = "1198507099805";
  assert_false(est_pnr_find(s, strlen(s), 3, &st, &n));
  assert_false(est_pnr_contains(NULL));
  assert_false(matches(""));
}

static void test_look_alikes(void **state) {
  (void)state;
  assert_false(matches("ring 070-123 45 67"));
  assert_false(matches("0701234567")); /* phone: Luhn digit would be 9 */
  assert_false(matches("070-1234567"));
  assert_false(matches("+46701234567"));
  assert_false(matches("031-850709"));
  assert_false(matches("order 88507099805"));     /* 11 digits */
  assert_false(matches("order 8507099805123"));   /* 13 digits */
  assert_false(matches("ordernr 1198507099805")); /* 12-digit valid number inside 13 digits */
  assert_false(matches("11198507099805"));
  assert_false(matches("1850709-9805")); /* 7 digits before the separator */
  assert_false(matches("850709-98051")); /* 5 digits after */
  assert_false(matches("850709-980"));
  assert_false(matches("2024-01-15"));
  assert_false(matches("20240115"));
  assert_false(matches("850709"));
  assert_false(matches("2024-01-15 12:00"));
  assert_false(matches("218507099805")); /* year 2185 is not a birth year */
  assert_false(matches("008507099805")); /* year 0085 */
  assert_false(matches("850709--9805"));
  assert_false(matches("850709  9805")); /* two spaces */
  assert_false(matches("850709 - - 9805"));
  assert_false(matches("2024-01-15 1234")); /* a date and a number */
  assert_false(matches("070 123 45 67"));
}

/* Forms people type: a space as the separator, spaces around the dash, an
 * en dash, a no-break space; the 12-digit form inside longer text. */
static void test_typed_forms(void **state) {
  (void)state;
  assert_true(exact("850709 9805"));
  assert_true(exact("19850709 9805"));
  assert_true(exact("850709 - 9805"));
  assert_true(exact("850709- 9805"));
  assert_true(exact("850709 -9805"));
  assert_true(exact("19850709 - 9805"));
  assert_true(
      exact("850709\xe2\x80\x93"
            "9805")); /* en dash */
  assert_true(
      exact("850709\xc2\xa0"
            "9805"));                    /* no-break space */
  assert_true(exact("701063 2391"));     /* samordningsnummer, space */
  assert_true(exact("19811218%209876")); /* percent-encoded, as in a logged URL path */
  assert_true(exact("811218%2D9876"));
  assert_true(exact("811218%2b9876"));
  assert_false(matches("811218%2"));
  assert_false(matches("811218%209"));
  assert_true(exact("19701063 2391"));
  size_t st, n;
  const char *s = "Anmälare: Kalle Anka,19850709-9805,Storgatan 1";
  assert_true(est_pnr_find(s, strlen(s), 0, &st, &n));
  assert_int_equal(n, 13);
  s = "pnr19850709-9805;tel 033-35 70 00";
  assert_true(est_pnr_find(s, strlen(s), 0, &st, &n));
  assert_int_equal(st, 3);
  assert_int_equal(n, 13);
  assert_true(matches("se ärende (ÅÅÅÅMMDD-NNNN = 19701063-2391) för detaljer"));
  assert_true(matches("id=19850709 9805&x=1"));
  char r[] = "a 850709 9805 b 19701063 - 2391 c";
  assert_int_equal(est_pnr_redact(r), 2);
  assert_string_equal(r, "a XXXXXX XXXX b XXXXXXXX - XXXX c");
}

/* Raw bytes: NULs, no terminator, and JSON-escaped digits. */
static void test_redact_raw(void **state) {
  (void)state;
  char b[] = {'x', 0, '8', '5', '0', '7', '0', '9', '-', '9', '8', '0', '5', 0, 'y'};
  assert_int_equal(est_pnr_redact_raw(b, sizeof b), 1);
  assert_memory_equal(b, ((char[]){'x', 0, 'X', 'X', 'X', 'X', 'X', 'X', '-', 'X', 'X', 'X', 'X', 0, 'y'}), sizeof b);
  char j[] = "{\"d\":\"\\u0038\\u00350709-98\\u00305\"}";
  size_t len = strlen(j);
  assert_int_equal(est_pnr_redact_raw(j, len), 1);
  assert_int_equal(strlen(j), len);
  assert_string_equal(j, "{\"d\":\"\\u0058\\u0058XXXX-XX\\u0058X\"}");
  char none[] = "{\"d\":\"\\u0041 0701234567\"}";
  assert_int_equal(est_pnr_redact_raw(none, strlen(none)), 0);
  assert_string_equal(none, "{\"d\":\"\\u0041 0701234567\"}");
  /* Broken JSON is redacted too. */
  char broken[] = "{\"d\": 8507099805, [[[";
  assert_int_equal(est_pnr_redact_raw(broken, strlen(broken)), 1);
  assert_string_equal(broken, "{\"d\": XXXXXXXXXX, [[[");
}

static int reports;
static char last_ptr[128];
static void on_report(void *arg, const char *ptr) {
  (void)arg;
  reports++;
  snprintf(last_ptr, sizeof last_ptr, "%s", ptr);
}

/* JSON at any depth: strings, keys and integers. */
static void test_screen_json(void **state) {
  (void)state;
  json_t *doc = json_loads("{\"a\":{\"b\":[1,{\"c\":\"ring 850709-9805\"}]},\"ok\":\"070-123 45 67\"}", 0, NULL);
  reports = 0;
  assert_int_equal(est_pnr_screen_json(doc, false, on_report, NULL), 1);
  assert_int_equal(reports, 1);
  assert_string_equal(last_ptr, "/a/b/1/c");
  assert_int_equal(est_pnr_screen_json(doc, true, NULL, NULL), 1);
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(doc, "a"), "b"), 1), "c")),
      "ring XXXXXX-XXXX");
  assert_int_equal(est_pnr_screen_json(doc, false, NULL, NULL), 0);
  json_decref(doc);
  doc = json_loads("{\"pnr\":198507099805,\"n\":[8507099805],\"19701063-2391\":true,\"x/y\":{\"~\":\"811218 9876\"}}",
                   0, NULL);
  reports = 0;
  assert_int_equal(est_pnr_screen_json(doc, false, on_report, NULL), 4);
  assert_int_equal(reports, 4);
  assert_int_equal(est_pnr_screen_json(doc, true, NULL, NULL), 4);
  char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
  assert_string_equal(
      text, "{\"XXXXXXXX-XXXX\":true,\"n\":[\"XXXXXXXXXX\"],\"pnr\":\"XXXXXXXXXXXX\",\"x/y\":{\"~\":\"XXXXXX XXXX\"}}");
  free(text);
  assert_int_equal(est_pnr_screen_json(doc, false, NULL, NULL), 0);
  json_decref(doc);
  doc = json_loads("{\"f\":8507099805.0,\"g\":[8.507099805e9],\"h\":0.5,\"i\":1e300}", 0, NULL);
  assert_int_equal(est_pnr_screen_json(doc, false, NULL, NULL), 2); /* whole numbers written as reals */
  assert_int_equal(est_pnr_screen_json(doc, true, NULL, NULL), 2);
  assert_string_equal(json_string_value(json_object_get(doc, "f")), "XXXXXXXXXX");
  assert_true(json_real_value(json_object_get(doc, "h")) == 0.5);
  json_decref(doc);
  doc = json_loads("{\"x/y\":{\"~a\":\"811218-9876\"}}", 0, NULL);
  assert_int_equal(est_pnr_screen_json(doc, false, on_report, NULL), 1);
  assert_string_equal(last_ptr, "/x~1y/~0a");
  json_decref(doc);
  char *red = est_pnr_redact_json_text("{\"k\":[\"850709-9805\"]}");
  assert_string_equal(red, "{\"k\":[\"XXXXXX-XXXX\"]}");
  free(red);
  assert_null(est_pnr_redact_json_text("{\"k\":1}"));
  assert_null(est_pnr_redact_json_text("not json 850709-9805"));
}

static void test_redact(void **state) {
  (void)state;
  char s[] = "a 850709-9805 b 19701063-2391 c 8112189876 d 0701234567";
  assert_int_equal(est_pnr_redact(s), 3);
  assert_string_equal(s, "a XXXXXX-XXXX b XXXXXXXX-XXXX c XXXXXXXXXX d 0701234567");
  assert_false(est_pnr_contains(s));
  char none[] = "inget har 070-123 45 67";
  assert_int_equal(est_pnr_redact(none), 0);
  assert_string_equal(none, "inget har 070-123 45 67");
  char adjacent[] = "850709-9805,811218-9876";
  assert_int_equal(est_pnr_redact(adjacent), 2);
  assert_string_equal(adjacent, "XXXXXX-XXXX,XXXXXX-XXXX");
  assert_int_equal(est_pnr_redact(NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_ten_digit),
      cmocka_unit_test(test_valid_twelve_digit),
      cmocka_unit_test(test_bad_check_digit),
      cmocka_unit_test(test_invalid_dates),
      cmocka_unit_test(test_leap_days),
      cmocka_unit_test(test_coordination_numbers),
      cmocka_unit_test(test_embedded_and_boundaries),
      cmocka_unit_test(test_look_alikes),
      cmocka_unit_test(test_redact),
      cmocka_unit_test(test_typed_forms),
      cmocka_unit_test(test_redact_raw),
      cmocka_unit_test(test_screen_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
