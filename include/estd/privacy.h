/* privacy.h - what may be published of a count (domain/privacy.c): the
 * publication policy every published count goes through, by default the
 * cell-key rounding of estd/disclosure.h (docs/SECURITY.md "Disclosure
 * control").
 *
 * A count reaches the policy with its cell key: the store puts the key of
 * member X next to it as member "ck_X" (EST_CK_PREFIX); est_publish_json,
 * est_publish_one and est_publish_tree hand it to the policy and always
 * remove the ck_ member, so no cell key is ever published. */
#ifndef ESTD_PRIVACY_H
#define ESTD_PRIVACY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "estd/disclosure.h"

/* ---- the publication policy ----------------------------------------------
 * Every count the situational picture publishes (domain/situation.c) goes
 * through est_publish_json, one call per table and period, and so through
 * exactly one policy function: the place to add disclosure control
 * (rounding, perturbation) or per-cell tests. The policy sees the true
 * counts and decides what is published. */

/* One table of counts in one period, as a policy sees it. */
typedef struct est_count_table {
  const char *table;         /* which table (see est_situation_document: "total", "by_category",
                              "by_party", "series", "by_weekday", "by_hour", "hot_spot",
                              "hot_spot.by_category") */
  const char *period;        /* the count member: "count" (the period), "previous", "year_ago" */
  size_t n;                  /* number of cells */
  const char *const *keys;   /* each cell's identity in its table (category code, party id,
                              bucket start, weekday, hour, hot spot rank), never NULL */
  const long long *counts;   /* the true counts */
  const unsigned *cell_keys; /* each cell's key (sum of its events' record keys mod 2^31; 0 without one) */
  long long total;           /* the true total of the table (published in its own table) */
  long long *value;          /* out: the count to publish; preset to counts[i] */
  bool *suppressed;          /* out: publish null instead; preset false */
} est_count_table;

typedef struct est_publish_policy est_publish_policy;
/* Decides value[] and suppressed[] of t; returns true when t's total must
 * not be published either (it would disclose a hidden cell). */
typedef bool (*est_publish_fn)(const est_publish_policy *p, est_count_table *t);

struct est_publish_policy {
  int k;             /* rounding base (est_disclosure_base); <= 1 publishes exact counts */
  bool detail;       /* the caller has the read-detail scope */
  est_publish_fn fn; /* NULL = est_publish_round */
  void *arg;         /* for fn */
};

/* The default policy: every count c becomes est_cell_round(c, its cell key,
 * p->k), a multiple of k; a rounded 0 is suppressed (published null: the
 * true count is below k). Never asks to hide a total: totals are rounded
 * cells of their own. */
bool est_publish_round(const est_publish_policy *p, est_count_table *t);

/* Applies p to a JSON table in place: cells is an array of objects whose
 * integer member `key` is the count (with its cell key "ck_<key>") and
 * whose member `id_key` (string or integer; NULL = the cell's position) is
 * its identity. Published counts are written back, suppressed ones become
 * null; each cell gets `flag` true/false; the ck_ members are removed.
 * total is the table's true total (negative: the sum of the cells).
 * Returns true when the total must be suppressed too; fails closed (true,
 * every cell suppressed) when memory runs out. */
bool est_publish_json(const est_publish_policy *p, const char *table, json_t *cells, const char *id_key,
                      long long total, const char *key, const char *flag);

/* Publishes the one count member `key` of obj (with its "ck_<key>") as a
 * table of one cell named table; sets `flag` (NULL: "suppressed" for
 * "count", else key + "_suppressed"). Returns true when it is suppressed. */
bool est_publish_one(const est_publish_policy *p, const char *table, json_t *obj, const char *key, const char *flag);

/* Publishes, through est_publish_one, every count of v (any depth) that
 * still carries a cell key: an integer member X with a sibling "ck_X".
 * Members "ck_X" whose X is not an integer count (a sum of hours) are just
 * removed. Called last on every published document, so a count the store
 * delivers with a key can never leave unprotected. */
void est_publish_tree(const est_publish_policy *p, const char *table, json_t *v);

#endif
