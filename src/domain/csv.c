/* csv.c - RFC 4180 CSV fields (see csv.h). */
#include "estd/csv.h"

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
