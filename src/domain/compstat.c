/* compstat.c - CompStat-style change between periods (see compstat.h). */
#include "estd/compstat.h"

#include "estd/significance.h"

#include <math.h>

bool est_pct_change(long long cur, long long base, double *out) {
  if (base == 0) return false;
  double v = (double)(cur - base) * 100.0 / (double)base;
  *out = round(v * 10.0) / 10.0;
  return true;
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
