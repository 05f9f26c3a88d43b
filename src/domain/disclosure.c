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

est_rows est_disclosure_feature_rows(const est_caller *c, long long *party) {
  if (!c->detail && !c->admin) {
    *party = 0;
    return EST_ROWS_NONE;
  }
  return est_disclosure_dead_letters(c, party); /* the same rule: admin all, else the own party's */
}

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

json_t *est_protection_json(int k) {
  if (k <= 1) return json_null();
  return json_pack("{s:s, s:i}", "method", "cell-key-rounding", "base", k);
}
