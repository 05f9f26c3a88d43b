/* period.c - report periods and their comparison periods (see period.h). */
#include "estd/period.h"

#include <stdio.h>
#include <string.h>

#include "estd/util.h"

static void period_week(est_period *p, int y, int w) {
  p->from = est_iso_week_monday(y, w);
  p->to = est_date_from_days(est_date_to_days(p->from) + 7);
  p->iso_year = y;
  p->iso_week = w;
}

est_result est_period_from_params(const char *week, const char *from, const char *to, est_date today, est_period *out,
                                  const char **field, const char **detail) {
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
  if (r.m == 2 && r.d == 29 && !est_is_leap_year(r.y)) r.d = 28;
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
