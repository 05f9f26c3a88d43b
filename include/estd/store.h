/* store.h - shared types of the store/ modules (every SQL statement lives
 * in store/; nothing else includes libpq). */
#ifndef ESTD_STORE_H
#define ESTD_STORE_H

#include <stdbool.h>
#include "estd/cursor.h"
#include "estd/pool.h"
#include "estd/result.h"

/* A page of a list: items is a JSON array text; next_cursor is NULL on the
 * last page. Both malloc'd; release with est_page_free. */
typedef struct est_page {
  char *items;
  char *next_cursor;
} est_page;
void est_page_free(est_page *p);

/* Validated list parameters (built by http/ from limit, sort, cursor). */
typedef struct est_list_query {
  int limit;
  int sort_index;  /* index into the resource's sort list */
  bool desc;
  bool has_after;  /* true when a cursor was given */
  est_cursor after;
} est_list_query;

/* A single resource: its JSON text and version (the ETag), malloc'd. */
typedef struct est_doc {
  char *json;
  long long version;
} est_doc;
void est_doc_free(est_doc *d);

/* ---- parties and agreements (writes: estd/store_cycle.h) ---- */
extern const char *const store_parties_sorts[];    /* {"id","name",NULL} */
extern const char *const store_agreements_sorts[]; /* {"id","valid_from",NULL} */

typedef struct store_party_filter {
  const char *kind; /* NULL = any */
  bool include_archived;
} store_party_filter;
est_result store_parties_list(est_pool *pool, const store_party_filter *f, const est_list_query *q, est_page *out);
est_result store_party_get(est_pool *pool, long long id, est_doc *out);

typedef struct store_agreement_filter {
  const char *kind;     /* NULL = any */
  long long party_id;   /* 0 = any */
  const char *active_on;/* YYYY-MM-DD or NULL */
  bool include_archived;
} store_agreement_filter;
est_result store_agreements_list(est_pool *pool, const store_agreement_filter *f, const est_list_query *q,
                                  est_page *out);
est_result store_agreement_get(est_pool *pool, long long id, est_doc *out);

#endif
