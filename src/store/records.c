/* records.c - create / update / archive of jsonb-driven resources (see store_records.h). */
#include "estd/store_records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/audit.h"
#include "estd/store_util.h"

est_result store_explain(est_conn *c, est_result rc, const char *sqlstate, const store_constraint *map,
                         store_write_error *f) {
  const char *cn = est_conn_last_constraint(c);
  if (strncmp(sqlstate, "23", 2) == 0 && map)
    for (size_t i = 0; map[i].constraint; i++)
      if (strcmp(cn, map[i].constraint) == 0) {
        store_write_error_set(f, map[i].field, "%s", map[i].detail);
        return map[i].rc;
      }
  if (strcmp(sqlstate, "23503") == 0) {
    store_write_error_set(f, "", "still referenced or refers to a missing row (%s)", cn);
    return EST_ECONFLICT;
  }
  if (strncmp(sqlstate, "23", 2) == 0) {
    store_write_error_set(f, "", "violates constraint %s", cn[0] ? cn : "(unnamed)");
    return rc;
  }
  return rc;
}

static est_result exec_id(est_conn *c, const est_stmt *s, const char *const *params, long long *id,
                          const store_constraint *map, store_write_error *fail) {
  char st[6];
  PGresult *r = NULL;
  est_result rc = est_db_exec(c, s, params, &r, st);
  if (rc != EST_OK) return store_explain(c, rc, st, map, fail);
  *id = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
  PQclear(r);
  return EST_OK;
}

static est_result run_links(est_conn *c, const store_jres *r, long long id, const char *body, store_write_error *fail) {
  if (!r->links) return EST_OK;
  char idb[24];
  const char *params[2] = {store_lld(idb, id), body};
  for (size_t i = 0; r->links[i]; i++) {
    char st[6];
    PGresult *res = NULL;
    est_result rc = est_db_exec(c, r->links[i], params, &res, st);
    PQclear(res);
    if (rc != EST_OK) return store_explain(c, rc, st, r->map, fail);
  }
  return EST_OK;
}

est_result store_jres_read_on(est_conn *c, const est_stmt *s, long long id, est_doc *out) {
  char idb[24];
  const char *params[1] = {store_lld(idb, id)};
  PGresult *r = NULL;
  est_result rc = est_db_exec(c, s, params, &r, NULL);
  if (rc == EST_OK) rc = store_doc_from(r, out);
  PQclear(r);
  return rc;
}

est_result store_jres_insert_on(est_conn *c, const store_jres *r, const char *body, long long *id,
                                store_write_error *fail) {
  const char *params[1] = {body};
  est_result rc = exec_id(c, r->insert, params, id, r->map, fail);
  if (rc == EST_OK) rc = run_links(c, r, *id, body, fail);
  return rc;
}

est_result store_jres_create(est_pool *pool, const store_jres *r, const est_actor *who, const char *body, est_doc *out,
                             long long *id, store_write_error *fail) {
  est_conn *c;
  est_result rc = store_tx_begin_doc(pool, &c, out);
  if (rc != EST_OK) return rc;
  rc = store_jres_insert_on(c, r, body, id, fail);
  if (rc == EST_OK) rc = store_jres_read_on(c, r->get, *id, out);
  if (rc == EST_OK) rc = store_audit_write(c, who, "create", r->entity, *id, NULL, out->json);
  return store_tx_end_doc(pool, c, rc, out);
}

/* Locks row id: *before is its document; EST_ENOTFOUND. */
static est_result lock_row(est_conn *c, const store_jres *r, long long id, est_doc *before, bool *archived) {
  char idb[24];
  const char *params[1] = {store_lld(idb, id)};
  PGresult *res = NULL;
  est_result rc = est_db_exec(c, r->lock, params, &res, NULL);
  if (rc == EST_OK) rc = store_doc_from(res, before);
  if (rc == EST_OK && archived) *archived = PQnfields(res) > 2 && strcmp(PQgetvalue(res, 0, 2), "t") == 0;
  PQclear(res);
  return rc;
}

est_result store_jres_update(est_pool *pool, const store_jres *r, const est_actor *who, long long id, long long version,
                             const char *patch, est_doc *out, store_write_error *fail) {
  est_conn *c;
  est_result rc = store_tx_begin_doc(pool, &c, out);
  if (rc != EST_OK) return rc;
  est_doc before = {0};
  char idb[24], vb[24];
  rc = lock_row(c, r, id, &before, NULL);
  if (rc == EST_OK) {
    const char *params[3] = {store_lld(idb, id), store_lld_or_null(vb, version), patch};
    long long got = 0;
    rc = exec_id(c, r->update, params, &got, r->map, fail);
    if (rc == EST_OK && got == 0) {
      store_write_error_set(fail, "", "the %s was changed since version %lld was read", r->noun, version);
      rc = EST_EPRECONDITION;
    }
  }
  if (rc == EST_OK) rc = run_links(c, r, id, patch, fail);
  if (rc == EST_OK) rc = store_jres_read_on(c, r->get, id, out);
  if (rc == EST_OK) rc = store_audit_write(c, who, "update", r->entity, id, before.json, out->json);
  est_doc_free(&before);
  return store_tx_end_doc(pool, c, rc, out);
}
