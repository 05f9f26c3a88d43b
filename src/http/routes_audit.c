/* routes_audit.c - GET /v1/audit: the audit trail (admin scope only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/http.h"
#include "estd/store_audit.h"
#include "estd/util.h"

static const char *const audit_actions[] = {"create",  "update",  "delete",    "ingest", "resubmit",
                                            "archive", "restore", "retention", NULL};

/* from/to: a date (whole day, Europe/Stockholm) or an RFC 3339 date-time. */
static est_result time_param(http_ctx *ctx, const char *name, const char **ts, const char **date) {
  const char *v = http_param(ctx, name);
  *ts = *date = NULL;
  if (!v) return EST_OK;
  if (est_date_valid(v)) *date = v;
  else if (est_rfc3339_valid(v)) *ts = v;
  else {
    http_fail_field(ctx, name, "must be a date YYYY-MM-DD or an RFC 3339 date-time with offset");
    return http_fail(ctx, EST_EPARSE, "invalid query parameter '%s'", name);
  }
  return EST_OK;
}

static est_result entity_param(http_ctx *ctx, const char **out) {
  const char *v = http_param(ctx, "entity");
  *out = v;
  if (!v) return EST_OK;
  size_t n = strlen(v);
  bool ok = n > 0 && n <= 64 && strspn(v, "abcdefghijklmnopqrstuvwxyz_") == n;
  if (ok) return EST_OK;
  http_fail_field(ctx, "entity", "must be an entity name of lowercase letters and '_' (e.g. commitment)");
  return http_fail(ctx, EST_EPARSE, "invalid query parameter 'entity'");
}

static est_result audit_list(http_ctx *ctx) {
  /* The audit trail has one order, newest first (store_audit_sorts' "id"
   * descending). */
  static const char *const sorts[] = {"-id", NULL};
  est_list_query q;
  est_result rc = http_list_params(ctx, sorts, &q);
  if (rc != EST_OK) return rc;
  store_audit_filter f;
  memset(&f, 0, sizeof f);
  rc = entity_param(ctx, &f.entity);
  if (rc == EST_OK) rc = http_param_id(ctx, "entity_id", &f.entity_id, NULL);
  if (rc == EST_OK) rc = http_param_id(ctx, "key_id", &f.key_id, NULL);
  if (rc == EST_OK) rc = http_param_id(ctx, "party_id", &f.party_id, NULL);
  if (rc == EST_OK) rc = http_param_enum(ctx, "action", audit_actions, &f.action);
  if (rc == EST_OK) rc = time_param(ctx, "from", &f.from_ts, &f.from_date);
  if (rc == EST_OK) rc = time_param(ctx, "to", &f.to_ts, &f.to_date);
  if (rc != EST_OK) return rc;
  est_page page;
  if ((rc = store_audit_list(http_read_pool(ctx), &f, &q, &page)) != EST_OK) return rc;
  http_reply_page(ctx, &page);
  return EST_OK;
}

const http_route http_routes_security[] = {
    {"GET", "/v1/audit", audit_list, HTTP_SCOPE_ADMIN, 0,
     HTTP_QUERY_LIST " entity entity_id key_id party_id action from to"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
