/* progress.c - evaluation of commitment progress (see progress.h). */
#include "estd/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The publish point of progress (see progress.h). */
static void disclose(json_t *p, const est_publish_policy *pol, const est_caller *who) {
  const char *measure = json_string_value(json_object_get(json_object_get(p, "indicator"), "measure"));
  if (measure && strcmp(measure, "count") == 0) {
    est_publish_json(pol, "progress.buckets", json_object_get(p, "buckets"), "from", -1, "value", "value_suppressed");
    est_publish_one(pol, "progress.total", p, "total", NULL);
  }
  est_publish_tree(pol, "progress", p); /* whatever else carries a key (none today) */
  json_t *le = json_object_get(p, "last_event");
  if (json_is_object(le) &&
      !est_disclosure_event(who, (long long)json_integer_value(json_object_get(le, "party_id"))).visible)
    json_object_set_new(p, "last_event", json_null());
}

void est_progress_evaluate(json_t *p, est_date today, const est_publish_policy *pol, const est_caller *who) {
  disclose(p, pol, who);
  char td[16];
  est_date_format(today, td, sizeof td);
  json_object_set_new(p, "evaluated_on", json_string(td));
  json_t *buckets = json_object_get(p, "buckets");
  json_t *target = json_object_get(p, "target");
  json_t *cur = NULL;
  est_date bf = {0, 0, 0}, bt = {0, 0, 0};
  long tdays = est_date_to_days(today);
  size_t i, n = json_array_size(buckets);
  for (i = 0; i < n; i++) {
    json_t *b = json_array_get(buckets, i);
    est_date f, t;
    if (!est_date_parse(json_string_value(json_object_get(b, "from")), &f) ||
        !est_date_parse(json_string_value(json_object_get(b, "to")), &t))
      continue;
    /* The bucket containing today, else the first (before) or last (after). */
    if (!cur || (tdays >= est_date_to_days(f))) {
      cur = b;
      bf = f;
      bt = t;
    }
    if (tdays <= est_date_to_days(t)) break;
  }
  json_t *value = cur ? json_object_get(cur, "value") : NULL;
  json_object_set(p, "value", value && !json_is_null(value) ? value : json_null());
  json_object_set_new(p, "value_suppressed",
                      json_boolean(cur && json_is_true(json_object_get(cur, "value_suppressed"))));
  json_t *cb = json_object();
  if (cur) {
    json_object_set(cb, "from", json_object_get(cur, "from"));
    json_object_set(cb, "to", json_object_get(cur, "to"));
  }
  json_object_set_new(p, "current_bucket", cur ? cb : json_null());
  if (!cur) json_decref(cb);
  double elapsed = cur ? est_elapsed_fraction(bf, bt, today) : 0.0;
  json_object_set_new(p, "elapsed_fraction", json_real(((double)(long long)(elapsed * 10000.0 + 0.5)) / 10000.0));
  double v = json_number_value(value), tv = json_number_value(json_object_get(target, "value"));
  bool on = false;
  if (json_is_number(value) && json_is_object(target) && tv > 0 &&
      est_progress_on_track(v, tv, json_string_value(json_object_get(target, "comparison")), elapsed, &on)) {
    double pct = v * 100.0 / tv;
    json_object_set_new(p, "percentage", json_real((double)(long long)(pct * 10.0 + 0.5) / 10.0));
    json_object_set_new(p, "on_track", json_boolean(on));
  } else {
    json_object_set_new(p, "percentage", json_null());
    json_object_set_new(p, "on_track", json_null());
  }
}

est_result est_progress_ids(const json_t *items, long long **ids, size_t *n) {
  *ids = NULL;
  *n = 0;
  if (!json_is_array(items)) return EST_EINTERNAL;
  size_t m = json_array_size(items);
  long long *v = calloc(m ? m : 1, sizeof *v);
  if (!v) return EST_ENOMEM;
  for (size_t i = 0; i < m; i++) v[i] = json_integer_value(json_object_get(json_array_get(items, i), "id"));
  *ids = v;
  *n = m;
  return EST_OK;
}

void est_progress_attach(json_t *items, json_t *rows, est_date today, const est_publish_policy *pol,
                         const est_caller *who) {
  size_t i;
  json_t *c;
  json_array_foreach(items, i, c) {
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(c, "id")));
    json_t *p = json_object_get(rows, key);
    if (p) est_progress_evaluate(p, today, pol, who);
    json_object_set(c, "progress", p ? p : json_null());
  }
}
