/* compstat.h - CompStat-style change of a count against a comparison
 * period (domain/compstat.c). */
#ifndef ESTD_COMPSTAT_H
#define ESTD_COMPSTAT_H

#include <jansson.h>
#include <stdbool.h>

/* Percentage change from base to cur, rounded to one decimal. false (=
 * JSON null) when base is 0, including 0 -> 0: division by zero is not a
 * number and "+inf %" is not a useful CompStat figure. */
bool est_pct_change(long long cur, long long base, double *out);

/* Adds CompStat change members to obj: name = {"absolute": cur - base,
 * "percent": est_pct_change or null}; both null when either count is
 * null (suppressed). */
void est_change_json(json_t *obj, const char *name, const char *cur_key, const char *base_key);

#endif
