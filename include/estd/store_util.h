/* store_util.h - helpers shared by store/ modules (store/ only). */
#ifndef ESTD_STORE_UTIL_H
#define ESTD_STORE_UTIL_H

#include <jansson.h>

#include "estd/db.h"
#include "estd/store.h"

/* Collects a list result whose columns are (0) row JSON, (1) sort value
 * text, (2) id, fetched with LIMIT q->limit + 1, into *out; the extra row
 * only signals that a next page exists. sort_name binds the cursor. */
est_result store_page_collect(PGresult *r, const est_list_query *q, const char *sort_name, est_page *out);

/* A list: runs the list statement s (columns as for store_page_collect)
 * on a pooled connection and collects the page into *out. */
est_result store_list_page(est_pool *pool, const est_stmt *s, const char *const *params, const est_list_query *q,
                           const char *sort_name, est_page *out);

/* A list whose cursor and limit are parameters at, at+1 and at+2 of
 * params (the cursor's sort value and id, or NULLs; LIMIT q->limit + 1):
 * fills those three (the caller sets the others, leaving them NULL) and
 * runs s as store_list_page does. */
#define STORE_LIST_SLOTS NULL, NULL, NULL /* the three params store_list_run fills */
est_result store_list_run(est_pool *pool, const est_stmt *s, const char **params, int at, const est_list_query *q,
                          const char *sort_name, est_page *out);

/* Runs one statement on a pooled connection: acquire, exec, release.
 * *out is NULL unless it returns EST_OK. */
est_result store_exec1(est_pool *pool, const est_stmt *s, const char *const *params, PGresult **out, char sqlstate[6]);

/* store_exec1 of a statement that returns at most one row: EST_ENOTFOUND
 * (with *out NULL) when it returns none. */
est_result store_exec_row(est_pool *pool, const est_stmt *s, const char *const *params, PGresult **out);
/* store_exec_row of a one-parameter statement: its id, or its text. */
est_result store_row_by_id(est_pool *pool, const est_stmt *s, long long id, PGresult **out);
est_result store_row_by_text(est_pool *pool, const est_stmt *s, const char *text, PGresult **out);
/* The JSON text in the first column of s's one row, parsed into *out:
 * EST_ENOTFOUND when there is no row, EST_EINTERNAL when it is not JSON. */
est_result store_json_row(est_pool *pool, const est_stmt *s, const char *const *params, json_t **out);

/* Fills *out from a (json, version) single-row result; EST_ENOTFOUND if empty. */
est_result store_doc_from(PGresult *r, est_doc *out);

/* Every transaction runs through these. A transaction on one pooled
 * connection: begin acquires and sends BEGIN; end COMMITs when rc is EST_OK
 * (returning the commit's result) and releases the connection, which rolls
 * back anything left open. _mode sends begin_sql instead of "BEGIN" (e.g.
 * "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"). */
est_result store_tx_begin(est_pool *pool, est_conn **c);
est_result store_tx_begin_mode(est_pool *pool, est_conn **c, const char *begin_sql);
est_result store_tx_end(est_pool *pool, est_conn *c, est_result rc);
/* The same for a write that answers a document: _doc begins with
 * out->json NULL, and ends freeing *out unless the transaction committed. */
est_result store_tx_begin_doc(est_pool *pool, est_conn **c, est_doc *out);
est_result store_tx_end_doc(est_pool *pool, est_conn *c, est_result rc, est_doc *out);
/* The same on a connection the caller keeps (several transactions in a
 * row, e.g. one per migration file): open sends begin_sql (NULL = "BEGIN");
 * close COMMITs when rc is EST_OK, else ROLLBACKs, and returns rc or the
 * commit's failure. */
est_result store_tx_open(est_conn *c, const char *begin_sql);
est_result store_tx_close(est_conn *c, est_result rc);

/* Runs statement s returning one (json, version) row into *out on a pooled
 * connection (_on: on c); EST_ENOTFOUND when it returns no row. */
est_result store_doc_exec(est_pool *pool, const est_stmt *s, const char *const *params, est_doc *out);
est_result store_doc_exec_on(est_conn *c, const est_stmt *s, const char *const *params, est_doc *out);
/* Runs a one-parameter (id) statement returning (json, version) into *out;
 * EST_ENOTFOUND when it returns no row. _on: on a connection the caller
 * holds (inside its transaction). */
est_result store_doc_by_id(est_pool *pool, const est_stmt *s, long long id, est_doc *out);
est_result store_doc_by_id_on(est_conn *c, const est_stmt *s, long long id, est_doc *out);

/* Locks row id for a write with the one-parameter (id) statement lock (a
 * SELECT ... FOR UPDATE whose first column is the row's JSON, the audit's
 * before image): *before is its result (PQclear it, also on failure);
 * EST_ENOTFOUND when there is no such row. */
est_result store_lock_row(est_conn *c, const est_stmt *lock, long long id, PGresult **before);

/* Formats ints into caller buffers for use as text parameters. */
const char *store_lld(char buf[24], long long v);
/* The same, or NULL (SQL NULL: none, any) when v is 0. */
const char *store_lld_or_null(char buf[24], long long v);

/* Cursor parameters for a list statement: returns the sort value ($k) and
 * id ($k+1) text of q->after, or NULLs when there is no cursor. */
void store_after_params(const est_list_query *q, char idbuf[24], const char **value, const char **id);

/* A keyset-paged list statement (columns as store_page_collect wants
 * them): SELECT json, sortval, a.id FROM from_where (the table aliased a
 * and its filters) AND the cursor condition after ($3: the cursor's id,
 * NULL for the first page), ORDER BY order LIMIT $4; n parameters. A
 * resource's LIST(name, sortval, after, order) macro for STORE_SORT_ID/_BY
 * names its json, a, from_where and n. */
#define STORE_LIST_STMT(name, json, a, from_where, n, sortval, after, order)                           \
  {                                                                                                    \
    name,                                                                                              \
        "SELECT " json ", " sortval ", " a ".id FROM " from_where " AND ($3::bigint IS NULL OR " after \
        ") ORDER BY " order " LIMIT $4",                                                               \
        n                                                                                              \
  }

/* The ascending and descending statements of a keyset-paged list, for a
 * LIST(name, sortval, after, order) macro whose cursor is $2 (the sort
 * value as text) and $3 (the id); a is the table's alias. _ID: sorted by
 * id alone; _BY: by column col (SQL type type), then id. The descending
 * statement is named name "_d". */
#define STORE_SORT_ID(LIST, name, a)                                             \
  {                                                                              \
    LIST(name, "''", "($2::text = '' AND " a ".id > $3)", a ".id"),              \
        LIST(name "_d", "''", "($2::text = '' AND " a ".id < $3)", a ".id DESC") \
  }
#define STORE_SORT_BY(LIST, name, a, col, type)                                                               \
  {                                                                                                           \
    LIST(name, col "::text", "(" col ", " a ".id) > ($2::" type ", $3)", col ", " a ".id"),                   \
        LIST(name "_d", col "::text", "(" col ", " a ".id) < ($2::" type ", $3)", col " DESC, " a ".id DESC") \
  }

/* The read of row $1 of table (alias a) as (json, version), and the same
 * locked FOR UPDATE for a write, with a third column: archived. */
#define STORE_GET_STMT(name, table, a, json) \
  { name, "SELECT " json ", " a ".version FROM " table " " a " WHERE " a ".id = $1", 1 }
#define STORE_LOCK_STMT(name, table, a, json)                                                         \
  {                                                                                                   \
    name,                                                                                             \
        "SELECT " json ", " a ".version, " a ".archived_at IS NOT NULL FROM " table " " a " WHERE " a \
        ".id = $1 FOR UPDATE",                                                                        \
        1                                                                                             \
  }

/* An archivable table (see store_archive_set in store_archive.h). lock: $1 id ->
 * (json, version, archived) FOR UPDATE; set: $1 id, $2 version (0 = any:
 * If-Match: *), $3 archive (bool) -> (json, version), no row when the
 * version differs. Define both
 * with STORE_ARCHIVE_STMTS. */
struct store_archivable {
  const char *entity; /* audit entity, e.g. "area" */
  est_stmt lock, set;
  void (*changed)(void); /* called after a committed change (cache invalidation), or NULL */
};

/* The two statements of table `table` aliased `alias`, whose document
 * expression is `json`: e.g. STORE_ARCHIVE_STMTS("area", "areas", "a", AREA_JSON). */
#define STORE_ARCHIVE_STMTS(entity, table, alias, json) STORE_ARCHIVE_STMTS_NOTIFY(entity, table, alias, json, NULL)
#define STORE_ARCHIVE_STMTS_NOTIFY(entity, table, alias, json, notify)                                                 \
  {                                                                                                                    \
    entity,                                                                                                            \
        {entity "_archive_lock",                                                                                       \
         "SELECT " json ", " alias ".version, " alias ".archived_at IS NOT NULL FROM " table " " alias " WHERE " alias \
         ".id = $1 FOR UPDATE",                                                                                        \
         1},                                                                                                           \
        {entity "_archive_set",                                                                                        \
         "UPDATE " table " " alias                                                                                     \
         " SET archived_at = CASE WHEN $3::bool THEN clock_timestamp() END, version = " alias                          \
         ".version + 1, updated_at = clock_timestamp() WHERE " alias ".id = $1 AND ($2::bigint = 0 OR " alias          \
         ".version = $2) "                                                                                             \
         "RETURNING " json ", " alias ".version",                                                                      \
         3},                                                                                                           \
        notify                                                                                                         \
  }

#endif
