/* validate.c - shared field checkers of the body validators (see validate.h). */
#include "estd/validate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "estd/buf.h"
#include "estd/personnummer.h"
#include "estd/problem.h"
#include "estd/util.h"

void est_v_err(est_vctx *v, const char *field, const char *detail) {
  v->nerrors++;
  est_problem_add_error(v->errors, field, detail);
}

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

static void ptr_of(char *buf, size_t n, const char *key) { snprintf(buf, n, "/%s", key); }

/* Presence handling shared by every field: returns the value to check, or
 * NULL when the member is absent (error if required) or null (error unless
 * nullable; if nullable the null is kept in the output). */
const json_t *est_v_field(est_vctx *v, const json_t *body, const char *key, bool required, bool nullable) {
  char p[80];
  ptr_of(p, sizeof p, key);
  const json_t *x = json_object_get(body, key);
  if (!x) {
    if (required) est_v_err(v, p, "is required");
    return NULL;
  }
  if (json_is_null(x)) {
    if (nullable) json_object_set_new(v->out, key, json_null());
    else est_v_err(v, p, "must not be null");
    return NULL;
  }
  return x;
}

void est_v_string(est_vctx *v, const json_t *body, const char *key, bool required, bool nullable, size_t minc,
                  size_t maxc) {
  const json_t *x = est_v_field(v, body, key, required, nullable);
  if (!x) return;
  char p[80], msg[96];
  ptr_of(p, sizeof p, key);
  if (!json_is_string(x)) {
    est_v_err(v, p, "must be a string");
    return;
  }
  size_t n = est_utf8_length(json_string_value(x));
  if (n < minc || n > maxc) {
    if (minc > 0) snprintf(msg, sizeof msg, "must be %zu to %zu characters long", minc, maxc);
    else snprintf(msg, sizeof msg, "must be at most %zu characters long", maxc);
    est_v_err(v, p, msg);
    return;
  }
  if (memchr(json_string_value(x), '\0', json_string_length(x))) {
    est_v_err(v, p, "must not contain NUL characters");
    return;
  }
  if (est_pnr_contains(json_string_value(x))) { /* free text must not carry personal identity numbers */
    est_v_err(v, p, EST_PNR_DETAIL);
    return;
  }
  json_object_set(v->out, key, (json_t *)x);
}

void est_v_slug(est_vctx *v, const json_t *body, const char *key) {
  const json_t *x = est_v_field(v, body, key, false, true);
  if (!x) return;
  char p[80];
  ptr_of(p, sizeof p, key);
  if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x) ||
      !est_slug_valid(json_string_value(x))) {
    est_v_err(v, p, "must be a slug: lowercase letters and digits in groups joined by '-', at most 100 characters");
    return;
  }
  json_object_set(v->out, key, (json_t *)x);
}

void est_v_enum(est_vctx *v, const json_t *body, const char *key, bool required, const char *const *allowed) {
  const json_t *x = est_v_field(v, body, key, required, false);
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
  est_v_err(v, p, msg.oom ? "must be one of the allowed values" : msg.data);
  est_buf_free(&msg);
}

void est_v_bool(est_vctx *v, const json_t *body, const char *key) {
  const json_t *x = est_v_field(v, body, key, false, false);
  if (!x) return;
  char p[80];
  ptr_of(p, sizeof p, key);
  if (!json_is_boolean(x)) {
    est_v_err(v, p, "must be true or false");
    return;
  }
  json_object_set(v->out, key, (json_t *)x);
}

/* Integer in [lo, hi]; returns true and sets *out if valid and present. */
bool est_v_int(est_vctx *v, const json_t *body, const char *key, bool required, bool nullable, long long lo,
               long long hi, const char *what) {
  const json_t *x = est_v_field(v, body, key, required, nullable);
  if (!x) return false;
  char p[80];
  ptr_of(p, sizeof p, key);
  if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi) {
    est_v_err(v, p, what);
    return false;
  }
  json_object_set(v->out, key, (json_t *)x);
  return true;
}

const char *est_v_date(est_vctx *v, const json_t *body, const char *key, bool required, bool nullable) {
  const json_t *x = est_v_field(v, body, key, required, nullable);
  if (!x) return NULL;
  char p[80];
  ptr_of(p, sizeof p, key);
  if (!json_is_string(x) || !est_date_valid(json_string_value(x))) {
    est_v_err(v, p, "must be a date YYYY-MM-DD");
    return NULL;
  }
  json_object_set(v->out, key, (json_t *)x);
  return json_string_value(x);
}

void est_v_unknown(est_vctx *v, const json_t *body, const char *const *known) {
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)body, key, val) {
    (void)val;
    bool ok = false;
    for (int i = 0; known[i] && !ok; i++) ok = strcmp(known[i], key) == 0;
    if (!ok) {
      char p[300];
      snprintf(p, sizeof p, "/%.250s", key);
      est_v_err(v, p, "unknown field");
    }
  }
}

est_result est_v_open(est_vctx *v, const json_t *body, const char *const *known, char **normalized, json_t **errors) {
  est_result rc = est_v_begin(v, body, normalized, errors);
  if (rc == EST_OK) est_v_unknown(v, body, known);
  return rc;
}

est_result est_v_finish(est_vctx *v, char **normalized) {
  if (v->nerrors) {
    json_decref(v->out);
    return EST_EINVAL;
  }
  *normalized = json_dumps(v->out, JSON_COMPACT);
  json_decref(v->out);
  return *normalized ? EST_OK : EST_ENOMEM;
}

est_result est_v_begin(est_vctx *v, const json_t *body, char **normalized, json_t **errors) {
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

bool est_v_number(est_vctx *v, const json_t *body, const char *key, bool required, bool nullable, double lo, double hi,
                  double *out) {
  const json_t *x = est_v_field(v, body, key, required, nullable);
  if (!x) return false;
  char p[80], msg[96];
  ptr_of(p, sizeof p, key);
  double d = json_number_value(x);
  if (!json_is_number(x) || !isfinite(d) || d < lo || d > hi) {
    snprintf(msg, sizeof msg, "must be a number from %g to %g", lo, hi);
    est_v_err(v, p, msg);
    return false;
  }
  /* As decimal text of 15 significant digits: the store casts it to
   * numeric, so 3.4 stays 3.4 (not the binary double's 3.3999999999999999). */
  char t[40];
  snprintf(t, sizeof t, "%.15g", d);
  json_object_set_new(v->out, key, json_string(t));
  if (out) *out = d;
  return true;
}

void est_v_ids(est_vctx *v, const json_t *body, const char *key, bool required, size_t max, bool nonempty) {
  const json_t *x = est_v_field(v, body, key, required, false);
  if (!x) return;
  char p[80], msg[128];
  ptr_of(p, sizeof p, key);
  if (!json_is_array(x) || json_array_size(x) > max || (nonempty && json_array_size(x) == 0)) {
    snprintf(msg, sizeof msg, "must be an array of %s%zu distinct positive integer ids",
             nonempty ? "1 to " : "at most ", max);
    est_v_err(v, p, msg);
    return;
  }
  for (size_t i = 0; i < json_array_size(x); i++) {
    json_t *e = json_array_get(x, i);
    bool dup = false;
    for (size_t j = 0; j < i && !dup; j++) dup = json_equal(e, json_array_get(x, j));
    if (!json_is_integer(e) || json_integer_value(e) < 1 || dup) {
      snprintf(msg, sizeof msg, "%s/%zu", p, i);
      est_v_err(v, msg, dup ? "duplicate id" : "must be a positive integer id");
      return;
    }
  }
  json_object_set(v->out, key, (json_t *)x);
}

void est_v_strings(est_vctx *v, const json_t *body, const char *key, bool required, size_t max, size_t maxc) {
  const json_t *x = est_v_field(v, body, key, required, false);
  if (!x) return;
  char p[80], msg[128];
  ptr_of(p, sizeof p, key);
  if (!json_is_array(x) || json_array_size(x) > max) {
    snprintf(msg, sizeof msg, "must be an array of at most %zu strings", max);
    est_v_err(v, p, msg);
    return;
  }
  for (size_t i = 0; i < json_array_size(x); i++) {
    json_t *e = json_array_get(x, i);
    const char *s = json_string_value(e);
    char ep[112];
    snprintf(ep, sizeof ep, "%s/%zu", p, i);
    if (!s || strlen(s) != json_string_length(e) || est_utf8_length(s) < 1 || est_utf8_length(s) > maxc) {
      snprintf(msg, sizeof msg, "must be a string of 1 to %zu characters", maxc);
      est_v_err(v, ep, msg);
      return;
    }
    if (est_pnr_contains(s)) {
      est_v_err(v, ep, EST_PNR_DETAIL);
      return;
    }
  }
  json_object_set(v->out, key, (json_t *)x);
}

/* The integer a real stands for, or NULL when it is not integral or out of the int64 range
 * (2^63 is exactly representable: below it the cast is defined). */
static json_t *integral(const json_t *v) {
  if (!json_is_real(v)) return NULL;
  double d = json_real_value(v);
  if (d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0) return NULL;
  return json_integer((json_int_t)d);
}

void est_json_integral_reals(json_t *j) {
  json_t *v, *n;
  if (json_is_object(j)) {
    const char *k;
    json_object_foreach(j, k, v) {
      if ((n = integral(v))) json_object_set_new(j, k, n);
      else est_json_integral_reals(v);
    }
  } else if (json_is_array(j)) {
    for (size_t i = 0; i < json_array_size(j); i++) {
      v = json_array_get(j, i);
      if ((n = integral(v))) json_array_set_new(j, i, n);
      else est_json_integral_reals(v);
    }
  }
}
