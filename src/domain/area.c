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
  static const char *const known[] = {"name",        "kind",     "code",    "approximate",
                                      "description", "geometry", "aliases", NULL};
  est_vctx v;
  est_result rc = est_v_open(&v, body, known, normalized, errors);
  if (rc != EST_OK) return rc;
  est_v_string(&v, body, "name", !patch, false, 1, EST_AREA_NAME_MAX);
  est_v_enum(&v, body, "kind", !patch, est_area_kinds);
  est_v_slug(&v, body, "code");
  est_v_bool(&v, body, "approximate");
  est_v_string(&v, body, "description", false, true, 0, EST_AREA_DESCRIPTION_MAX);
  est_v_strings(&v, body, "aliases", false, EST_AREA_ALIASES_MAX, EST_AREA_ALIAS_MAX);
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
  est_result rc = est_v_open(&v, body, known, normalized, errors);
  if (rc != EST_OK) return rc;
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
    /* Exactly openapi.yaml's decimal: -?(0|[1-9][0-9]*)(.[0-9]+)? (strtod alone would take
     * hex, exponents, "+", "inf" and "nan"). */
    const char *q = p + (*p == '-');
    if (*q < '0' || *q > '9' || (q[0] == '0' && q[1] >= '0' && q[1] <= '9')) return false;
    while (*q >= '0' && *q <= '9') q++;
    if (*q == '.') {
      if (q[1] < '0' || q[1] > '9') return false;
      for (q++; *q >= '0' && *q <= '9'; q++) {
      }
    }
    char *end;
    errno = 0;
    double d = strtod(p, &end);
    if (end != q || errno != 0 || !isfinite(d)) return false;
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
  if (!s || strlen(s) > 64 || !parse_numbers(s, v, 2)) return EST_EINVAL; /* openapi.yaml: maxLength 64 */
  if (v[0] < -90.0 || v[0] > 90.0 || v[1] < -180.0 || v[1] > 180.0) return EST_EINVAL;
  *lat = v[0];
  *lon = v[1];
  return EST_OK;
}

est_result est_parse_bbox(const char *s, double bbox[4]) {
  double v[4];
  if (!s || strlen(s) > 128 || !parse_numbers(s, v, 4)) return EST_EINVAL; /* openapi.yaml: maxLength 128 */
  if (v[0] < -180.0 || v[2] > 180.0 || v[1] < -90.0 || v[3] > 90.0 || v[0] > v[2] || v[1] > v[3]) return EST_EINVAL;
  memcpy(bbox, v, sizeof v);
  return EST_OK;
}
