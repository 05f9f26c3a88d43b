/* routes_areas.c - /v1/areas: areas (områden) with GeoJSON geometry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/area.h"
#include "estd/http.h"
#include "estd/problem.h"
#include "estd/store_areas.h"

/* Turns a store failure into the problem detail (and field error). */
static est_result store_failed(http_ctx *ctx, est_result rc, const store_area_fail *f, long long id) {
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "area %lld does not exist", id);
  if (f->field[0]) http_fail_field(ctx, f->field, f->detail);
  if (f->detail[0]) return http_fail(ctx, rc, "%s", f->detail);
  return rc;
}

static est_result areas_list(http_ctx *ctx) {
  static const char *const includes[] = {"geometry", NULL};
  est_list_query q;
  store_area_filter f;
  memset(&f, 0, sizeof f);
  const char *include = NULL;
  est_result rc = http_list_params(ctx, store_areas_sorts, &q);
  if (rc == EST_OK) rc = http_param_enum(ctx, "kind", est_area_kinds, &f.kind);
  if (rc == EST_OK) rc = http_param_enum(ctx, "include", includes, &include);
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

static est_result areas_get(http_ctx *ctx) {
  long long id;
  est_result rc = http_path_id(ctx, &id);
  if (rc != EST_OK) return rc;
  est_doc doc;
  rc = store_area_get(ctx->app->pool, id, &doc);
  if (rc == EST_ENOTFOUND) return http_fail(ctx, rc, "area %lld does not exist", id);
  if (rc != EST_OK) return rc;
  http_reply_doc(ctx, 200, &doc);
  return EST_OK;
}

/* Parses and validates the body; *norm is the normalized JSON text. */
static est_result read_body(http_ctx *ctx, bool patch, char **norm) {
  json_t *body;
  est_result rc = http_body_json(ctx, &body);
  if (rc != EST_OK) return rc;
  json_t *errors = NULL;
  rc = est_area_validate(body, patch, norm, &errors);
  json_decref(body);
  if (rc == EST_EINVAL) {
    http_fail_errors(ctx, errors);
    return http_fail(ctx, EST_EINVAL, "the area failed validation; see errors");
  }
  json_decref(errors);
  return rc;
}

static est_result areas_create(http_ctx *ctx) {
  char *norm;
  est_result rc = read_body(ctx, false, &norm);
  if (rc != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  est_doc doc;
  long long id = 0;
  store_area_fail fail = {"", ""};
  rc = store_area_create(ctx->app->pool, &who, norm, &doc, &id, &fail);
  free(norm);
  if (rc != EST_OK) return store_failed(ctx, rc, &fail, id);
  http_reply_created(ctx, "/v1/areas", id, &doc);
  return EST_OK;
}

static est_result areas_patch(http_ctx *ctx) {
  long long id, version;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = http_if_match_required(ctx, &version);
  if (rc != EST_OK) return rc;
  char *norm;
  if ((rc = read_body(ctx, true, &norm)) != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  est_doc doc;
  store_area_fail fail = {"", ""};
  rc = store_area_update(ctx->app->pool, &who, id, version, norm, &doc, &fail);
  free(norm);
  if (rc != EST_OK) return store_failed(ctx, rc, &fail, id);
  http_reply_doc(ctx, 200, &doc);
  return EST_OK;
}

static est_result areas_delete(http_ctx *ctx) {
  long long id, version;
  bool present;
  est_result rc = http_path_id(ctx, &id);
  if (rc == EST_OK) rc = http_if_match(ctx, &version, &present); /* optional on DELETE */
  if (rc != EST_OK) return rc;
  est_actor who = http_actor(ctx);
  store_area_fail fail = {"", ""};
  rc = store_area_delete(ctx->app->pool, &who, id, version, &fail);
  if (rc != EST_OK) return store_failed(ctx, rc, &fail, id);
  http_reply_empty(ctx, 204);
  return EST_OK;
}

const http_route http_routes_areas[] = {
    {"GET", "/v1/areas", areas_list, HTTP_SCOPE_READ, 0},
    {"POST", "/v1/areas", areas_create, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY},
    {"GET", "/v1/areas/{id}", areas_get, HTTP_SCOPE_READ, 0},
    {"PATCH", "/v1/areas/{id}", areas_patch, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY},
    {"DELETE", "/v1/areas/{id}", areas_delete, HTTP_SCOPE_ADMIN, 0},
    {NULL, NULL, NULL, 0, 0},
};
