/* store_indicators.h - survey indicator values and outcome targets of commitments (store/indicators.c). */
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
#ifndef ESTD_STORE_INDICATORS_H
#define ESTD_STORE_INDICATORS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "estd/actor.h"
#include "estd/store.h"

/* ---- indicators and outcome targets ------------------------------------------ */
extern const char *const store_indicators_sorts[]; /* {"id","period_from",NULL} */
typedef struct store_indicator_filter {
  long long area_id;     /* 0 = any */
  const char *indicator; /* NULL = any */
  const char *measure;   /* NULL = any */
  const char *from, *to; /* only values whose period overlaps [from, to] */
  bool include_archived;
} store_indicator_filter;
est_result store_indicators_list(est_pool *pool, const store_indicator_filter *f, const est_list_query *q,
                                 est_page *out);
est_result store_indicator_get(est_pool *pool, long long id, est_doc *out);
est_result store_indicator_create(est_pool *pool, const est_actor *who, const char *body, est_doc *out, long long *id,
                                  store_write_error *fail);
est_result store_indicator_update(est_pool *pool, const est_actor *who, long long id, long long version,
                                  const char *patch, est_doc *out, store_write_error *fail);
/* DELETE archives, POST .../restore restores (store_archive_set). */
extern const store_archivable store_indicators_archivable;

/* The outcome target of commitment id (JSON with the baseline value and
 * the latest value after it); EST_ENOTFOUND when none. */
est_result store_outcome_target_get(est_pool *pool, long long commitment_id, est_doc *out);
/* Creates or replaces it (version 0 = any); *created tells which. */
est_result store_outcome_target_put(est_pool *pool, const est_actor *who, long long commitment_id, long long version,
                                    const char *body, est_doc *out, bool *created, store_write_error *fail);
est_result store_outcome_target_delete(est_pool *pool, const est_actor *who, long long commitment_id, long long version,
                                       store_write_error *fail);

#endif
