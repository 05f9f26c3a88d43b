/* situation.c - pure rules of the situational picture (see situation.h). */
#include "estd/situation.h"

#include "estd/significance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- calendar ------------------------------------------------------------ */

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

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m) {
  static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : md[m - 1];
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
  if (d.y < 1900 || d.m < 1 || d.m > 12 || d.d < 1 || d.d > days_in_month(d.y, d.m)) return false;
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
  est_date last = {y, m, days_in_month(y, m)};
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

/* ---- periods ------------------------------------------------------------- */

static void period_week(est_period *p, int y, int w) {
  p->from = est_iso_week_monday(y, w);
  p->to = est_date_from_days(est_date_to_days(p->from) + 7);
  p->iso_year = y;
  p->iso_week = w;
}

est_result est_period_from_params(const char *week, const char *from, const char *to, est_date today,
                                  est_period *out, const char **field, const char **detail) {
  memset(out, 0, sizeof *out);
  *field = *detail = NULL;
  if (week) {
    if (from || to) {
      *field = from ? "from" : "to";
      *detail = "give either week or from/to, not both";
      return EST_EPARSE;
    }
    int y, w;
    if (!est_iso_week_parse(week, &y, &w)) {
      *field = "week";
      *detail = "must be an ISO week YYYY-Www that exists in that year";
      return EST_EPARSE;
    }
    period_week(out, y, w);
    return EST_OK;
  }
  if (from || to) {
    if (!from || !to) {
      *field = from ? "to" : "from";
      *detail = "from and to must be given together";
      return EST_EPARSE;
    }
    if (!est_date_parse(from, &out->from)) {
      *field = "from";
      *detail = "must be a date YYYY-MM-DD";
      return EST_EPARSE;
    }
    if (!est_date_parse(to, &out->to)) {
      *field = "to";
      *detail = "must be a date YYYY-MM-DD";
      return EST_EPARSE;
    }
    long days = est_period_days(out);
    if (days < 1) {
      *field = "to";
      *detail = "must be after from (to is exclusive)";
      return EST_EPARSE;
    }
    if (days > EST_PERIOD_MAX_DAYS) {
      *field = "to";
      *detail = "the period may be at most 731 days long";
      return EST_EPARSE;
    }
    return EST_OK;
  }
  int y, w;
  est_iso_week_of(today, &y, &w);
  period_week(out, y, w);
  return EST_OK;
}

long est_period_days(const est_period *p) { return est_date_to_days(p->to) - est_date_to_days(p->from); }

void est_period_previous(const est_period *p, est_period *out) {
  memset(out, 0, sizeof *out);
  if (p->iso_week) {
    est_date prev = est_date_from_days(est_date_to_days(p->from) - 7);
    int y, w;
    est_iso_week_of(prev, &y, &w);
    period_week(out, y, w);
    return;
  }
  long len = est_period_days(p);
  out->to = p->from;
  out->from = est_date_from_days(est_date_to_days(p->from) - len);
}

static est_date minus_year(est_date d) {
  est_date r = {d.y - 1, d.m, d.d};
  if (r.m == 2 && r.d == 29 && !is_leap(r.y)) r.d = 28;
  return r;
}

void est_period_year_ago(const est_period *p, est_period *out) {
  memset(out, 0, sizeof *out);
  if (p->iso_week) {
    int y = p->iso_year - 1, w = p->iso_week;
    if (w > est_iso_weeks_in_year(y)) w = est_iso_weeks_in_year(y);
    period_week(out, y, w);
    return;
  }
  out->from = minus_year(p->from);
  out->to = minus_year(p->to);
  if (est_date_to_days(out->to) <= est_date_to_days(out->from))
    out->to = est_date_from_days(est_date_to_days(out->from) + 1);
}

json_t *est_period_json(const est_period *p) {
  char f[16], t[16], w[16];
  est_date_format(p->from, f, sizeof f);
  est_date_format(p->to, t, sizeof t);
  json_t *o = json_object();
  json_object_set_new(o, "from", json_string(f));
  json_object_set_new(o, "to", json_string(t));
  if (p->iso_week) {
    snprintf(w, sizeof w, "%04d-W%02d", p->iso_year, p->iso_week);
    json_object_set_new(o, "week", json_string(w));
  } else {
    json_object_set_new(o, "week", json_null());
  }
  return o;
}

/* ---- change and suppression ---------------------------------------------- */

bool est_pct_change(long long cur, long long base, double *out) {
  if (base == 0) return false;
  double v = (double)(cur - base) * 100.0 / (double)base;
  *out = round(v * 10.0) / 10.0;
  return true;
}

void est_suppress(const long long *counts, bool *sup, size_t n, long long total, bool *total_sup, int k) {
  size_t nsup = 0;
  for (size_t i = 0; i < n; i++) {
    sup[i] = k > 1 && counts[i] > 0 && counts[i] < k;
    if (sup[i]) nsup++;
  }
  *total_sup = k > 1 && total > 0 && total < k;
  if (*total_sup) {
    /* Every non-zero cell is below k too; make sure none is left visible. */
    for (size_t i = 0; i < n; i++)
      if (counts[i] > 0) sup[i] = true;
    return;
  }
  if (nsup == 1) {
    size_t best = n;
    for (size_t i = 0; i < n; i++)
      if (!sup[i] && counts[i] > 0 && (best == n || counts[i] < counts[best])) best = i;
    if (best < n) {
      sup[best] = true;
    } else {
      *total_sup = true; /* no other cell to hide: hide the total */
    }
  }
}

bool est_suppress_json(json_t *cells, long long total, const char *key, const char *flag, int k) {
  size_t n = json_array_size(cells);
  long long *counts = calloc(n ? n : 1, sizeof *counts);
  bool *sup = calloc(n ? n : 1, sizeof *sup);
  bool tsup = false;
  if (!counts || !sup) {
    free(counts);
    free(sup);
    return true; /* fail closed */
  }
  long long sum = 0;
  for (size_t i = 0; i < n; i++) {
    counts[i] = json_integer_value(json_object_get(json_array_get(cells, i), key));
    sum += counts[i];
  }
  est_suppress(counts, sup, n, total < 0 ? sum : total, &tsup, k);
  for (size_t i = 0; i < n; i++) {
    json_t *c = json_array_get(cells, i);
    if (sup[i]) json_object_set_new(c, key, json_null());
    json_object_set_new(c, flag, json_boolean(sup[i]));
  }
  free(counts);
  free(sup);
  return tsup;
}

void est_change_json(json_t *obj, const char *name, const char *cur_key, const char *base_key) {
  json_t *cur = json_object_get(obj, cur_key), *base = json_object_get(obj, base_key);
  json_t *ch = json_object();
  if (json_is_integer(cur) && json_is_integer(base)) {
    long long c = json_integer_value(cur), b = json_integer_value(base);
    double pct;
    json_object_set_new(ch, "absolute", json_integer(c - b));
    json_object_set_new(ch, "percent", est_pct_change(c, b, &pct) ? json_real(pct) : json_null());
    double z = 0;
    bool ok = est_poisson_z(c, b, &z);
    json_object_set_new(ch, "z", ok ? json_real(round(z * 100.0) / 100.0) : json_null());
    json_object_set_new(ch, "significant", ok ? json_boolean(est_poisson_significant(z)) : json_null());
  } else {
    json_object_set_new(ch, "absolute", json_null());
    json_object_set_new(ch, "percent", json_null());
    json_object_set_new(ch, "z", json_null());
    json_object_set_new(ch, "significant", json_null());
  }
  json_object_set_new(obj, name, ch);
}

/* ---- progress ------------------------------------------------------------ */

bool est_progress_on_track(double value, double target, const char *comparison, double elapsed, bool *on_track) {
  if (!(target > 0) || !comparison) return false;
  if (elapsed < 0) elapsed = 0;
  if (elapsed > 1) elapsed = 1;
  double due = target * elapsed;
  /* Compare with a small tolerance so 4 of 4 at elapsed 1.0 is on track. */
  const double eps = 1e-9;
  if (strcmp(comparison, "at_least") == 0) {
    *on_track = value + eps >= due;
  } else if (strcmp(comparison, "at_most") == 0) {
    *on_track = value <= due + eps;
  } else if (strcmp(comparison, "exactly") == 0) {
    *on_track = value + eps >= due && value <= target + eps;
  } else {
    return false;
  }
  return true;
}

double est_elapsed_fraction(est_date from, est_date to_inclusive, est_date today) {
  long f = est_date_to_days(from), t = est_date_to_days(to_inclusive) + 1, now = est_date_to_days(today) + 1;
  if (t <= f) return 1.0;
  if (now <= f) return 0.0;
  if (now >= t) return 1.0;
  return (double)(now - f) / (double)(t - f);
}

/* ---- CSV ----------------------------------------------------------------- */

est_result est_csv_field(est_buf *b, const char *s, bool first_in_row) {
  if (!first_in_row) est_buf_append(b, ",", 1);
  if (s && strpbrk(s, ",\"\r\n") == NULL) {
    est_buf_puts(b, s);
  } else if (s) {
    est_buf_append(b, "\"", 1);
    for (const char *p = s; *p; p++) *p == '"' ? est_buf_append(b, "\"\"", 2) : est_buf_append(b, p, 1);
    est_buf_append(b, "\"", 1);
  }
  return b->oom ? EST_ENOMEM : EST_OK;
}

est_result est_csv_end_row(est_buf *b) {
  est_buf_append(b, "\r\n", 2);
  return b->oom ? EST_ENOMEM : EST_OK;
}
