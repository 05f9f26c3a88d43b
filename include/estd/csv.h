/* csv.h - RFC 4180 CSV output (domain/csv.c). */
#ifndef ESTD_CSV_H
#define ESTD_CSV_H

#include <jansson.h>
#include <stdbool.h>

#include "estd/buf.h"
#include "estd/result.h"

/* Appends one CSV field (RFC 4180: quoted when it contains a comma, quote,
 * CR or LF; quotes doubled) to a growing buffer. NULL s is an empty field.
 * Returns EST_ENOMEM on allocation failure. */
est_result est_csv_field(est_buf *b, const char *s, bool first_in_row);
est_result est_csv_end_row(est_buf *b);
/* Appends the n fields vals (NULL: an empty field) as one row. */
est_result est_csv_row(est_buf *b, const char *const *vals, int n);
/* The text of a scalar JSON value for a field: a string as it is, a
 * number written into buf (n bytes, >= 40), a boolean as true/false;
 * NULL (an empty field) for null, absent or a container. */
const char *est_csv_scalar(const json_t *v, char *buf, size_t n);

#endif
