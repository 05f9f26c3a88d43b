/* area.c - area and area-focus body validation (see area.h). */
#include "estd/area.h"
#include "estd/validate.h"
#include "estd/personnummer.h"
#include "estd/util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estd/geojson.h"
#include "estd/problem.h"

const char *const est_area_kinds[] = {"district", "sarskilt_utsatt_omrade", "hot_spot", "other", NULL};

est_result est_area_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  static const char *const known[] = {"name", "kind", "code", "approximate", "description", "geometry", NULL};
  est_vctx v;
  est_result rc = est_v_begin(&v, body, normalized, errors);
  if (rc != EST_OK) return rc;
  est_v_unknown(&v, body, known);
  est_v_string(&v, body, "name", !patch, false, 1, EST_AREA_NAME_MAX);
  est_v_enum(&v, body, "kind", !patch, est_area_kinds);
  est_v_slug(&v, body, "code");
  est_v_bool(&v, body, "approximate");
  est_v_string(&v, body, "description", false, true, 0, EST_AREA_DESCRIPTION_MAX);
  const json_t *g = est_v_field(&v, body, "geometry", !patch, false);
  if (g) {
    json_t *errs = NULL;
    if (est_geojson_validate_area(g, "/geometry", &errs) != EST_OK) {
      v.nerrors += (int)json_array_size(errs);
      if (!*errors) *errors = json_array();
      json_array_extend(*errors, errs);
    } else {
      json_object_set_new(v.out, "geometry", est_geojson_normalize(g));
    }
    json_decref(errs);
  }
  return est_v_finish(&v, normalized);
}

est_result est_focus_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  static const char *const known[] = {"area_id",    "agreement_id", "party_id", "reason", "priority",
                                      "valid_from", "valid_to",     "code",     NULL};
  static const char *const id_msg = "must be a positive integer id";
  est_vctx v;
  est_result rc = est_v_begin(&v, body, normalized, errors);
  if (rc != EST_OK) return rc;
  est_v_unknown(&v, body, known);
  est_v_int(&v, body, "area_id", !patch, false, 1, INT64_MAX, id_msg);
  bool has_agreement = est_v_int(&v, body, "agreement_id", false, true, 1, INT64_MAX, id_msg);
  bool has_party = est_v_int(&v, body, "party_id", false, true, 1, INT64_MAX, id_msg);
  if (!patch && !has_agreement && !has_party) {
    const json_t *a = json_object_get(body, "agreement_id"), *p = json_object_get(body, "party_id");
    /* Only report when neither was given in a usable form (not already an error). */
    if ((!a || json_is_null(a)) && (!p || json_is_null(p)))
      est_v_err(&v, "/agreement_id", "agreement_id or party_id (or both) is required");
  }
  est_v_string(&v, body, "reason", !patch, false, 1, EST_FOCUS_REASON_MAX);
  est_v_int(&v, body, "priority", false, false, 1, 5, "must be an integer from 1 (highest) to 5 (lowest)");
  const char *from = est_v_date(&v, body, "valid_from", !patch, false);
  const char *to = est_v_date(&v, body, "valid_to", false, true);
  if (from && to && strcmp(to, from) < 0) est_v_err(&v, "/valid_to", "must not be before valid_from");
  est_v_slug(&v, body, "code");
  return est_v_finish(&v, normalized);
}

/* Parses exactly n comma-separated finite decimal numbers. */
static bool parse_numbers(const char *s, double *out, int n) {
  const char *p = s;
  for (int i = 0; i < n; i++) {
    if (*p == '\0' || *p == ' ' || *p == '\t' || *p == ',') return false;
    char *end;
    errno = 0;
    double d = strtod(p, &end);
    if (end == p || errno != 0 || !isfinite(d)) return false;
    /* strtod accepts hex, "inf" and "nan"; allow only [-+]digits[.digits][e..] */
    for (const char *q = p; q < end; q++)
      if (!((*q >= '0' && *q <= '9') || *q == '.' || *q == '-' || *q == '+' || *q == 'e' || *q == 'E')) return false;
    out[i] = d;
    p = end;
    if (i < n - 1) {
      if (*p != ',') return false;
      p++;
    }
  }
  return *p == '\0';
}

est_result est_parse_latlon(const char *s, double *lat, double *lon) {
  double v[2];
  if (!s || !parse_numbers(s, v, 2)) return EST_EINVAL;
  if (v[0] < -90.0 || v[0] > 90.0 || v[1] < -180.0 || v[1] > 180.0) return EST_EINVAL;
  *lat = v[0];
  *lon = v[1];
  return EST_OK;
}

est_result est_parse_bbox(const char *s, double bbox[4]) {
  double v[4];
  if (!s || !parse_numbers(s, v, 4)) return EST_EINVAL;
  if (v[0] < -180.0 || v[2] > 180.0 || v[1] < -90.0 || v[3] > 90.0 || v[0] > v[2] || v[1] > v[3]) return EST_EINVAL;
  memcpy(bbox, v, sizeof v);
  return EST_OK;
}

int est_area_crs_epsg(const json_t *crs) {
  static const char *const prefixes[] = {"urn:ogc:def:crs:EPSG:", "EPSG:", "http://www.opengis.net/def/crs/EPSG/0/",
                                         NULL};
  const char *name = json_string_value(json_object_get(json_object_get(crs, "properties"), "name"));
  if (!json_is_object(crs) || !json_is_string(json_object_get(crs, "type")) ||
      strcmp(json_string_value(json_object_get(crs, "type")), "name") != 0 || !name)
    return 0;
  if (strcmp(name, "urn:ogc:def:crs:OGC:1.3:CRS84") == 0 || strcmp(name, "urn:ogc:def:crs:OGC::CRS84") == 0 ||
      strcmp(name, "http://www.opengis.net/def/crs/OGC/1.3/CRS84") == 0)
    return 4326;
  for (int i = 0; prefixes[i]; i++) {
    size_t n = strlen(prefixes[i]);
    if (strncmp(name, prefixes[i], n) != 0) continue;
    const char *code = name + n;
    if (i == 0) { /* urn:ogc:def:crs:EPSG:[version]:code */
      const char *colon = strchr(code, ':');
      if (!colon) return 0;
      code = colon + 1;
    }
    long long v;
    return est_parse_id(code, &v) == EST_OK && v <= 999999 ? (int)v : 0;
  }
  return 0;
}

est_result est_area_import_validate(const json_t *body, int *srid, json_t **errors) {
  *errors = NULL;
  if (!json_is_object(body)) {
    est_problem_add_error(errors, "", "must be a GeoJSON FeatureCollection object");
    return EST_EINVAL;
  }
  const json_t *type = json_object_get(body, "type"), *features = json_object_get(body, "features");
  const json_t *crs = json_object_get(body, "crs");
  if (!json_is_string(type) || strcmp(json_string_value(type), "FeatureCollection") != 0)
    est_problem_add_error(errors, "/type", "must be \"FeatureCollection\"");
  int from_crs = crs && !json_is_null(crs) ? est_area_crs_epsg(crs) : 0;
  if (crs && !json_is_null(crs) && from_crs == 0)
    est_problem_add_error(errors, "/crs",
                          "must be {\"type\": \"name\", \"properties\": {\"name\": "
                          "\"urn:ogc:def:crs:EPSG::<code>\"}} (or EPSG:<code>, OGC CRS84)");
  else if (from_crs && *srid && from_crs != *srid) {
    char msg[128];
    snprintf(msg, sizeof msg, "names EPSG:%d, the crs parameter EPSG:%d", from_crs, *srid);
    est_problem_add_error(errors, "/crs", msg);
  }
  int use = *srid ? *srid : from_crs ? from_crs : 4326;
  if (!json_is_array(features) || json_array_size(features) < 1 || json_array_size(features) > EST_AREA_IMPORT_MAX) {
    char msg[128];
    snprintf(msg, sizeof msg, "must be an array of 1 to %d features (larger layers: estd areas import)",
             EST_AREA_IMPORT_MAX);
    est_problem_add_error(errors, "/features", msg);
  } else {
    size_t i;
    const json_t *f;
    json_array_foreach(features, i, f) {
      char p[64];
      snprintf(p, sizeof p, "/features/%zu", i);
      const json_t *ft = json_object_get(f, "type"), *props = json_object_get(f, "properties"),
                   *g = json_object_get(f, "geometry");
      const char *gt = json_string_value(json_object_get(g, "type"));
      if (!json_is_object(f) || !json_is_string(ft) || strcmp(json_string_value(ft), "Feature") != 0) {
        est_problem_add_error(errors, p, "must be a GeoJSON Feature object");
      } else if (props && !json_is_null(props) && !json_is_object(props)) {
        snprintf(p, sizeof p, "/features/%zu/properties", i);
        est_problem_add_error(errors, p, "must be an object or null");
      } else if (g && !json_is_null(g) && !json_is_object(g)) {
        snprintf(p, sizeof p, "/features/%zu/geometry", i);
        est_problem_add_error(errors, p, "must be a GeoJSON geometry object or null");
      } else if (gt && (strcmp(gt, "Polygon") == 0 || strcmp(gt, "MultiPolygon") == 0)) {
        snprintf(p, sizeof p, "/features/%zu/geometry", i);
        est_geojson_validate_area_in(g, p, use == 4326, errors);
      }
      if (json_array_size(*errors) >= 50) break; /* enough to fix the file */
    }
  }
  if (json_array_size(*errors)) return EST_EINVAL;
  *srid = use;
  return EST_OK;
}
