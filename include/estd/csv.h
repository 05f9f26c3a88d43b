/* csv.h - RFC 4180 CSV output (domain/csv.c). */
#ifndef ESTD_CSV_H
#define ESTD_CSV_H

#include <stdbool.h>

#include "estd/buf.h"
#include "estd/result.h"

/* Appends one CSV field (RFC 4180: quoted when it contains a comma, quote,
 * CR or LF; quotes doubled) to a growing buffer. NULL s is an empty field.
 * Returns EST_ENOMEM on allocation failure. */
est_result est_csv_field(est_buf *b, const char *s, bool first_in_row);
est_result est_csv_end_row(est_buf *b);

#endif
