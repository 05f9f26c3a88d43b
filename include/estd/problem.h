/* problem.h - RFC 9457 problem documents (pure; no I/O).
 *
 * The type URI of each problem is "/problems/<slug>", relative to the
 * service, documented in openapi.yaml. */
#ifndef ESTD_PROBLEM_H
#define ESTD_PROBLEM_H

#include <jansson.h>
#include "estd/result.h"

/* Slug and title for a result code (e.g. EST_EINVAL -> "validation-error"). */
const char *est_problem_slug(est_result rc);
const char *est_problem_title(est_result rc);

/* New problem object {type,title,status,detail?,instance?,errors?}.
 * errors (may be NULL) is an array of {field, detail} and is stolen.
 * Returns NULL only on allocation failure. Caller owns the result. */
json_t *est_problem_new(est_result rc, int status, const char *detail, const char *instance, json_t *errors);

/* Appends {field, detail} to *errors (creating the array); returns EST_EINVAL. */
est_result est_problem_add_error(json_t **errors, const char *field, const char *detail);

#endif
