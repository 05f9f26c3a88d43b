/* store_parties.h - parties and agreements: lists and documents
 * (store/parties.c) and their writes. Lists
 * leave archived rows out unless include_archived. */
#ifndef ESTD_STORE_PARTIES_H
#define ESTD_STORE_PARTIES_H

#include <stdbool.h>

#include "estd/actor.h"
#include "estd/store.h"

extern const char *const store_parties_sorts[];    /* {"id","name",NULL} */
extern const char *const store_agreements_sorts[]; /* {"id","valid_from",NULL} */

typedef struct store_party_filter {
  const char *kind; /* NULL = any */
  bool include_archived;
} store_party_filter;
est_result store_parties_list(est_pool *pool, const store_party_filter *f, const est_list_query *q, est_page *out);
est_result store_party_get(est_pool *pool, long long id, est_doc *out);

typedef struct store_agreement_filter {
  const char *kind;      /* NULL = any */
  long long party_id;    /* 0 = any */
  const char *active_on; /* YYYY-MM-DD or NULL */
  bool include_archived;
} store_agreement_filter;
est_result store_agreements_list(est_pool *pool, const store_agreement_filter *f, const est_list_query *q,
                                 est_page *out);
est_result store_agreement_get(est_pool *pool, long long id, est_doc *out);

/* Writes take the normalized JSON text of the domain validators
 * (estd/cycle.h: a member present sets the column, null clears it, absent
 * keeps it) and run in one transaction on one pooled connection together
 * with their audit_log row (before and after images); any failure rolls
 * back all of it. References and uniqueness are the tables' constraints:
 * the violated constraint's name picks the field of the problem (never a
 * prior existence check). DELETE archives and restore restores through
 * store_archive_set (estd/store.h; audited "archive"/"restore"); archived
 * rows stay readable and are left out of lists unless include_archived.
 * The create/update functions have the signatures of http_resource
 * (estd/http_resource.h); version 0 = any. */

/* ---- parties, agreements, cooperation areas ---------------------------- */
est_result store_party_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                              store_write_error *fail);
est_result store_party_update(est_pool *pool, const est_actor *who, long long id, long long version, const char *patch,
                              est_doc *out, store_write_error *fail);
/* DELETE archives, POST .../restore restores (store_archive_set). */
extern const store_archivable store_parties_archivable;

est_result store_agreement_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                                  store_write_error *fail);
est_result store_agreement_update(est_pool *pool, const est_actor *who, long long id, long long version,
                                  const char *patch, est_doc *out, store_write_error *fail);
/* DELETE archives, POST .../restore restores (store_archive_set). */
extern const store_archivable store_agreements_archivable;
/* A revision of agreement prev_id (body: validated with revision = true).
 * The revision rule (est_revision_check) is applied to the locked
 * predecessor; the new version gets the predecessor's parties (unless
 * party_ids is given) and cooperation areas, and with
 * carry_over_commitments (default) a copy of each commitment of the
 * predecessor that is not archived, linked by predecessor_commitment_id,
 * with its parties, areas and indicator, status planned and the target
 * period moved to the new validity. The predecessor is left as it was
 * (its history stays). EST_ENOTFOUND for prev_id, EST_ECONFLICT when it
 * already has a revision. */
est_result store_agreement_revise(est_pool *pool, const est_actor *who, long long prev_id, const char *body,
                                  est_doc *out, long long *id, store_write_error *fail);
/* Signs agreement id at version (required): sets signed_on and records
 * each signatory's party with its role title and date.
 * EST_ECONFLICT when already signed. */
est_result store_agreement_sign(est_pool *pool, const est_actor *who, long long id, long long version, const char *body,
                                est_doc *out, store_write_error *fail);

extern const char *const store_coop_areas_sorts[]; /* {"id","ordinal",NULL} */
typedef struct store_coop_area_filter {
  long long agreement_id; /* 0 = any */
  bool include_archived;
} store_coop_area_filter;
est_result store_coop_areas_list(est_pool *pool, const store_coop_area_filter *f, const est_list_query *q,
                                 est_page *out);
est_result store_coop_area_get(est_pool *pool, long long id, est_doc *out);
est_result store_coop_area_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                                  store_write_error *fail);
est_result store_coop_area_update(est_pool *pool, const est_actor *who, long long id, long long version,
                                  const char *patch, est_doc *out, store_write_error *fail);
/* DELETE archives, POST .../restore restores (store_archive_set). */
extern const store_archivable store_coop_areas_archivable;

/* The agreement's validity (YYYY-MM-DD, inclusive, buffers >= 11). */
est_result store_agreement_period(est_pool *pool, long long id, char *from, char *to);

#endif
