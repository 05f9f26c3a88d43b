/* store_archive.c - archiving and restoring rows (see store_archive.h). */
#include "estd/store_archive.h"

#include "estd/audit.h"
#include "estd/store_util.h"

est_result store_archive_set(est_pool *pool, const store_archivable *t, const est_actor *who, long long id,
                             long long version, bool archive, est_doc *out) {
  est_conn *c;
  est_result rc = store_tx_begin_doc(pool, &c, out);
  if (rc != EST_OK) return rc;
  char idb[24], vb[24];
  store_lld(idb, id);
  PGresult *before = NULL, *r = NULL;
  rc = store_lock_row(c, &t->lock, id, &before);
  bool done = rc == EST_OK && (PQgetvalue(before, 0, 2)[0] == 't') == archive;
  if (done) {
    rc = store_doc_from(before, out); /* already so: nothing to write */
  } else if (rc == EST_OK) {
    const char *params[3] = {idb, store_lld(vb, version), archive ? "true" : "false"};
    rc = est_db_exec(c, &t->set, params, &r, NULL);
    if (rc == EST_OK && PQntuples(r) == 0) rc = EST_EPRECONDITION;
    if (rc == EST_OK) rc = store_doc_from(r, out);
    if (rc == EST_OK)
      rc = store_audit_write(c, who, archive ? "archive" : "restore", t->entity, id, PQgetvalue(before, 0, 0),
                             out->json);
  }
  PQclear(before);
  PQclear(r);
  rc = store_tx_end_doc(pool, c, rc, out);
  if (rc == EST_OK && !done && t->changed) t->changed();
  return rc;
}
