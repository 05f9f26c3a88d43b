/* routes_focuses.c - /v1/area-focuses: area focuses (fokusområden). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/area.h"
#include "estd/http.h"
#include "estd/http_resource.h"
#include "estd/problem.h"
#include "estd/store_focuses.h"

static est_result focuses_list(http_ctx *ctx) {
  static const char *const priorities[] = {"1", "2", "3", "4", "5", NULL};
  est_list_query q;
  store_focus_filter f;
  memset(&f, 0, sizeof f);
  const char *prio = NULL;
  est_result rc = http_list_params(ctx, store_focuses_sorts, &q);
  if (rc == EST_OK) rc = http_param_id(ctx, "area_id", &f.area_id, NULL);
  if (rc == EST_OK) rc = http_param_id(ctx, "agreement_id", &f.agreement_id, NULL);
  if (rc == EST_OK) rc = http_param_id(ctx, "party_id", &f.party_id, NULL);
  if (rc == EST_OK) rc = http_param_enum(ctx, "priority", priorities, &prio);
  if (rc == EST_OK) rc = http_param_date(ctx, "active_on", &f.active_on);
  if (rc == EST_OK) rc = http_param_archived(ctx, &f.archived);
  if (rc != EST_OK) return rc;
  if (prio) f.priority = prio[0] - '0';
  est_page page;
  if ((rc = store_focuses_list(http_read_pool(ctx), &f, &q, &page)) != EST_OK) return rc;
  http_reply_page(ctx, &page);
  return EST_OK;
}

static const http_resource resource = {
    "area focus",       "/v1/area-focuses", est_focus_validate,       store_focus_get,
    store_focus_create, store_focus_update, &store_focuses_archivable};

static est_result focuses_get(http_ctx *ctx) { return http_resource_get(ctx, &resource); }
static est_result focuses_create(http_ctx *ctx) { return http_resource_create(ctx, &resource); }
static est_result focuses_patch(http_ctx *ctx) { return http_resource_patch(ctx, &resource); }
static est_result focuses_delete(http_ctx *ctx) { return http_resource_delete(ctx, &resource); }
static est_result focuses_restore(http_ctx *ctx) { return http_resource_restore(ctx, &resource); }

const http_route http_routes_focuses[] = {
    {"GET", "/v1/area-focuses", focuses_list, HTTP_SCOPE_READ, 0,
     HTTP_QUERY_LIST " archived area_id agreement_id party_id priority active_on"},
    {"POST", "/v1/area-focuses", focuses_create, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"GET", "/v1/area-focuses/{id}", focuses_get, HTTP_SCOPE_READ, 0, NULL},
    {"PATCH", "/v1/area-focuses/{id}", focuses_patch, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"DELETE", "/v1/area-focuses/{id}", focuses_delete, HTTP_SCOPE_ADMIN, 0, NULL},
    {"POST", "/v1/area-focuses/{id}/restore", focuses_restore, HTTP_SCOPE_ADMIN, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
