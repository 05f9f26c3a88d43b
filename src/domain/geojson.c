/* geojson.c - GeoJSON Polygon/MultiPolygon validation (see geojson.h). */
#include "estd/geojson.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "estd/problem.h"

typedef struct gj_ctx {
  json_t **errors;
  int nerrors;
  size_t positions;
  bool too_many; /* the position limit was hit: stop walking */
} gj_ctx;

static void gj_error(gj_ctx *g, const char *pointer, const char *detail) {
  g->nerrors++;
  if (g->nerrors <= EST_GEOJSON_MAX_ERRORS) est_problem_add_error(g->errors, pointer, detail);
}

static bool gj_full(const gj_ctx *g) { return g->too_many || g->nerrors >= EST_GEOJSON_MAX_ERRORS; }

/* Validates one position; returns true when it is well-formed. */
static bool check_position(gj_ctx *g, const json_t *pos, const char *ptr) {
  char p[256];
  if (!json_is_array(pos)) {
    gj_error(g, ptr, "a position must be an array [longitude, latitude]");
    return false;
  }
  size_t n = json_array_size(pos);
  if (n > 0 && json_is_array(json_array_get(pos, 0))) {
    gj_error(g, ptr, "wrong nesting: expected a position (array of numbers), got an array of arrays");
    return false;
  }
  if (n < 2 || n > 3) {
    gj_error(g, ptr,
             n < 2 ? "a position needs longitude and latitude"
                   : "a position has at most 3 values (longitude, latitude, altitude)");
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    const json_t *v = json_array_get(pos, i);
    /* A pointer too long for the buffer is only truncated in the message. */
    if (snprintf(p, sizeof p, "%s/%zu", ptr, i) >= (int)sizeof p) p[sizeof p - 1] = '\0';
    if (!json_is_number(v)) {
      gj_error(g, p, "must be a number");
      ok = false;
      continue;
    }
    double d = json_number_value(v);
    if (i == 0 && (d < -180.0 || d > 180.0)) {
      gj_error(g, p, "longitude must be within [-180, 180] (WGS84, RFC 7946 order is [lon, lat])");
      ok = false;
    } else if (i == 1 && (d < -90.0 || d > 90.0)) {
      gj_error(g, p, "latitude must be within [-90, 90] (WGS84, RFC 7946 order is [lon, lat])");
      ok = false;
    }
  }
  return ok;
}

static bool positions_equal(const json_t *a, const json_t *b) {
  size_t n = json_array_size(a);
  if (n != json_array_size(b)) return false;
  for (size_t i = 0; i < n; i++)
    if (json_number_value(json_array_get(a, i)) != json_number_value(json_array_get(b, i))) return false;
  return true;
}

static void check_ring(gj_ctx *g, const json_t *ring, const char *ptr) {
  if (!json_is_array(ring)) {
    gj_error(g, ptr, "a linear ring must be an array of positions");
    return;
  }
  size_t n = json_array_size(ring);
  if (g->positions + n > EST_GEOJSON_MAX_POSITIONS) {
    char msg[96];
    snprintf(msg, sizeof msg, "a geometry may have at most %d positions", EST_GEOJSON_MAX_POSITIONS);
    gj_error(g, ptr, msg);
    g->too_many = true;
    return;
  }
  g->positions += n;
  bool all_ok = true;
  char p[256];
  for (size_t i = 0; i < n && !gj_full(g); i++) {
    /* A pointer too long for the buffer is only truncated in the message. */
    if (snprintf(p, sizeof p, "%s/%zu", ptr, i) >= (int)sizeof p) p[sizeof p - 1] = '\0';
    if (!check_position(g, json_array_get(ring, i), p)) all_ok = false;
  }
  if (!all_ok || gj_full(g)) return;
  if (n < 4) {
    gj_error(g, ptr, "a linear ring needs at least 4 positions (the first repeated as the last)");
    return;
  }
  if (!positions_equal(json_array_get(ring, 0), json_array_get(ring, n - 1)))
    gj_error(g, ptr, "a linear ring must be closed: its last position must equal its first");
}

static void check_polygon(gj_ctx *g, const json_t *poly, const char *ptr) {
  if (!json_is_array(poly)) {
    gj_error(g, ptr, "a polygon must be an array of linear rings");
    return;
  }
  size_t n = json_array_size(poly);
  if (n == 0) {
    gj_error(g, ptr, "a polygon needs at least one linear ring (its exterior)");
    return;
  }
  char p[256];
  for (size_t i = 0; i < n && !gj_full(g); i++) {
    const json_t *ring = json_array_get(poly, i);
    /* A pointer too long for the buffer is only truncated in the message. */
    if (snprintf(p, sizeof p, "%s/%zu", ptr, i) >= (int)sizeof p) p[sizeof p - 1] = '\0';
    /* Catch one nesting level too shallow: a ring given where a polygon's
     * ring list is expected would otherwise read as positions of numbers. */
    if (json_is_array(ring) && json_array_size(ring) > 0 && json_is_number(json_array_get(ring, 0))) {
      gj_error(g, p, "wrong nesting: expected a linear ring (array of positions), got a position");
      continue;
    }
    check_ring(g, ring, p);
  }
}

/* RFC 7946 5: 4 or 6 numbers (2 or 3 dimensions); not stored (the database
 * has the geometry's own extent), but checked as openapi.yaml GeoBbox states. */
static void check_bbox(gj_ctx *g, const json_t *bbox, const char *ptr) {
  size_t n = json_array_size(bbox);
  bool ok = json_is_array(bbox) && (n == 4 || n == 6);
  for (size_t i = 0; ok && i < n; i++) {
    const json_t *v = json_array_get(bbox, i);
    ok = json_is_number(v) && json_number_value(v) >= -180.0 && json_number_value(v) <= 180.0;
  }
  if (!ok) gj_error(g, ptr, "a bbox must be an array of 4 or 6 numbers within [-180, 180]");
}

est_result est_geojson_validate_area(const json_t *geom, const char *pointer, json_t **errors) {
  gj_ctx g = {errors, 0, 0, false};
  char p[256];
  if (!json_is_object(geom)) {
    gj_error(&g, pointer, "must be a GeoJSON geometry object (Polygon or MultiPolygon)");
    return EST_EINVAL;
  }
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)geom, key, val) {
    if (strcmp(key, "type") == 0 || strcmp(key, "coordinates") == 0) continue;
    snprintf(p, sizeof p, "%s/%s", pointer, key);
    if (strcmp(key, "bbox") == 0) {
      check_bbox(&g, val, p);
      continue;
    }
    gj_error(&g, p,
             strcmp(key, "crs") == 0 ? "crs is not supported: coordinates are always WGS84 (RFC 7946)"
                                     : "unknown member of a geometry");
  }
  const json_t *type = json_object_get(geom, "type");
  const json_t *coords = json_object_get(geom, "coordinates");
  bool multi = false;
  snprintf(p, sizeof p, "%s/type", pointer);
  if (!json_is_string(type)) {
    gj_error(&g, p, "must be \"Polygon\" or \"MultiPolygon\"");
    return EST_EINVAL;
  }
  if (strcmp(json_string_value(type), "MultiPolygon") == 0) {
    multi = true;
  } else if (strcmp(json_string_value(type), "Polygon") != 0) {
    gj_error(&g, p, "must be \"Polygon\" or \"MultiPolygon\" (an area is a surface)");
    return EST_EINVAL;
  }
  snprintf(p, sizeof p, "%s/coordinates", pointer);
  if (!coords) {
    gj_error(&g, p, "is required");
    return EST_EINVAL;
  }
  if (!multi) {
    check_polygon(&g, coords, p);
  } else if (!json_is_array(coords)) {
    gj_error(&g, p, "a MultiPolygon's coordinates must be an array of polygons");
  } else if (json_array_size(coords) == 0) {
    gj_error(&g, p, "a MultiPolygon needs at least one polygon");
  } else {
    char pp[288];
    for (size_t i = 0; i < json_array_size(coords) && !gj_full(&g); i++) {
      const json_t *poly = json_array_get(coords, i);
      snprintf(pp, sizeof pp, "%s/%zu", p, i);
      /* A Polygon's coordinates under type MultiPolygon: one level short. */
      if (json_is_array(poly) && json_array_size(poly) > 0 && json_is_array(json_array_get(poly, 0)) &&
          json_array_size(json_array_get(poly, 0)) > 0 && json_is_number(json_array_get(json_array_get(poly, 0), 0))) {
        gj_error(&g, pp, "wrong nesting: expected a polygon (array of linear rings), got a linear ring");
        continue;
      }
      check_polygon(&g, poly, pp);
    }
  }
  return g.nerrors ? EST_EINVAL : EST_OK;
}

json_t *est_geojson_normalize(const json_t *geom) {
  return json_pack("{s:O, s:O}", "type", json_object_get(geom, "type"), "coordinates",
                   json_object_get(geom, "coordinates"));
}
