/* period.h - the report period of the situational picture (an ISO week
 * or a date range of Europe/Stockholm dates) and its comparison periods
 * (domain/period.c). */
#ifndef ESTD_PERIOD_H
#define ESTD_PERIOD_H

#include <jansson.h>
#include <stdbool.h>

#include "estd/calendar.h"
#include "estd/result.h"

/* Maximum length of a from/to period in days. */
#define EST_PERIOD_MAX_DAYS 731
/* Periods longer than this many days are bucketed by week by default. */
#define EST_PERIOD_DAY_BUCKET_MAX_DAYS 56

/* A half-open period [from, to) of local (Europe/Stockholm) dates. */
typedef struct est_period {
  est_date from; /* inclusive */
  est_date to;   /* exclusive */
  int iso_year;  /* set (with iso_week) when the period is one ISO week, else 0 */
  int iso_week;
} est_period;

/* Builds the period from the query parameters (each may be NULL):
 * week=YYYY-Www, or from and to (both, from < to, at most
 * EST_PERIOD_MAX_DAYS days), or neither = the ISO week containing today.
 * On failure returns EST_EPARSE and sets *field and *detail (static). */
est_result est_period_from_params(const char *week, const char *from, const char *to, est_date today, est_period *out,
                                  const char **field, const char **detail);
long est_period_days(const est_period *p);
/* The preceding period: the previous ISO week, or the equally long range
 * ending where p starts. */
void est_period_previous(const est_period *p, est_period *out);
/* The same period a year earlier: the same ISO week number of the previous
 * ISO year (week 53 becomes 52 when that year has no week 53), or both dates
 * one calendar year back (29 February becomes 28 February). */
void est_period_year_ago(const est_period *p, est_period *out);
/* {"from","to","week"} (week null unless an ISO week). Caller owns. */
json_t *est_period_json(const est_period *p);

#endif
