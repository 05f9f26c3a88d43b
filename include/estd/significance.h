/* significance.h - is a change between two counts beyond chance?
 *
 * The square-root test for two Poisson counts: if a and b are independent
 * Poisson counts with equal means, z = 2 (sqrt(a) - sqrt(b)) is
 * approximately standard normal, because the square root stabilises the
 * Poisson variance (Var sqrt(X) ~ 1/4; Anscombe 1948). It needs no normal
 * approximation of the counts themselves, so it suits the small weekly
 * counts of a lägesbild (docs/ARCHITECTURE.md, "Significance of a change").
 * A change is marked significant when |z| > EST_SIGNIFICANCE_Z (1.96, the
 * two-sided 5 % level).
 * Pure functions; no I/O. */
#ifndef ESTD_SIGNIFICANCE_H
#define ESTD_SIGNIFICANCE_H

#include <stdbool.h>

/* Two-sided 5 % level of the standard normal distribution. */
#define EST_SIGNIFICANCE_Z 1.96

/* z = 2 (sqrt(cur) - sqrt(base)); false (z untouched) for a negative count. */
bool est_poisson_z(long long cur, long long base, double *z);
/* |z| > EST_SIGNIFICANCE_Z. */
bool est_poisson_significant(double z);

#endif
