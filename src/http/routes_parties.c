/* routes_parties.c - GET /v1/parties, /v1/agreements (lists and documents; writes in routes_cycle.c). */
#include <string.h>

#include "estd/http.h"
#include "estd/http_resource.h"
#include "estd/store_parties.h"

static const char *const party_kinds[] = {"police", "municipality", "housing_company", "other", NULL};
static const char *const bools[] = {"true", "false", NULL};
static const char *const agreement_kinds[] = {"samverkansoverenskommelse", "medborgarlofte", NULL};

static est_result parties_list(http_ctx *ctx) {
  est_list_query q;
  store_party_filter f = {0};
  est_result rc = http_list_params(ctx, store_parties_sorts, &q);
  if (rc == EST_OK) rc = http_param_enum(ctx, "kind", party_kinds, &f.kind);
  const char *arch = NULL;
  if (rc == EST_OK) rc = http_param_enum(ctx, "archived", bools, &arch);
  f.include_archived = arch && strcmp(arch, "true") == 0;
  if (rc != EST_OK) return rc;
  est_page page;
  if ((rc = store_parties_list(http_read_pool(ctx), &f, &q, &page)) != EST_OK) return rc;
  http_reply_page(ctx, &page);
  return EST_OK;
}

static est_result parties_get(http_ctx *ctx) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  est_doc doc;
  if (rc == EST_OK) rc = store_party_get(ctx->app->pool, id, &doc);
  return http_reply_got(ctx, rc, "party", &doc);
}

static est_result agreements_list(http_ctx *ctx) {
  est_list_query q;
  store_agreement_filter f = {0};
  est_result rc = http_list_params(ctx, store_agreements_sorts, &q);
  if (rc == EST_OK) rc = http_param_enum(ctx, "kind", agreement_kinds, &f.kind);
  if (rc == EST_OK) rc = http_param_id(ctx, "party_id", &f.party_id, NULL);
  if (rc == EST_OK) rc = http_param_date(ctx, "active_on", &f.active_on);
  const char *arch = NULL;
  if (rc == EST_OK) rc = http_param_enum(ctx, "archived", bools, &arch);
  f.include_archived = arch && strcmp(arch, "true") == 0;
  if (rc != EST_OK) return rc;
  est_page page;
  if ((rc = store_agreements_list(http_read_pool(ctx), &f, &q, &page)) != EST_OK) return rc;
  http_reply_page(ctx, &page);
  return EST_OK;
}

static est_result agreements_get(http_ctx *ctx) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  est_doc doc;
  if (rc == EST_OK) rc = store_agreement_get(ctx->app->pool, id, &doc);
  return http_reply_got(ctx, rc, "agreement", &doc);
}

const http_route http_routes_parties[] = {
    {"GET", "/v1/parties", parties_list, HTTP_SCOPE_READ, 0, HTTP_QUERY_LIST " kind archived"},
    {"GET", "/v1/parties/{id}", parties_get, HTTP_SCOPE_READ, 0, NULL},
    {"GET", "/v1/agreements", agreements_list, HTTP_SCOPE_READ, 0, HTTP_QUERY_LIST " kind party_id active_on archived"},
    {"GET", "/v1/agreements/{id}", agreements_get, HTTP_SCOPE_READ, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
