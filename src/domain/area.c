/* area.c - area and area-focus body validation (see area.h). */
#include "estd/area.h"

#include "estd/buf.h"
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

bool est_slug_valid(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > EST_SLUG_MAX || s[0] == '-' || s[n - 1] == '-') return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '-') {
      if (s[i + 1] == '-') return false;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

/* ---- field checkers: each appends at most one error ----------------------- */

typedef struct vctx {
  json_t **errors;
  int nerrors;
  json_t *out; /* normalized object */
} vctx;

static void verr(vctx *v, const char *field, const char *detail) {
  v->nerrors++;
  est_problem_add_error(v->errors, field, detail);
}

static void ptr_of(char *buf, size_t n, const char *key) { snprintf(buf, n, "/%s", key); }

/* Presence handling shared by every field: returns the value to check, or
 * NULL when the member is absent (error if required) or null (error unless
 * nullable; if nullable the null is kept in the output). */
static const json_t *field(vctx *v, const json_t *body, const char *key, bool required, bool nullable) {
  char p[80];
  ptr_of(p, sizeof p, key);
  const json_t *x = json_object_get(body, key);
  if (!x) {
    if (required) verr(v, p, "is required");
    return NULL;
  }
  if (json_is_null(x)) {
    if (nullable) json_object_set_new(v->out, key, json_null());
    else verr(v, p, "must not be null");
    return NULL;
  }
  return x;
}

static void check_string(vctx *v, const json_t *body, const char *key, bool required, bool nullable,
                         size_t minc, size_t maxc) {
  const json_t *x = field(v, body, key, required, nullable);
  if (!x) return;
  char p[80], msg[96];
  ptr_of(p, sizeof p, key);
  if (!json_is_string(x)) {
    verr(v, p, "must be a string");
    return;
  }
  size_t n = est_utf8_length(json_string_value(x));
  if (n < minc || n > maxc) {
    if (minc > 0) snprintf(msg, sizeof msg, "must be %zu to %zu characters long", minc, maxc);
    else snprintf(msg, sizeof msg, "must be at most %zu characters long", maxc);
    verr(v, p, msg);
    return;
  }
  if (memchr(json_string_value(x), '\0', json_string_length(x))) {
    verr(v, p, "must not contain NUL characters");
    return;
  }
  if (est_pnr_contains(json_string_value(x))) { /* free text must not carry personal identity numbers */
    verr(v, p, EST_PNR_DETAIL);
    return;
  }
  json_object_set(v->out, key, (json_t *)x);
}

static void check_slug(vctx *v, const json_t *body, const char *key) {
  const json_t *x = field(v, body, key, false, true);
  if (!x) return;
  char p[80];
  ptr_of(p, sizeof p, key);
  if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x) ||
      !est_slug_valid(json_string_value(x))) {
    verr(v, p, "must be a slug: lowercase letters and digits in groups joined by '-', at most 100 characters");
    return;
  }
  json_object_set(v->out, key, (json_t *)x);
}

static void check_enum(vctx *v, const json_t *body, const char *key, bool required, const char *const *allowed) {
  const json_t *x = field(v, body, key, required, false);
  if (!x) return;
  char p[80];
  ptr_of(p, sizeof p, key);
  if (json_is_string(x))
    for (int i = 0; allowed[i]; i++)
      if (strcmp(allowed[i], json_string_value(x)) == 0) {
        json_object_set(v->out, key, (json_t *)x);
        return;
      }
  est_buf msg = EST_BUF_INIT;
  est_buf_puts(&msg, "must be one of:");
  for (int i = 0; allowed[i]; i++) est_buf_printf(&msg, "%s%s", i ? ", " : " ", allowed[i]);
  verr(v, p, msg.oom ? "must be one of the allowed values" : msg.data);
  est_buf_free(&msg);
}

static void check_bool(vctx *v, const json_t *body, const char *key) {
  const json_t *x = field(v, body, key, false, false);
  if (!x) return;
  char p[80];
  ptr_of(p, sizeof p, key);
  if (!json_is_boolean(x)) {
    verr(v, p, "must be true or false");
    return;
  }
  json_object_set(v->out, key, (json_t *)x);
}

/* Integer in [lo, hi]; returns true and sets *out if valid and present. */
static bool check_int(vctx *v, const json_t *body, const char *key, bool required, bool nullable, long long lo,
                      long long hi, const char *what) {
  const json_t *x = field(v, body, key, required, nullable);
  if (!x) return false;
  char p[80];
  ptr_of(p, sizeof p, key);
  if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi) {
    verr(v, p, what);
    return false;
  }
  json_object_set(v->out, key, (json_t *)x);
  return true;
}

static const char *check_date(vctx *v, const json_t *body, const char *key, bool required, bool nullable) {
  const json_t *x = field(v, body, key, required, nullable);
  if (!x) return NULL;
  char p[80];
  ptr_of(p, sizeof p, key);
  if (!json_is_string(x) || !est_date_valid(json_string_value(x))) {
    verr(v, p, "must be a date YYYY-MM-DD");
    return NULL;
  }
  json_object_set(v->out, key, (json_t *)x);
  return json_string_value(x);
}

static void check_unknown(vctx *v, const json_t *body, const char *const *known) {
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)body, key, val) {
    (void)val;
    bool ok = false;
    for (int i = 0; known[i] && !ok; i++) ok = strcmp(known[i], key) == 0;
    if (!ok) {
      char p[300];
      snprintf(p, sizeof p, "/%.250s", key);
      verr(v, p, "unknown field");
    }
  }
}

static est_result finish(vctx *v, char **normalized) {
  if (v->nerrors) {
    json_decref(v->out);
    return EST_EINVAL;
  }
  *normalized = json_dumps(v->out, JSON_COMPACT);
  json_decref(v->out);
  return *normalized ? EST_OK : EST_ENOMEM;
}

static est_result begin(vctx *v, const json_t *body, char **normalized, json_t **errors) {
  *normalized = NULL;
  v->errors = errors;
  v->nerrors = 0;
  v->out = NULL;
  if (!json_is_object(body)) {
    est_problem_add_error(errors, "", "the request body must be a JSON object");
    return EST_EINVAL;
  }
  v->out = json_object();
  return v->out ? EST_OK : EST_ENOMEM;
}

est_result est_area_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  static const char *const known[] = {"name", "kind", "code", "approximate", "description", "geometry", NULL};
  vctx v;
  est_result rc = begin(&v, body, normalized, errors);
  if (rc != EST_OK) return rc;
  check_unknown(&v, body, known);
  check_string(&v, body, "name", !patch, false, 1, EST_AREA_NAME_MAX);
  check_enum(&v, body, "kind", !patch, est_area_kinds);
  check_slug(&v, body, "code");
  check_bool(&v, body, "approximate");
  check_string(&v, body, "description", false, true, 0, EST_AREA_DESCRIPTION_MAX);
  const json_t *g = field(&v, body, "geometry", !patch, false);
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
  return finish(&v, normalized);
}

est_result est_focus_validate(const json_t *body, bool patch, char **normalized, json_t **errors) {
  static const char *const known[] = {"area_id", "agreement_id", "party_id", "reason", "priority",
                                      "valid_from", "valid_to", "code", NULL};
  static const char *const id_msg = "must be a positive integer id";
  vctx v;
  est_result rc = begin(&v, body, normalized, errors);
  if (rc != EST_OK) return rc;
  check_unknown(&v, body, known);
  check_int(&v, body, "area_id", !patch, false, 1, INT64_MAX, id_msg);
  bool has_agreement = check_int(&v, body, "agreement_id", false, true, 1, INT64_MAX, id_msg);
  bool has_party = check_int(&v, body, "party_id", false, true, 1, INT64_MAX, id_msg);
  if (!patch && !has_agreement && !has_party) {
    const json_t *a = json_object_get(body, "agreement_id"), *p = json_object_get(body, "party_id");
    /* Only report when neither was given in a usable form (not already an error). */
    if ((!a || json_is_null(a)) && (!p || json_is_null(p)))
      verr(&v, "/agreement_id", "agreement_id or party_id (or both) is required");
  }
  check_string(&v, body, "reason", !patch, false, 1, EST_FOCUS_REASON_MAX);
  check_int(&v, body, "priority", false, false, 1, 5, "must be an integer from 1 (highest) to 5 (lowest)");
  const char *from = check_date(&v, body, "valid_from", !patch, false);
  const char *to = check_date(&v, body, "valid_to", false, true);
  if (from && to && strcmp(to, from) < 0) verr(&v, "/valid_to", "must not be before valid_from");
  check_slug(&v, body, "code");
  return finish(&v, normalized);
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
      if (!((*q >= '0' && *q <= '9') || *q == '.' || *q == '-' || *q == '+' || *q == 'e' || *q == 'E'))
        return false;
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
  if (v[0] < -180.0 || v[2] > 180.0 || v[1] < -90.0 || v[3] > 90.0 || v[0] > v[2] || v[1] > v[3])
    return EST_EINVAL;
  memcpy(bbox, v, sizeof v);
  return EST_OK;
}
