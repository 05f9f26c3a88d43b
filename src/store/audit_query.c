/* audit_query.c - reading the audit trail (see store_audit.h). */
#include "estd/store_audit.h"

#include "estd/store_util.h"

const char *const store_audit_sorts[] = {"id", NULL};

/* $11 is the cursor's sort value (always "" for the id sort; keeps the
 * parameter typed and referenced) and $10 its id. */
static const est_stmt audit_list = {
    "audit_list",
    "SELECT json_build_object('id', a.id, 'at', a.at, 'key_id', a.key_id, 'key_prefix', k.prefix, "
    "'party_id', a.party_id, 'request_id', a.request_id, 'action', a.action, 'entity', a.entity, "
    "'entity_id', a.entity_id, 'before', a.before, 'after', a.after, 'sub', a.sub, 'iss', a.iss)::text, '', a.id "
    "FROM audit_log a LEFT JOIN api_keys k ON k.id = a.key_id "
    "WHERE ($1::text IS NULL OR a.entity = $1) AND ($2::bigint IS NULL OR a.entity_id = $2) "
    "AND ($3::bigint IS NULL OR a.key_id = $3) AND ($4::bigint IS NULL OR a.party_id = $4) "
    "AND ($5::text IS NULL OR a.action = $5) AND ($6::timestamptz IS NULL OR a.at >= $6) "
    "AND ($7::date IS NULL OR a.at >= ($7::date::timestamp AT TIME ZONE 'Europe/Stockholm')) "
    "AND ($8::timestamptz IS NULL OR a.at <= $8) "
    "AND ($9::date IS NULL OR a.at < (($9::date + 1)::timestamp AT TIME ZONE 'Europe/Stockholm')) "
    "AND ($10::bigint IS NULL OR ($11::text = '' AND a.id < $10)) ORDER BY a.id DESC LIMIT $12",
    12};

est_result store_audit_list(est_pool *pool, const store_audit_filter *f, const est_list_query *q, est_page *out) {
  char eb[24], kb[24], pb[24], idb[24], lim[24];
  const char *av, *aid;
  store_after_params(q, idb, &av, &aid);
  const char *params[12] = {f->entity,
                            store_lld_or_null(eb, f->entity_id),
                            store_lld_or_null(kb, f->key_id),
                            store_lld_or_null(pb, f->party_id),
                            f->action,
                            f->from_ts,
                            f->from_date,
                            f->to_ts,
                            f->to_date,
                            aid,
                            av,
                            store_lld(lim, q->limit + 1)};
  return store_list_page(pool, &audit_list, params, q, store_audit_sorts[0], out);
}
