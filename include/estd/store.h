/* store.h - the types every store interface shares (store/store.c):
 * pages, list queries, documents. Every SQL statement lives in store/;
 * nothing else includes libpq. */
#ifndef ESTD_STORE_H
#define ESTD_STORE_H

#include <stdbool.h>
#include "estd/cursor.h"
#include "estd/pool.h"
#include "estd/actor.h"
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
  int sort_index; /* index into the resource's sort list */
  bool desc;
  bool has_after; /* true when a cursor was given */
  est_cursor after;
} est_list_query;

/* A single resource: its JSON text and version (the ETag), malloc'd. */
typedef struct est_doc {
  char *json;
  long long version;
} est_doc;
void est_doc_free(est_doc *d);

/* Why a write was refused, for the problem document: field is a JSON
 * pointer into the request ("/geometry") or "" when no single field is to
 * blame; detail is one English line ("" when there is nothing to add to
 * the result). The one write-error type of every store writer. */
typedef struct store_write_error {
  char field[64];
  char detail[512];
} store_write_error;
/* Sets e's field and detail (e may be NULL: then nothing happens). */
void store_write_error_set(store_write_error *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* ---- archiving (DELETE archives, restore undoes it) ----
 * A table whose rows are archived instead of removed: archived_at
 * timestamptz (NULL = active), version. Each store module that has one
 * exports a `const store_archivable` (defined with STORE_ARCHIVABLE in
 * store_util.h) that http_resource points at; store_archive.h archives. */
typedef struct store_archivable store_archivable;

#endif
