/* test_pool.c - the pure parts of the pool: LSN text <-> value (the
 * Consistency-Token, pool.h) and the timed-wait deadline helper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "estd/pool.h"
#include "estd/util.h"

static void test_lsn_round_trip(void **state) {
  (void)state;
  uint64_t v = 1;
  assert_true(est_lsn_parse("0/0", &v));
  assert_true(v == 0);
  assert_true(est_lsn_parse("16/B374D848", &v));
  assert_true(v == ((uint64_t)0x16 << 32 | 0xB374D848u));
  char buf[24];
  est_lsn_format(v, buf);
  assert_string_equal(buf, "16/B374D848");
  assert_true(est_lsn_parse("ffffffff/ffffffff", &v));
  assert_true(v == UINT64_MAX);
  est_lsn_format(v, buf);
  assert_string_equal(buf, "FFFFFFFF/FFFFFFFF");
  /* ordering follows the value: what the read routing compares */
  uint64_t a, b;
  assert_true(est_lsn_parse("0/FFFFFFFF", &a) && est_lsn_parse("1/0", &b) && a < b);
}

static void test_lsn_rejects(void **state) {
  (void)state;
  static const char *const bad[] = {"",          "/",    "0/",   "/0",   "0",     "00",   "123456789/0", "0/123456789",
                                    " 0/0",      "0/0 ", "+1/0", "0/-1", "0x1/0", "1//0", "g/0",         "0/0/0",
                                    "not-an-lsn"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint64_t v = 42;
    assert_false(est_lsn_parse(bad[i], &v));
    assert_true(v == 42); /* untouched */
  }
  assert_false(est_lsn_parse(NULL, NULL));
}

static void test_realtime_after(void **state) {
  (void)state;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct timespec t = est_realtime_after_ms(1999);
  long long d = (long long)(t.tv_sec - now.tv_sec) * 1000 + (t.tv_nsec - now.tv_nsec) / 1000000;
  assert_true(d >= 1998 && d <= 2100);
  assert_true(t.tv_nsec >= 0 && t.tv_nsec < 1000000000L);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lsn_round_trip),
      cmocka_unit_test(test_lsn_rejects),
      cmocka_unit_test(test_realtime_after),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
