/* store_focuses.h - area focuses (fokusområden) (store/focuses.c).
 *
 * Area focus: {id, code, area_id, agreement_id, party_id, reason, priority,
 * valid_from, valid_to, created_at, updated_at, archived_at, version}. Writes take the
 * normalized JSON text produced by est_focus_validate (area.h) and run in
 * one transaction with their audit_log row (entity "area_focus"); failures
 * are reported in a store_write_error (store.h). */
#ifndef ESTD_STORE_FOCUSES_H
#define ESTD_STORE_FOCUSES_H

#include "estd/actor.h"
#include "estd/store.h"
#include "estd/store_archive.h"

extern const char *const store_focuses_sorts[]; /* {"id","priority","valid_from",NULL} */

typedef struct store_focus_filter {
  long long area_id;      /* 0 = any */
  long long agreement_id; /* 0 = any */
  long long party_id;     /* 0 = any */
  int priority;           /* 0 = any */
  const char *active_on;  /* YYYY-MM-DD or NULL: valid_from <= d <= valid_to (NULL = open) */
  bool archived;          /* include archived focuses (?archived=true) */
} store_focus_filter;

est_result store_focuses_list(est_pool *pool, const store_focus_filter *f, const est_list_query *q, est_page *out);
est_result store_focus_get(est_pool *pool, long long id, est_doc *out);
/* EST_EINVAL with fail->field for an unknown area/agreement/party or a
 * violated rule (no owner, valid_to before valid_from); EST_ECONFLICT for a
 * duplicate code. */
est_result store_focus_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                              store_write_error *fail);
est_result store_focus_update(est_pool *pool, const est_actor *who, long long id, long long version, const char *patch,
                              est_doc *out, store_write_error *fail);
/* Focuses are archived, never deleted (store_archive_set). */
extern const store_archivable store_focuses_archivable;

#endif
