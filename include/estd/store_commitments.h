/* store_commitments.h - commitments (åtaganden) in PostgreSQL.
 *
 * Documents are built by PostgreSQL (json_build_object) and passed through:
 * {id, code, agreement_id, cooperation_area_id, text, responsible_party_ids
 * (sorted), area_ids (sorted), target (null or {value, unit, comparison,
 * per, from, to}), status, follow_up_note, created_at, updated_at, version}.
 *
 * Writes run in one transaction on one pooled connection together with
 * their audit_log row (entity "commitment"); any failure rolls back all of
 * it. References are checked by the foreign keys, never by a prior read. */
#ifndef ESTD_STORE_COMMITMENTS_H
#define ESTD_STORE_COMMITMENTS_H

#include "estd/actor.h"
#include "estd/commitment.h"
#include "estd/store.h"
#include "estd/store_archive.h"

extern const char *const store_commitments_sorts[]; /* {"id","created_at","updated_at",NULL} */

typedef struct store_commitment_filter {
  long long agreement_id;        /* 0 = any */
  long long party_id;            /* 0 = any; a responsible party */
  long long cooperation_area_id; /* 0 = any */
  long long area_id;             /* 0 = any */
  const char *status;            /* NULL = any */
  bool archived;                 /* include archived commitments (?archived=true) */
} store_commitment_filter;

est_result store_commitments_list(est_pool *pool, const store_commitment_filter *f, const est_list_query *q,
                                  est_page *out);
est_result store_commitment_get(est_pool *pool, long long id, est_doc *out);

/* Inserts the commitment with its parties and areas. EST_EINVAL with
 * err->field for an unknown agreement / cooperation area (not of that
 * agreement) / party / area; EST_ECONFLICT for a duplicate code. On
 * success *out is the new document and *id_out its id. */
est_result store_commitment_create(est_pool *pool, const est_commitment_input *in, const est_actor *who, est_doc *out,
                                   long long *id_out, store_write_error *err);

/* Replaces every writable column and the party and area sets of
 * commitment id if its version is still `version` (checked in the
 * UPDATE's WHERE clause), bumping version and updated_at. EST_ENOTFOUND,
 * EST_EPRECONDITION on a stale version, otherwise as create. */
est_result store_commitment_update(est_pool *pool, long long id, long long version, const est_commitment_input *in,
                                   const est_actor *who, est_doc *out, store_write_error *err);

/* Commitments are archived, never deleted (store_archive_set); one of a
 * signed agreement cannot even be deleted in SQL (trigger, 0046). */
extern const store_archivable store_commitments_archivable;

#endif
