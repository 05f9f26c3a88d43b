/* cursor.h - opaque keyset-paging cursors and sort parameters (pure).
 *
 * A cursor is base64url(JSON {"s":sort,"v":last sort value,"i":last id}).
 * It is bound to the sort it was made for: decoding with another sort
 * fails, so a client can't mix pages of different orders. */
#ifndef ESTD_CURSOR_H
#define ESTD_CURSOR_H

#include <stdbool.h>
#include "estd/result.h"

typedef struct est_cursor {
  char sort[32];
  char value[128]; /* "" when the sort key is the id itself */
  long long id;
} est_cursor;

/* Returns a malloc'd cursor string, or NULL on allocation failure. */
char *est_cursor_encode(const char *sort, const char *value, long long id);
/* EST_EINVAL if s is not a cursor made for expected_sort. */
est_result est_cursor_decode(const char *s, const char *expected_sort, est_cursor *out);

/* Parses a sort parameter "field" or "-field" against allowed (NULL-
 * terminated). NULL param selects allowed[0] ascending. *index is the
 * position in allowed, *desc the direction. An allowed entry "-field" has
 * one direction: only "-field" matches it, and when it is allowed[0] a
 * NULL param selects it (descending). */
est_result est_sort_parse(const char *param, const char *const *allowed, int *index, bool *desc);

#endif
