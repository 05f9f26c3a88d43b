/* store_actions.h - actions (insatser/åtgärder), their evidence and findings (store/actions.c). */
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
#ifndef ESTD_STORE_ACTIONS_H
#define ESTD_STORE_ACTIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "estd/actor.h"
#include "estd/store.h"

/* ---- actions ---------------------------------------------------------------- */
extern const char *const store_actions_sorts[]; /* {"id","created_at","updated_at",NULL} */
typedef struct store_action_filter {
  long long agreement_id, commitment_id, meeting_id, party_id, area_id, found_in_action_id; /* 0 = any */
  const char *status;                                                                       /* NULL = any */
  int open; /* -1 = any, 1 = planned/ongoing, 0 = done/cancelled */
  bool include_archived;
} store_action_filter;
est_result store_actions_list(est_pool *pool, const store_action_filter *f, const est_list_query *q, est_page *out);
est_result store_action_get(est_pool *pool, long long id, est_doc *out);
est_result store_action_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                               store_write_error *fail);
est_result store_action_update(est_pool *pool, const est_actor *who, long long id, long long version, const char *patch,
                               est_doc *out, store_write_error *fail);
/* DELETE archives, POST .../restore restores (store_archive_set). */
extern const store_archivable store_actions_archivable;
/* Links (link = true) or unlinks event_id as evidence of action id at
 * version (0 = any), bumping the action's version. EST_ENOTFOUND for the
 * action or, on unlink, a link that does not exist; EST_EINVAL with
 * field "/event_id" for an unknown event. */
est_result store_action_evidence(est_pool *pool, const est_actor *who, long long id, long long version,
                                 long long event_id, bool link, est_doc *out, store_write_error *fail);
/* Records a finding of trygghetsvandring id as a new action (same
 * agreement and commitment; area_id defaults to the walk's).
 * EST_EINVAL naming "/kind" when action id is not a trygghetsvandring. */
est_result store_action_finding(est_pool *pool, const est_actor *who, long long id, const char *body, est_doc *out,
                                long long *new_id, store_write_error *fail);

#endif
