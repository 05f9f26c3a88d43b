/* privacy.c - small-count suppression (see privacy.h). */
#include "estd/privacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

bool est_publish_suppress(const est_publish_policy *p, est_count_table *t) {
  bool total_sup = false;
  est_suppress(t->counts, t->suppressed, t->n, t->total, &total_sup, p->k);
  return total_sup;
}

/* A cell's identity as text: its id member (string or integer) or, without
 * one, its position. */
static char *cell_key(json_t *cell, const char *id_key, size_t i) {
  json_t *v = id_key ? json_object_get(cell, id_key) : NULL;
  if (json_is_string(v)) return strdup(json_string_value(v));
  char buf[32];
  if (json_is_integer(v)) snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
  else snprintf(buf, sizeof buf, "%zu", i);
  return strdup(buf);
}

bool est_publish_json(const est_publish_policy *p, const char *table, json_t *cells, const char *id_key,
                      long long total, const char *key, const char *flag) {
  size_t n = json_array_size(cells), m = n ? n : 1;
  long long *counts = calloc(m, sizeof *counts), *value = calloc(m, sizeof *value);
  bool *sup = calloc(m, sizeof *sup);
  char **keys = calloc(m, sizeof *keys);
  bool ok = counts && value && sup && keys, total_sup = true;
  long long sum = 0;
  for (size_t i = 0; ok && i < n; i++) {
    json_t *c = json_array_get(cells, i);
    counts[i] = value[i] = json_integer_value(json_object_get(c, key));
    sum += counts[i];
    ok = (keys[i] = cell_key(c, id_key, i)) != NULL;
  }
  if (ok) {
    est_count_table t = {table, key, n, (const char *const *)keys, counts, total < 0 ? sum : total, value, sup};
    total_sup = (p->fn ? p->fn : est_publish_suppress)(p, &t);
  }
  for (size_t i = 0; i < n; i++) {
    json_t *c = json_array_get(cells, i);
    bool s = !ok || sup[i]; /* fail closed */
    if (s) json_object_set_new(c, key, json_null());
    else if (value[i] != counts[i]) json_object_set_new(c, key, json_integer((json_int_t)value[i]));
    json_object_set_new(c, flag, json_boolean(s));
    if (keys) free(keys[i]);
  }
  free(counts);
  free(value);
  free(sup);
  free(keys);
  return total_sup;
}

bool est_suppress_json(json_t *cells, long long total, const char *key, const char *flag, int k) {
  est_publish_policy p = {k, false, NULL, NULL};
  return est_publish_json(&p, "", cells, NULL, total, key, flag);
}
