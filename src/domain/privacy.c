/* privacy.c - small-count suppression (see privacy.h). */
#include "estd/privacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool est_publish_round(const est_publish_policy *p, est_count_table *t) {
  for (size_t i = 0; i < t->n; i++) {
    t->value[i] = est_cell_round(t->counts[i], t->cell_keys[i], p->k);
    t->suppressed[i] = p->k > 1 && t->value[i] == 0;
  }
  return false;
}

/* The cell key of member key of cell (0 when there is none), and removes it. */
static unsigned take_cell_key(json_t *cell, const char *key) {
  char name[96];
  snprintf(name, sizeof name, EST_CK_PREFIX "%s", key);
  json_t *v = json_object_get(cell, name);
  long long ck = json_is_integer(v) ? (long long)json_integer_value(v) : 0;
  json_object_del(cell, name);
  return (unsigned)(((ck % EST_CELL_KEY_MOD) + EST_CELL_KEY_MOD) % EST_CELL_KEY_MOD);
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
  unsigned *cks = calloc(m, sizeof *cks);
  bool *sup = calloc(m, sizeof *sup);
  char **keys = calloc(m, sizeof *keys);
  bool ok = counts && value && cks && sup && keys, total_sup = true;
  long long sum = 0;
  for (size_t i = 0; i < n; i++) { /* every cell key goes, also when memory ran out */
    json_t *c = json_array_get(cells, i);
    unsigned ck = take_cell_key(c, key);
    if (cks) cks[i] = ck;
  }
  for (size_t i = 0; ok && i < n; i++) {
    json_t *c = json_array_get(cells, i);
    counts[i] = value[i] = json_integer_value(json_object_get(c, key));
    sum += counts[i];
    ok = (keys[i] = cell_key(c, id_key, i)) != NULL;
  }
  if (ok) {
    est_count_table t = {table, key, n, (const char *const *)keys, counts, cks, total < 0 ? sum : total, value, sup};
    total_sup = (p->fn ? p->fn : est_publish_round)(p, &t);
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
  free(cks);
  free(sup);
  free(keys);
  return total_sup;
}

bool est_publish_one(const est_publish_policy *p, const char *table, json_t *obj, const char *key, const char *flag) {
  char fl[96];
  if (!flag) {
    if (strcmp(key, "count") == 0) snprintf(fl, sizeof fl, "suppressed");
    else snprintf(fl, sizeof fl, "%s_suppressed", key);
    flag = fl;
  }
  char ck[96];
  snprintf(ck, sizeof ck, EST_CK_PREFIX "%s", key);
  json_t *cell = json_object(), *cells = json_array();
  bool sup = true;
  if (cell && cells && json_array_append(cells, cell) == 0) {
    json_object_set(cell, key, json_object_get(obj, key));
    json_t *ckv = json_object_get(obj, ck);
    if (ckv) json_object_set(cell, ck, ckv);
    est_publish_json(p, table, cells, NULL, -1, key, "s");
    sup = !json_is_false(json_object_get(cell, "s"));
    if (!sup) json_object_set(obj, key, json_object_get(cell, key));
  }
  json_decref(cell);
  json_decref(cells);
  json_object_del(obj, ck);
  if (sup) json_object_set_new(obj, key, json_null());
  json_object_set_new(obj, flag, json_boolean(sup));
  return sup;
}

void est_publish_tree(const est_publish_policy *p, const char *table, json_t *v) {
  if (json_is_array(v)) {
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) est_publish_tree(p, table, e);
    return;
  }
  if (!json_is_object(v)) return;
  const char *key;
  json_t *val;
  json_object_foreach(v, key, val) {
    if (json_is_object(val) || json_is_array(val)) est_publish_tree(p, table, val);
  }
  /* The ck_ members of this object (collected first: publishing changes the object). */
  const size_t plen = strlen(EST_CK_PREFIX);
  char names[32][96];
  size_t m = 0;
  bool more = true;
  while (more) {
    more = false;
    m = 0;
    json_object_foreach(v, key, val) {
      if (strncmp(key, EST_CK_PREFIX, plen) != 0) continue;
      if (m == sizeof names / sizeof *names || strlen(key) >= sizeof names[0]) {
        more = true;
        break;
      }
      snprintf(names[m++], sizeof names[0], "%s", key);
    }
    for (size_t i = 0; i < m; i++) {
      const char *member = names[i] + plen;
      if (json_is_integer(json_object_get(v, member))) est_publish_one(p, table, v, member, NULL);
      else json_object_del(v, names[i]); /* no integer count next to it (a sum of hours, null) */
    }
    if (more && m == 0) { /* a ck_ name too long to copy: cannot happen; fail closed */
      json_object_clear(v);
      more = false;
    }
  }
}
