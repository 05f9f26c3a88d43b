/* store_audit.h - reading the audit trail (GET /v1/audit). Writing is
 * store_audit_write in audit.h (store/ only). */
#ifndef ESTD_STORE_AUDIT_H
#define ESTD_STORE_AUDIT_H

#include "estd/store.h"

/* Sort names for cursors: the list is always newest first. */
extern const char *const store_audit_sorts[]; /* {"id", NULL}, always descending */

/* Every field is optional (NULL / 0 = no filter). Times: from_ts/to_ts
 * are validated RFC 3339 date-times (to_ts inclusive); from_date/to_date
 * are YYYY-MM-DD days in Europe/Stockholm (to_date inclusive). */
typedef struct store_audit_filter {
  const char *entity;
  long long entity_id;
  long long key_id;
  long long party_id;
  const char *action;
  const char *from_ts, *from_date;
  const char *to_ts, *to_date;
} store_audit_filter;

/* Keyset page of audit rows, newest first (q->desc must be true). Items:
 * {id, at, key_id, key_prefix, party_id, request_id, action, entity,
 * entity_id, before, after}. */
est_result store_audit_list(est_pool *pool, const store_audit_filter *f, const est_list_query *q, est_page *out);

#endif
