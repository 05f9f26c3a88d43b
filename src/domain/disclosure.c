/* disclosure.c - the disclosure policy and cell-key rounding (see
 * disclosure.h). */
#include "estd/disclosure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

est_rows est_disclosure_rows(const est_caller *c, long long *party) {
  *party = 0;
  if (c->detail || c->admin) return EST_ROWS_ALL;
  if (c->party_id > 0) {
    *party = c->party_id;
    return EST_ROWS_PARTY;
  }
  return EST_ROWS_NONE;
}

est_event_view est_disclosure_event(const est_caller *c, long long event_party) {
  long long party;
  est_rows rows = est_disclosure_rows(c, &party);
  bool v = rows == EST_ROWS_ALL || (rows == EST_ROWS_PARTY && event_party == party);
  est_event_view view = {v, v, v, v, v, v};
  return view;
}

int est_disclosure_base(const est_caller *c, int cfg_min, int requested) {
  if (requested > 0) return requested > cfg_min ? requested : cfg_min;
  if (c->detail || c->admin) return 0;
  return cfg_min;
}

bool est_disclosure_exact_geometry(const est_caller *c) { return c->detail || c->admin; }

est_rows est_disclosure_dead_letters(const est_caller *c, long long *party) {
  *party = 0;
  if (c->admin) return EST_ROWS_ALL;
  if (c->party_id > 0) {
    *party = c->party_id;
    return EST_ROWS_PARTY;
  }
  return EST_ROWS_NONE;
}

long long est_cell_round(long long c, uint32_t ck, int k) {
  if (k <= 1 || c <= 0) return c; /* a true zero stays zero (see SECURITY.md) */
  long long low = c - c % k, rem = c % k;
  if (rem == 0) return c;
  /* up iff u < rem / k with u = ck / 2^31, i.e. ck * k < rem * 2^31 */
  uint64_t lhs = (uint64_t)(ck % (uint64_t)EST_CELL_KEY_MOD) * (uint64_t)k;
  uint64_t rhs = (uint64_t)rem * (uint64_t)EST_CELL_KEY_MOD;
  return lhs < rhs ? low + k : low;
}

static void flag_name(const char *member, char *out, size_t n) {
  if (strcmp(member, "count") == 0) snprintf(out, n, "suppressed");
  else snprintf(out, n, "%s_suppressed", member);
}

static void protect_object(json_t *o, int k) {
  const size_t plen = strlen(EST_CK_PREFIX);
  /* Collect first: members are changed while iterating otherwise. */
  size_t n = json_object_size(o), m = 0;
  const char **cks = calloc(n ? n : 1, sizeof *cks);
  if (!cks) {
    json_object_clear(o); /* fail closed: publish nothing rather than a key */
    return;
  }
  const char *key;
  json_t *val;
  json_object_foreach(o, key, val) {
    if (strncmp(key, EST_CK_PREFIX, plen) == 0) cks[m++] = key;
  }
  for (size_t i = 0; i < m; i++) {
    const char *member = cks[i] + plen;
    json_t *cnt = json_object_get(o, member);
    json_t *ck = json_object_get(o, cks[i]);
    char flag[96];
    flag_name(member, flag, sizeof flag);
    if (json_is_integer(cnt)) {
      bool sup = false;
      if (k > 1) {
        long long ckv = json_is_integer(ck) ? (long long)json_integer_value(ck) : 0;
        uint32_t u = (uint32_t)(((ckv % EST_CELL_KEY_MOD) + EST_CELL_KEY_MOD) % EST_CELL_KEY_MOD);
        long long r = est_cell_round((long long)json_integer_value(cnt), u, k);
        sup = r == 0;
        json_object_set_new(o, member, sup ? json_null() : json_integer((json_int_t)r));
      }
      json_object_set_new(o, flag, json_boolean(sup));
    }
  }
  /* Delete the key members last; copy each name first (the member's own
   * storage goes away with it). */
  for (size_t i = 0; i < m; i++) {
    char name[256];
    if (strlen(cks[i]) >= sizeof name) {
      json_object_clear(o); /* cannot happen with the store's names; fail closed */
      break;
    }
    snprintf(name, sizeof name, "%s", cks[i]);
    json_object_del(o, name);
  }
  free(cks);
}

void est_protect_tree(json_t *v, int k) {
  if (json_is_array(v)) {
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) est_protect_tree(e, k);
    return;
  }
  if (!json_is_object(v)) return;
  const char *key;
  json_t *val;
  json_object_foreach(v, key, val) {
    if (json_is_object(val) || json_is_array(val)) est_protect_tree(val, k);
  }
  protect_object(v, k);
}

json_t *est_protection_json(int k) {
  if (k <= 1) return json_null();
  return json_pack("{s:s, s:i}", "method", "cell-key-rounding", "base", k);
}
