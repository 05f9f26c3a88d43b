/* privacy.h - what the situational picture may publish of its counts
 * (domain/privacy.c): small-count suppression, and the publication policy
 * every published count goes through. */
#ifndef ESTD_PRIVACY_H
#define ESTD_PRIVACY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Privacy suppression of one table of counts with its total.
 *
 * Cells with 0 < count < k are suppressed (primary). If exactly one cell is
 * suppressed and the total is published, the smallest other non-zero cell
 * is suppressed too (secondary), so the suppressed value cannot be derived
 * as total minus the published cells. A total 0 < total < k is suppressed
 * (then every non-zero cell is below k as well). Zeros are published. k <= 1
 * suppresses nothing. sup[] and *total_sup are outputs. */
void est_suppress(const long long *counts, bool *sup, size_t n, long long total, bool *total_sup, int k);

/* Applies est_suppress to a JSON table in place: cells is an array of
 * objects whose integer member `key` is the count; total is the table's
 * total (negative: the sum of the cells). Suppressed counts become null and
 * the cell gets `flag` = true (e.g. "suppressed"); the others get false.
 * Returns true when the total must be suppressed too (the caller owns the
 * total, which several tables may share: OR the results). Same as
 * est_publish_json with the default policy at threshold k. */
bool est_suppress_json(json_t *cells, long long total, const char *key, const char *flag, int k);

/* ---- the publication policy ----------------------------------------------
 * Every count the situational picture publishes (domain/situation.c) goes
 * through est_publish_json, one call per table and period, and so through
 * exactly one policy function: the place to add disclosure control
 * (rounding, perturbation) or per-cell tests. The policy sees the true
 * counts and decides what is published. */

/* One table of counts in one period, as a policy sees it. */
typedef struct est_count_table {
  const char *table;       /* which table (see est_situation_document: "total", "by_category",
                              "by_party", "series", "by_weekday", "by_hour", "hot_spot",
                              "hot_spot.by_category") */
  const char *period;      /* the count member: "count" (the period), "previous", "year_ago" */
  size_t n;                /* number of cells */
  const char *const *keys; /* each cell's identity in its table (category code, party id,
                              bucket start, weekday, hour, hot spot rank), never NULL */
  const long long *counts; /* the true counts */
  long long total;         /* the true total of the table (published in its own table) */
  long long *value;        /* out: the count to publish; preset to counts[i] */
  bool *suppressed;        /* out: publish null instead; preset false */
} est_count_table;

typedef struct est_publish_policy est_publish_policy;
/* Decides value[] and suppressed[] of t; returns true when t's total must
 * not be published either (it would disclose a hidden cell). */
typedef bool (*est_publish_fn)(const est_publish_policy *p, est_count_table *t);

struct est_publish_policy {
  int k;             /* small-count threshold; <= 1 suppresses nothing */
  bool detail;       /* the caller has the read-detail scope */
  est_publish_fn fn; /* NULL = est_publish_suppress */
  void *arg;         /* for fn */
};

/* The default policy: est_suppress at threshold p->k, values unchanged. */
bool est_publish_suppress(const est_publish_policy *p, est_count_table *t);

/* Applies p to a JSON table in place: cells is an array of objects whose
 * integer member `key` is the count and whose member `id_key` (string or
 * integer; NULL = the cell's position) is its identity. Published counts
 * are written back, suppressed ones become null; each cell gets `flag`
 * true/false. total as for est_suppress_json. Returns true when the total
 * must be suppressed too; fails closed (true, every cell suppressed) when
 * memory runs out. */
bool est_publish_json(const est_publish_policy *p, const char *table, json_t *cells, const char *id_key,
                      long long total, const char *key, const char *flag);

#endif
