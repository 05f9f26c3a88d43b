/* test_significance.c - the Poisson square-root test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "estd/significance.h"

static void test_z_values(void **state) {
  (void)state;
  double z = 99;
  assert_true(est_poisson_z(9, 4, &z));
  assert_true(fabs(z - 2.0) < 1e-12); /* 2 (3 - 2) */
  assert_true(est_poisson_z(4, 9, &z));
  assert_true(fabs(z + 2.0) < 1e-12);
  assert_true(est_poisson_z(0, 0, &z));
  assert_true(z == 0.0);
  assert_true(est_poisson_z(25, 0, &z));
  assert_true(fabs(z - 10.0) < 1e-12);
  z = 7;
  assert_false(est_poisson_z(-1, 3, &z));
  assert_true(z == 7); /* untouched */
  assert_false(est_poisson_z(3, -1, &z));
}

static void test_threshold(void **state) {
  (void)state;
  double z;
  /* 9 vs 4: z = 2.0 > 1.96, significant; 8 vs 4: z = 1.657, not. */
  est_poisson_z(9, 4, &z);
  assert_true(est_poisson_significant(z));
  est_poisson_z(8, 4, &z);
  assert_false(est_poisson_significant(z));
  /* Doubling from 2 to 4 is chance; from 20 to 40 it is not. */
  est_poisson_z(4, 2, &z);
  assert_false(est_poisson_significant(z));
  est_poisson_z(40, 20, &z);
  assert_true(est_poisson_significant(z));
  assert_false(est_poisson_significant(1.96)); /* strictly beyond */
  assert_true(est_poisson_significant(-1.9601));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_z_values), cmocka_unit_test(test_threshold)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
