/* csv.c - RFC 4180 CSV fields (see csv.h). */
#include "estd/csv.h"

#include <stdio.h>
#include <string.h>

est_result est_csv_field(est_buf *b, const char *s, bool first_in_row) {
  if (!first_in_row) est_buf_append(b, ",", 1);
  if (s && strpbrk(s, ",\"\r\n") == NULL) {
    est_buf_puts(b, s);
  } else if (s) {
    est_buf_append(b, "\"", 1);
    for (const char *p = s; *p; p++) *p == '"' ? est_buf_append(b, "\"\"", 2) : est_buf_append(b, p, 1);
    est_buf_append(b, "\"", 1);
  }
  return b->oom ? EST_ENOMEM : EST_OK;
}

est_result est_csv_end_row(est_buf *b) {
  est_buf_append(b, "\r\n", 2);
  return b->oom ? EST_ENOMEM : EST_OK;
}

est_result est_csv_row(est_buf *b, const char *const *vals, int n) {
  est_result rc = EST_OK;
  for (int i = 0; rc == EST_OK && i < n; i++) rc = est_csv_field(b, vals[i], i == 0);
  return rc == EST_OK ? est_csv_end_row(b) : rc;
}

const char *est_csv_scalar(const json_t *v, char *buf, size_t n) {
  if (!v || json_is_null(v)) return NULL;
  if (json_is_string(v)) return json_string_value(v);
  if (json_is_integer(v)) {
    snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    return buf;
  }
  if (json_is_real(v)) {
    snprintf(buf, n, "%.15g", json_real_value(v));
    return buf;
  }
  if (json_is_boolean(v)) return json_is_true(v) ? "true" : "false";
  return NULL;
}
