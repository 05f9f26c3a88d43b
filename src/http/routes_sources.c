/* routes_sources.c - /v1/sources: the event source registry (admin).
 *   GET    /v1/sources                 list (party_id, source, archived)
 *   POST   /v1/sources                 register {party|party_id, source, description}
 *   GET    /v1/sources/{id}
 *   DELETE /v1/sources/{id}            archive (If-Match): events from it are refused
 *   POST   /v1/sources/{id}/restore    restore (If-Match)
 * An event whose (party, source) is not registered is refused on every
 * intake path (unknown_source; domain/admit.c). */
#include <string.h>

#include "estd/event.h"
#include "estd/http.h"
#include "estd/http_resource.h"
#include "estd/store_sources.h"
#include "estd/util.h"

static const http_resource resource = {.noun = "source",
                                       .collection = "/v1/sources",
                                       .validate = est_source_validate,
                                       .get = store_source_get,
                                       .create = store_source_create,
                                       .archivable = &store_sources_archivable};

static est_result sources_list(http_ctx *ctx) {
  est_list_query q;
  store_source_filter f;
  memset(&f, 0, sizeof f);
  est_result rc = http_list_params(ctx, store_sources_sorts, &q);
  if (rc == EST_OK) rc = http_param_id(ctx, "party_id", &f.party_id, NULL);
  if (rc == EST_OK) rc = http_param_archived(ctx, &f.archived);
  if (rc != EST_OK) return rc;
  if ((rc = http_param_source(ctx, &f.source)) != EST_OK) return rc;
  est_page page;
  if ((rc = store_sources_list(http_read_pool(ctx), &f, &q, &page)) != EST_OK) return rc;
  http_reply_page(ctx, &page);
  return EST_OK;
}

static est_result sources_get(http_ctx *ctx) { return http_resource_get(ctx, &resource); }
static est_result sources_create(http_ctx *ctx) { return http_resource_create(ctx, &resource); }
static est_result sources_archive(http_ctx *ctx) { return http_resource_delete(ctx, &resource); }
static est_result sources_restore(http_ctx *ctx) { return http_resource_restore(ctx, &resource); }

const http_route http_routes_sources[] = {
    {"GET", "/v1/sources", sources_list, HTTP_SCOPE_ADMIN, 0, HTTP_QUERY_LIST " party_id source archived"},
    {"POST", "/v1/sources", sources_create, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"GET", "/v1/sources/{id}", sources_get, HTTP_SCOPE_ADMIN, 0, NULL},
    {"DELETE", "/v1/sources/{id}", sources_archive, HTTP_SCOPE_ADMIN, 0, NULL},
    {"POST", "/v1/sources/{id}/restore", sources_restore, HTTP_SCOPE_ADMIN, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
