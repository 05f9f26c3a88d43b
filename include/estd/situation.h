/* situation.h - pure rules of the situational picture (lägesbild) and of
 * commitment follow-up: calendar periods (ISO weeks, date ranges) in
 * Europe/Stockholm, comparison periods, CompStat-style change, progress
 * evaluation and CSV quoting (disclosure control: estd/disclosure.h).
 *
 * No I/O, no libpq, no clock: "now" is always passed in. */
#ifndef ESTD_SITUATION_H
#define ESTD_SITUATION_H

#include "estd/buf.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "estd/result.h"

/* A proleptic Gregorian calendar date. */
typedef struct est_date {
  int y, m, d;
} est_date;

/* Days since 1970-01-01 and back. */
long est_date_to_days(est_date d);
est_date est_date_from_days(long days);
/* 0 = Monday ... 6 = Sunday. */
int est_date_weekday(est_date d);
/* Parses YYYY-MM-DD (a real calendar date, years 1900..9999). */
bool est_date_parse(const char *s, est_date *out);
/* Writes YYYY-MM-DD into out (n >= 11). */
void est_date_format(est_date d, char *out, size_t n);

/* ISO 8601 week date helpers. */
int est_iso_weeks_in_year(int iso_year); /* 52 or 53 */
void est_iso_week_of(est_date d, int *iso_year, int *iso_week);
est_date est_iso_week_monday(int iso_year, int iso_week);
/* Parses "YYYY-Www" (week 01..52/53 as the year has). */
bool est_iso_week_parse(const char *s, int *iso_year, int *iso_week);

/* The calendar date in Europe/Stockholm at UTC instant now: CET (UTC+1),
 * CEST (UTC+2) from the last Sunday of March 01:00 UTC to the last Sunday
 * of October 01:00 UTC (the EU rule in force since 1996). */
est_date est_stockholm_date(time_t now);

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
est_result est_period_from_params(const char *week, const char *from, const char *to, est_date today,
                                  est_period *out, const char **field, const char **detail);
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

/* Percentage change from base to cur, rounded to one decimal. false (=
 * JSON null) when base is 0, including 0 -> 0: division by zero is not a
 * number and "+inf %" is not a useful CompStat figure. */
bool est_pct_change(long long cur, long long base, double *out);

/* Adds CompStat change members to obj: name = {"absolute": cur - base,
 * "percent": est_pct_change or null}; both null when either count is
 * null (below the rounding base). */
void est_change_json(json_t *obj, const char *name, const char *cur_key, const char *base_key);

/* Progress evaluation of a commitment target.
 * comparison: "at_least" | "at_most" | "exactly". elapsed in [0,1] is the
 * elapsed fraction of the evaluated period. at_least: on track when value >=
 * target * elapsed (pro rata); at_most: when value <= target * elapsed (the
 * pro-rata budget is not exceeded); exactly: when target * elapsed <= value
 * <= target. Returns false (unknown) when target <= 0 or comparison is
 * unknown; otherwise true and *on_track. */
bool est_progress_on_track(double value, double target, const char *comparison, double elapsed, bool *on_track);
/* Fraction of [from, to_inclusive] elapsed at the end of day today, in [0,1]. */
double est_elapsed_fraction(est_date from, est_date to_inclusive, est_date today);

/* Appends one CSV field (RFC 4180: quoted when it contains a comma, quote,
 * CR or LF; quotes doubled) to a growing buffer. NULL s is an empty field.
 * Returns EST_ENOMEM on allocation failure. */
est_result est_csv_field(est_buf *b, const char *s, bool first_in_row);
est_result est_csv_end_row(est_buf *b);

#endif
