/* calendar.h - proleptic Gregorian dates, ISO 8601 weeks and the calendar
 * date in Europe/Stockholm (domain/calendar.c). Pure: no clock, "now" is
 * passed in. */
#ifndef ESTD_CALENDAR_H
#define ESTD_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

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
/* The UTC offset in seconds (3600 or 7200) of the Stockholm wall time
 * d h:mi. The hour that does not exist (last Sunday of March, 02:00-02:59)
 * is read as CET; the hour that occurs twice (last Sunday of October,
 * 02:00-02:59) as its first occurrence, CEST. */
int est_stockholm_offset_local(est_date d, int h, int mi);

#endif
