/* significance.c - the Poisson square-root test (see significance.h). */
#include "estd/significance.h"

#include <math.h>

bool est_poisson_z(long long cur, long long base, double *z) {
  if (cur < 0 || base < 0) return false;
  *z = 2.0 * (sqrt((double)cur) - sqrt((double)base));
  return true;
}

bool est_poisson_significant(double z) { return fabs(z) > EST_SIGNIFICANCE_Z; }
