/* store.h - the types every store interface shares (store/store.c):
 * pages, list queries, documents. Every SQL statement lives in store/;
 * nothing else includes libpq. */
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

#endif
