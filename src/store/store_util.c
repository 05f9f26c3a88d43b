/* store_util.c - helpers shared by store/ modules (see store_util.h). */
#include "estd/store_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *store_lld(char buf[24], long long v) {
  snprintf(buf, 24, "%lld", v);
  return buf;
}

const char *store_lld_or_null(char buf[24], long long v) { return v ? store_lld(buf, v) : NULL; }

void store_after_params(const est_list_query *q, char idbuf[24], const char **value, const char **id) {
  if (!q->has_after) {
    *value = NULL;
    *id = NULL;
    return;
  }
  *value = q->after.value;
  *id = store_lld(idbuf, q->after.id);
}

est_result store_page_collect(PGresult *r, const est_list_query *q, const char *sort_name, est_page *out) {
  out->items = out->next_cursor = NULL;
  int n = PQntuples(r);
  int take = n > q->limit ? q->limit : n;
  size_t total = 3;
  for (int i = 0; i < take; i++) total += (size_t)PQgetlength(r, i, 0) + 1;
  char *buf = malloc(total);
  if (!buf) return EST_ENOMEM;
  size_t len = 0;
  buf[len++] = '[';
  for (int i = 0; i < take; i++) {
    if (i) buf[len++] = ',';
    size_t l = (size_t)PQgetlength(r, i, 0);
    memcpy(buf + len, PQgetvalue(r, i, 0), l);
    len += l;
  }
  buf[len++] = ']';
  buf[len] = '\0';
  out->items = buf;
  if (n > q->limit && take > 0) {
    long long id = strtoll(PQgetvalue(r, take - 1, 2), NULL, 10);
    char name[40];
    snprintf(name, sizeof name, "%s%s", q->desc ? "-" : "", sort_name);
    out->next_cursor = est_cursor_encode(name, PQgetvalue(r, take - 1, 1), id);
    if (!out->next_cursor) {
      est_page_free(out);
      return EST_ENOMEM;
    }
  }
  return EST_OK;
}

est_result store_exec1(est_pool *pool, const est_stmt *s, const char *const *params, PGresult **out, char sqlstate[6]) {
  *out = NULL; /* also when no connection is to be had */
  est_conn *c;
  est_result rc = est_pool_acquire(pool, &c);
  if (rc != EST_OK) return rc;
  rc = est_db_exec(c, s, params, out, sqlstate);
  est_pool_release(pool, c);
  return rc;
}

est_result store_doc_from(PGresult *r, est_doc *out) {
  out->json = NULL;
  out->version = 0;
  if (PQntuples(r) == 0) return EST_ENOTFOUND;
  out->json = strdup(PQgetvalue(r, 0, 0));
  if (!out->json) return EST_ENOMEM;
  if (PQnfields(r) > 1 && !PQgetisnull(r, 0, 1)) out->version = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
  return EST_OK;
}

est_result store_tx_open(est_conn *c, const char *begin_sql) {
  return est_db_command(c, begin_sql ? begin_sql : "BEGIN");
}

est_result store_tx_close(est_conn *c, est_result rc) {
  if (rc == EST_OK) return est_db_commit(c);
  (void)est_db_command(c, "ROLLBACK"); /* a failure here leaves the connection to the pool's check */
  return rc;
}

est_result store_tx_begin_mode(est_pool *pool, est_conn **c, const char *begin_sql) {
  est_result rc = est_pool_acquire(pool, c);
  if (rc != EST_OK) return rc;
  rc = store_tx_open(*c, begin_sql);
  if (rc != EST_OK) {
    est_pool_release(pool, *c);
    *c = NULL;
  }
  return rc;
}

est_result store_tx_begin(est_pool *pool, est_conn **c) { return store_tx_begin_mode(pool, c, NULL); }

est_result store_tx_end(est_pool *pool, est_conn *c, est_result rc) {
  if (rc == EST_OK) rc = est_db_commit(c);
  est_pool_release(pool, c); /* rolls back anything left open */
  return rc;
}

est_result store_tx_begin_doc(est_pool *pool, est_conn **c, est_doc *out) {
  out->json = NULL;
  return store_tx_begin(pool, c);
}

est_result store_tx_end_doc(est_pool *pool, est_conn *c, est_result rc, est_doc *out) {
  rc = store_tx_end(pool, c, rc);
  if (rc != EST_OK) est_doc_free(out);
  return rc;
}

/* The document of an executed statement's result r (rc: how it ran). */
static est_result doc_result(est_result rc, PGresult *r, est_doc *out) {
  if (rc == EST_OK) rc = store_doc_from(r, out);
  PQclear(r);
  return rc;
}

est_result store_doc_exec_on(est_conn *c, const est_stmt *s, const char *const *params, est_doc *out) {
  PGresult *r;
  est_result rc = est_db_exec(c, s, params, &r, NULL);
  return doc_result(rc, r, out);
}

est_result store_doc_exec(est_pool *pool, const est_stmt *s, const char *const *params, est_doc *out) {
  PGresult *r = NULL;
  est_result rc = store_exec1(pool, s, params, &r, NULL);
  return doc_result(rc, r, out);
}

est_result store_doc_by_id_on(est_conn *c, const est_stmt *s, long long id, est_doc *out) {
  char idb[24];
  const char *params[1] = {store_lld(idb, id)};
  return store_doc_exec_on(c, s, params, out);
}

est_result store_doc_by_id(est_pool *pool, const est_stmt *s, long long id, est_doc *out) {
  char idb[24];
  const char *params[1] = {store_lld(idb, id)};
  return store_doc_exec(pool, s, params, out);
}

est_result store_list_page(est_pool *pool, const est_stmt *s, const char *const *params, const est_list_query *q,
                           const char *sort_name, est_page *out) {
  PGresult *r;
  est_result rc = store_exec1(pool, s, params, &r, NULL);
  if (rc != EST_OK) return rc;
  rc = store_page_collect(r, q, sort_name, out);
  PQclear(r);
  return rc;
}

est_result store_exec_row(est_pool *pool, const est_stmt *s, const char *const *params, PGresult **out) {
  est_result rc = store_exec1(pool, s, params, out, NULL);
  if (rc == EST_OK && PQntuples(*out) == 0) {
    PQclear(*out);
    *out = NULL;
    rc = EST_ENOTFOUND;
  }
  return rc;
}

est_result store_row_by_id(est_pool *pool, const est_stmt *s, long long id, PGresult **out) {
  char idb[24];
  const char *params[1] = {store_lld(idb, id)};
  return store_exec_row(pool, s, params, out);
}

est_result store_row_by_text(est_pool *pool, const est_stmt *s, const char *text, PGresult **out) {
  const char *params[1] = {text};
  return store_exec_row(pool, s, params, out);
}

est_result store_json_row(est_pool *pool, const est_stmt *s, const char *const *params, json_t **out) {
  *out = NULL;
  PGresult *r;
  est_result rc = store_exec_row(pool, s, params, &r);
  if (rc != EST_OK) return rc;
  *out = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
  PQclear(r);
  return *out ? EST_OK : EST_EINTERNAL;
}

est_result store_list_run(est_pool *pool, const est_stmt *s, const char **params, int at, const est_list_query *q,
                          const char *sort_name, est_page *out) {
  char idb[24], lim[24];
  store_after_params(q, idb, &params[at], &params[at + 1]);
  params[at + 2] = store_lld(lim, q->limit + 1);
  return store_list_page(pool, s, params, q, sort_name, out);
}

est_result store_lock_row(est_conn *c, const est_stmt *lock, long long id, PGresult **before) {
  char idb[24];
  const char *params[1] = {store_lld(idb, id)};
  *before = NULL;
  est_result rc = est_db_exec(c, lock, params, before, NULL);
  if (rc == EST_OK && PQntuples(*before) == 0) rc = EST_ENOTFOUND;
  return rc;
}
