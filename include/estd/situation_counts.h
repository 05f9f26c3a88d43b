/* situation_counts.h - the counts document of the situational picture
 * built from the rollups' cells (domain/situation_counts.c).
 *
 * The store reads the cells (store/situation.c: situation_daily and
 * situation_hourly, already grouped) and the labels; this module adds them
 * up and writes the same document the reference statement of the raw
 * events builds in SQL (ESTD_SITUATION_SOURCE=raw; see store_situation.h
 * for its members): tests/integration/test_rollups.py compares the two
 * byte for byte. Building it here instead of in SQL saves the
 * json_build_object of every cell and a parse of the text (the counts are
 * recomputed after every committed batch under intake). Pure: no I/O.
 *
 * Every count X comes with its cell key ck_X: the sum of the cell's record
 * keys mod 2^31 (estd/disclosure.h); the cells' ck are such sums already. */
#ifndef ESTD_SITUATION_COUNTS_H
#define ESTD_SITUATION_COUNTS_H

#include <jansson.h>
#include <stddef.h>

#include "estd/calendar.h"
#include "estd/result.h"

/* Periods of a cell. */
enum { EST_COUNTS_CURRENT = 0, EST_COUNTS_PREVIOUS = 1, EST_COUNTS_YEAR_AGO = 2 };

/* Incidents of one period, category and party (the daily rollup; category
 * NULL: an incident without a category, counted in the totals only). */
typedef struct est_counts_cell {
  int per;
  const char *category;
  long long party_id, n, ck;
} est_counts_cell;

/* Incidents of the current period in one local (Europe/Stockholm) hour:
 * its bucket (the day, or the Monday of its ISO week), ISO weekday 1..7 and
 * hour 0..23. One wall-clock hour may come twice (October). */
typedef struct est_counts_hour {
  est_date bucket;
  int dow, hour;
  long long n, ck;
} est_counts_hour;

/* Labels, in the document's order: categories by ordinal, parties by id,
 * areas by id (all, or the one asked for). A string may be NULL (JSON
 * null). */
typedef struct est_counts_category {
  const char *code, *label_sv, *label_en;
} est_counts_category;
typedef struct est_counts_party {
  long long id;
  const char *code, *name;
} est_counts_party;
/* An area with its incidents in the current period (has_counts 0: the
 * picture of this one area, whose counts are the current total). */
typedef struct est_counts_area {
  long long id;
  const char *code, *name;
  int has_counts;
  long long n, ck;
} est_counts_area;
/* A party that reported in the current period: its events (every kind)
 * and the newest occurred_at as PostgreSQL prints it in JSON, with its
 * local date (NULL when unknown). */
typedef struct est_counts_source {
  long long party_id, events;
  const char *latest, *latest_date;
} est_counts_source;

typedef struct est_counts_rows {
  est_date from, to; /* the current period [from, to) */
  int by_week;       /* series per ISO week (bucket "week"), else per day */
  const est_counts_cell *cells;
  size_t ncells;
  const est_counts_hour *hours;
  size_t nhours;
  const est_counts_category *categories;
  size_t ncategories;
  const est_counts_party *parties;
  size_t nparties;
  const est_counts_area *areas;
  size_t nareas;
  const est_counts_source *sources;
  size_t nsources;
} est_counts_rows;

/* The counts document of r (*out, a new reference): {"total", "by_category",
 * "by_party", "series", "by_weekday", "by_hour", "by_weekday_hour",
 * "by_area", "sources"}, members and order as store_situation.h; an empty
 * list is null, as json_agg gives. Cells of no period, hours outside the
 * period's buckets, weekdays or hours, and cells of unknown categories or
 * parties count nowhere they would not in the reference's joins (the
 * totals hold every cell of their period). EST_ENOMEM. */
est_result est_counts_document(const est_counts_rows *r, json_t **out);

#endif
