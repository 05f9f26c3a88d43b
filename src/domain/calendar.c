/* calendar.c - dates, ISO weeks and the Stockholm date (see calendar.h). */
#include "estd/calendar.h"

#include <stdio.h>
#include <string.h>

#include "estd/util.h"

/* Howard Hinnant's days_from_civil / civil_from_days. */
long est_date_to_days(est_date d) {
  long y = d.y - (d.m <= 2);
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long mp = (d.m + 9) % 12;
  long doy = (153 * mp + 2) / 5 + d.d - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

est_date est_date_from_days(long z) {
  z += 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  long doe = z - era * 146097;
  long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long y = yoe + era * 400;
  long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long mp = (5 * doy + 2) / 153;
  long d = doy - (153 * mp + 2) / 5 + 1;
  long m = mp < 10 ? mp + 3 : mp - 9;
  est_date r = {(int)(y + (m <= 2)), (int)m, (int)d};
  return r;
}

int est_date_weekday(est_date d) {
  long days = est_date_to_days(d);
  long w = (days + 3) % 7; /* 1970-01-01 was a Thursday (3 when Monday = 0) */
  return (int)(w < 0 ? w + 7 : w);
}

static bool digits(const char *s, int n) {
  for (int i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

static int num(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
  return v;
}

bool est_date_parse(const char *s, est_date *out) {
  if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!digits(s, 4) || !digits(s + 5, 2) || !digits(s + 8, 2)) return false;
  est_date d = {num(s, 4), num(s + 5, 2), num(s + 8, 2)};
  if (d.y < 1900 || d.m < 1 || d.m > 12 || d.d < 1 || d.d > est_days_in_month(d.y, d.m)) return false;
  *out = d;
  return true;
}

void est_date_format(est_date d, char *out, size_t n) { snprintf(out, n, "%04d-%02d-%02d", d.y, d.m, d.d); }

void est_iso_week_of(est_date d, int *iso_year, int *iso_week) {
  long days = est_date_to_days(d);
  long thursday = days - est_date_weekday(d) + 3;
  est_date t = est_date_from_days(thursday);
  est_date jan1 = {t.y, 1, 1};
  *iso_year = t.y;
  *iso_week = (int)((thursday - est_date_to_days(jan1)) / 7 + 1);
}

int est_iso_weeks_in_year(int iso_year) {
  est_date dec28 = {iso_year, 12, 28};
  int y, w;
  est_iso_week_of(dec28, &y, &w);
  return w;
}

est_date est_iso_week_monday(int iso_year, int iso_week) {
  est_date jan4 = {iso_year, 1, 4};
  long monday1 = est_date_to_days(jan4) - est_date_weekday(jan4);
  return est_date_from_days(monday1 + 7L * (iso_week - 1));
}

bool est_iso_week_parse(const char *s, int *iso_year, int *iso_week) {
  if (!s || strlen(s) != 8 || s[4] != '-' || s[5] != 'W' || !digits(s, 4) || !digits(s + 6, 2)) return false;
  int y = num(s, 4), w = num(s + 6, 2);
  if (y < 1900 || w < 1 || w > est_iso_weeks_in_year(y)) return false;
  *iso_year = y;
  *iso_week = w;
  return true;
}

/* Last Sunday of month m in year y, as days since the epoch. */
static long last_sunday(int y, int m) {
  est_date last = {y, m, est_days_in_month(y, m)};
  return est_date_to_days(last) - (est_date_weekday(last) + 1) % 7;
}

est_date est_stockholm_date(time_t now) {
  long long t = (long long)now;
  long long day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int y = est_date_from_days((long)day).y;
  long long dst_start = (long long)last_sunday(y, 3) * 86400 + 3600;
  long long dst_end = (long long)last_sunday(y, 10) * 86400 + 3600;
  long long offset = (t >= dst_start && t < dst_end) ? 7200 : 3600;
  long long local = t + offset;
  long long lday = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  return est_date_from_days((long)lday);
}

int est_stockholm_offset_local(est_date d, int h, int mi) {
  long long local = (long long)est_date_to_days(d) * 86400 + h * 3600 + mi * 60;
  /* The switches as local wall times: spring 02:00 CET -> 03:00 CEST,
   * autumn 03:00 CEST -> 02:00 CET (both at 01:00 UTC). */
  long long spring = (long long)last_sunday(d.y, 3) * 86400 + 3600 + 3600;  /* 02:00 local */
  long long autumn = (long long)last_sunday(d.y, 10) * 86400 + 3600 + 3600; /* 02:00 local (CET) */
  if (local < spring) return 3600;
  if (local < spring + 3600) return 3600; /* not on the clock: read as CET */
  if (local < autumn + 3600) return 7200; /* 02:00-03:00 twice: the first (CEST) */
  return 3600;
}
