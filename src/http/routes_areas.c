/* routes_areas.c - /v1/areas: areas (områden) with GeoJSON geometry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/area.h"
#include "estd/http.h"
#include "estd/http_resource.h"
#include "estd/problem.h"
#include "estd/store_areas.h"

static est_result areas_list(http_ctx *ctx) {
  static const char *const includes[] = {"geometry", NULL};
  est_list_query q;
  store_area_filter f;
  memset(&f, 0, sizeof f);
  const char *include = NULL;
  est_result rc = http_list_params(ctx, store_areas_sorts, &q);
  if (rc == EST_OK) rc = http_param_enum(ctx, "kind", est_area_kinds, &f.kind);
  if (rc == EST_OK) rc = http_param_enum(ctx, "include", includes, &include);
  if (rc == EST_OK) rc = http_param_archived(ctx, &f.archived);
  if (rc != EST_OK) return rc;
  f.include_geometry = include != NULL;
  const char *contains = http_param(ctx, "contains");
  if (contains) {
    if (est_parse_latlon(contains, &f.lat, &f.lon) != EST_OK) {
      http_fail_field(ctx, "contains", "must be lat,lon in decimal degrees (WGS84)");
      return http_fail(ctx, EST_EPARSE, "invalid query parameter 'contains'");
    }
    f.has_point = true;
  }
  const char *bbox = http_param(ctx, "intersects_bbox");
  if (bbox) {
    if (est_parse_bbox(bbox, f.bbox) != EST_OK) {
      http_fail_field(ctx, "intersects_bbox",
                      "must be minLon,minLat,maxLon,maxLat in decimal degrees (WGS84) with min <= max");
      return http_fail(ctx, EST_EPARSE, "invalid query parameter 'intersects_bbox'");
    }
    f.has_bbox = true;
  }
  est_page page;
  if ((rc = store_areas_list(ctx->app->pool, &f, &q, &page)) != EST_OK) return rc;
  http_reply_page(ctx, &page);
  return EST_OK;
}

static const http_resource resource = {"area",
                                       "/v1/areas",
                                       est_area_validate,
                                       store_area_get,
                                       store_area_create,
                                       store_area_update,
                                       &store_areas_archivable};

static est_result areas_get(http_ctx *ctx) { return http_resource_get(ctx, &resource); }
static est_result areas_create(http_ctx *ctx) { return http_resource_create(ctx, &resource); }
static est_result areas_patch(http_ctx *ctx) { return http_resource_patch(ctx, &resource); }
static est_result areas_delete(http_ctx *ctx) { return http_resource_delete(ctx, &resource); }
static est_result areas_restore(http_ctx *ctx) { return http_resource_restore(ctx, &resource); }

const http_route http_routes_areas[] = {
    {"GET", "/v1/areas", areas_list, HTTP_SCOPE_READ, 0,
     HTTP_QUERY_LIST " archived kind contains intersects_bbox include"},
    {"POST", "/v1/areas", areas_create, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"GET", "/v1/areas/{id}", areas_get, HTTP_SCOPE_READ, 0, NULL},
    {"PATCH", "/v1/areas/{id}", areas_patch, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"DELETE", "/v1/areas/{id}", areas_delete, HTTP_SCOPE_ADMIN, 0, NULL},
    {"POST", "/v1/areas/{id}/restore", areas_restore, HTTP_SCOPE_ADMIN, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
