/* routes_areas.c - /v1/areas: areas (områden) with GeoJSON geometry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/area.h"
#include "estd/http.h"
#include "estd/http_resource.h"
#include "estd/problem.h"
#include "estd/store_areas.h"
#include "estd/util.h"

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

/* POST /v1/areas/import: a GeoJSON FeatureCollection upserted as areas by
 * code through the same store function as `estd areas import`; PostGIS
 * parses the geometries. 200 with the report; 422 naming every refused
 * feature (field /features/<index>). */
static est_result areas_import(http_ctx *ctx) {
  static const char *const bools[] = {"true", "false", NULL};
  store_area_import in = {0};
  const char *approx = NULL, *skip = NULL, *dry = NULL;
  est_result rc = http_param_enum(ctx, "kind", est_area_kinds, &in.kind);
  if (rc == EST_OK) rc = http_param_enum(ctx, "approximate", bools, &approx);
  if (rc == EST_OK) rc = http_param_enum(ctx, "skip_invalid", bools, &skip);
  if (rc == EST_OK) rc = http_param_enum(ctx, "dry_run", bools, &dry);
  if (rc != EST_OK) return rc;
  in.approximate = approx && strcmp(approx, "true") == 0;
  in.skip_invalid = skip && strcmp(skip, "true") == 0;
  in.dry_run = dry && strcmp(dry, "true") == 0;
  static const char *const names[] = {"code_field", "name_field", NULL};
  const char **fields[] = {&in.code_field, &in.name_field};
  for (int i = 0; names[i]; i++) {
    const char *v = http_param(ctx, names[i]);
    if (v && (!v[0] || strlen(v) > 100 || !est_utf8_valid(v, strlen(v)))) {
      http_fail_field(ctx, names[i], "must be a property name of 1 to 100 characters");
      return http_fail(ctx, EST_EPARSE, "invalid query parameter '%s'", names[i]);
    }
    *fields[i] = v;
  }
  in.code_prefix = http_param(ctx, "code_prefix");
  if (in.code_prefix && !est_slug_valid(in.code_prefix)) {
    http_fail_field(ctx, "code_prefix", "must be a slug: lowercase letters and digits in groups joined by '-'");
    return http_fail(ctx, EST_EPARSE, "invalid query parameter 'code_prefix'");
  }
  const char *crs = http_param(ctx, "crs");
  long long epsg = 0;
  if (crs && (est_parse_id(crs, &epsg) != EST_OK || epsg > 999999)) {
    http_fail_field(ctx, "crs", "must be an EPSG code from 1 to 999999 (e.g. 3006 for SWEREF 99 TM)");
    return http_fail(ctx, EST_EPARSE, "invalid query parameter 'crs'");
  }
  json_t *body = NULL, *errors = NULL;
  if ((rc = http_body_json(ctx, &body)) != EST_OK) return rc;
  in.srid = (int)epsg;
  rc = est_area_import_validate(body, &in.srid, &errors);
  char *text = rc == EST_OK ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (rc != EST_OK) {
    http_fail_errors(ctx, errors);
    return http_fail(ctx, EST_EINVAL, "the body is not an importable GeoJSON FeatureCollection");
  }
  if (!text) return EST_ENOMEM;
  est_actor who = http_actor(ctx);
  char *report = NULL;
  store_write_error fail = {"", ""};
  rc = store_areas_import(ctx->app->pool, &who, text, &in, &report, &fail);
  free(text);
  if (rc == EST_OK) {
    http_reply_raw(ctx, 200, "application/json", report, strlen(report));
    free(report);
    return EST_OK;
  }
  json_t *rep = report ? json_loads(report, 0, NULL) : NULL;
  free(report);
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(rep, "problems"), i, p) {
    char field[48], detail[1024];
    const char *code = json_string_value(json_object_get(p, "code")),
               *name = json_string_value(json_object_get(p, "name"));
    snprintf(field, sizeof field, "/features/%lld", (long long)json_integer_value(json_object_get(p, "feature")) - 1);
    snprintf(detail, sizeof detail, "feature %lld (code %s, name %s): %s",
             (long long)json_integer_value(json_object_get(p, "feature")), code ? code : "-", name ? name : "-",
             json_string_value(json_object_get(p, "problem")));
    http_fail_field(ctx, field, detail);
  }
  json_decref(rep);
  if (fail.field[0] || (fail.detail[0] && i == 0)) http_fail_field(ctx, fail.field, fail.detail);
  return http_fail(ctx, rc, "%s", fail.detail[0] ? fail.detail : "the import failed");
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
    {"POST", "/v1/areas/import", areas_import, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY,
     "crs code_field name_field code_prefix kind approximate skip_invalid dry_run"},
    {"GET", "/v1/areas/{id}", areas_get, HTTP_SCOPE_READ, 0, NULL},
    {"PATCH", "/v1/areas/{id}", areas_patch, HTTP_SCOPE_ADMIN, HTTP_ROUTE_BODY, NULL},
    {"DELETE", "/v1/areas/{id}", areas_delete, HTTP_SCOPE_ADMIN, 0, NULL},
    {"POST", "/v1/areas/{id}/restore", areas_restore, HTTP_SCOPE_ADMIN, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
