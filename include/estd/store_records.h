/* store_records.h - the one write path of the jsonb-driven resources of
 * store/ (store/ only): create and merge-patch update in one transaction
 * with the audit row, failures explained from the violated constraint's
 * name. (Archive and restore: store_archive_set, STORE_ARCHIVE_STMTS.)
 *
 * Statements of a resource:
 *   insert  ($1 normalized body jsonb)           RETURNING id
 *   lock    ($1 id)                               (json, version, archived) FOR UPDATE
 *   update  ($1 id, $2 version|NULL, $3 patch)   RETURNING id  (0 rows = stale version)
 *   get     ($1 id)                               (json, version)
 *   links   ($1 id, $2 body jsonb), NULL-terminated, run after insert/update (sets of
 *           linked rows, e.g. the parties of an agreement). */
#ifndef ESTD_STORE_RECORDS_H
#define ESTD_STORE_RECORDS_H

#include "estd/actor.h"
#include "estd/db.h"
#include "estd/store.h"

/* The SET items of a merge-patch update statement "WITH b AS (SELECT
 * $3::jsonb AS j) UPDATE <table> t SET ...": a member present in the patch
 * sets column col, an absent one keeps it. SET_TEXT: a text column (null
 * clears it); SET_KEEP: a column of SQL type type that null does not
 * clear; SET_NULLABLE: one that null clears. The _OF forms name the
 * table's alias (the others: t). */
#define SET_TEXT_OF(alias, col) col " = CASE WHEN b.j ? '" col "' THEN b.j->>'" col "' ELSE " alias "." col " END"
#define SET_KEEP_OF(alias, col, type) col " = COALESCE((b.j->>'" col "')::" type ", " alias "." col ")"
#define SET_TEXT(col) SET_TEXT_OF("t", col)
#define SET_KEEP(col, type) SET_KEEP_OF("t", col, type)
#define SET_NULLABLE(col, type) col " = CASE WHEN b.j ? '" col "' THEN (b.j->>'" col "')::" type " ELSE t." col " END"

typedef struct store_constraint {
  const char *constraint, *field, *detail;
  est_result rc;
} store_constraint;

/* A map row for a foreign key: a reference to a row that does not exist
 * is the client's error at field: "no <noun> with this id" (422). */
#define STORE_FK(constraint, field, noun) \
  { constraint, field, "no " noun " with this id", EST_EINVAL }

typedef struct store_jres {
  const char *entity; /* audit entity, e.g. "party" */
  const char *noun;   /* for messages */
  const est_stmt *insert, *lock, *update, *get;
  const est_stmt *const *links;
  const store_constraint *map; /* NULL-terminated by constraint */
} store_jres;

/* Explains a failed write from SQLSTATE and constraint via map; unknown
 * FK references from other tables on write become 409. */
est_result store_explain(est_conn *c, est_result rc, const char *sqlstate, const store_constraint *map,
                         store_write_error *f);

/* Inside an open transaction on c: the parts of a write, for composite
 * writes (revisions, meetings) that add their own statements. */
est_result store_jres_insert_on(est_conn *c, const store_jres *r, const char *body, long long *id,
                                store_write_error *fail);
est_result store_jres_read_on(est_conn *c, const est_stmt *s, long long id, est_doc *out);

est_result store_jres_create(est_pool *pool, const store_jres *r, const est_actor *who, const char *body, est_doc *out,
                             long long *id, store_write_error *fail);
est_result store_jres_update(est_pool *pool, const store_jres *r, const est_actor *who, long long id, long long version,
                             const char *patch, est_doc *out, store_write_error *fail);

/* Defines the entry points <prefix>_get, _create and _update of the
 * jsonb-driven resource r (declared in its header with the signatures of
 * http_resource's get, create and update): a read with r's get
 * statement, store_jres_create and store_jres_update. */
#define STORE_JRES_FUNCTIONS(prefix, r)                                                                                \
  est_result prefix##_get(est_pool *pool, long long id, est_doc *out) {                                                \
    return store_doc_by_id(pool, (r).get, id, out);                                                                    \
  }                                                                                                                    \
  est_result prefix##_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,      \
                             store_write_error *fail) {                                                                \
    return store_jres_create(pool, &(r), who, body, out, id, fail);                                                    \
  }                                                                                                                    \
  est_result prefix##_update(est_pool *pool, const est_actor *who, long long id, long long version, const char *patch, \
                             est_doc *out, store_write_error *fail) {                                                  \
    return store_jres_update(pool, &(r), who, id, version, patch, out, fail);                                          \
  }

#endif
