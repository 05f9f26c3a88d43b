/* test_pool.c - the pure parts of the pool: LSN text <-> value (the
 * Consistency-Token, pool.h), the timed-wait deadline helper and the
 * SQLSTATE mapping (db.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "estd/db.h"
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

/* A replica read cancelled by a conflict with recovery is the replica's
 * transient trouble (503), not a conflict of the caller's (409, which the
 * same SQLSTATE means on the primary); the rest maps the same on both. */
static void test_sqlstate_mapping(void **state) {
  (void)state;
  assert_int_equal(est_db_map_sqlstate("40001", true), EST_EUNAVAILABLE);
  assert_int_equal(est_db_map_sqlstate("40P01", true), EST_EUNAVAILABLE);
  assert_int_equal(est_db_map_sqlstate("40001", false), EST_ECONFLICT);
  assert_int_equal(est_db_map_sqlstate("40P01", false), EST_ECONFLICT);
  const char *same[] = {"23505", "23503", "22P02", "57014", "08006", "57P01", NULL};
  for (int i = 0; i < 7; i++) assert_int_equal(est_db_map_sqlstate(same[i], true), est_db_map_sqlstate(same[i], false));
  assert_int_equal(est_db_map_sqlstate("23505", true), EST_ECONFLICT);
  assert_int_equal(est_db_map_sqlstate("57014", false), EST_ETIMEOUT);
  assert_int_equal(est_db_map_sqlstate(NULL, false), EST_EUNAVAILABLE);
  assert_int_equal(est_db_map_sqlstate("XX000", false), EST_EINTERNAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lsn_round_trip),
      cmocka_unit_test(test_lsn_rejects),
      cmocka_unit_test(test_realtime_after),
      cmocka_unit_test(test_sqlstate_mapping),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
