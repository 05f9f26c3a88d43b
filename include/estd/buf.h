/* buf.h - a growable byte buffer (pure; the one string builder of estd).
 *
 * Contract: the data is always NUL-terminated once anything was appended;
 * an allocation failure sets `oom`, after which appends are no-ops, so a
 * caller checks once at the end (est_buf_steal returns NULL then). */
#ifndef ESTD_BUF_H
#define ESTD_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct est_buf {
  char *data;
  size_t len, cap;
  bool oom;
} est_buf;

#define EST_BUF_INIT \
  { NULL, 0, 0, false }

/* Makes room for `more` bytes plus the terminator. */
void est_buf_reserve(est_buf *b, size_t more);
void est_buf_append(est_buf *b, const char *s, size_t n);
void est_buf_puts(est_buf *b, const char *s);
void est_buf_printf(est_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s percent-encoded for a URL query (RFC 3986 unreserved kept). */
void est_buf_urlencode(est_buf *b, const char *s);
/* Returns the malloc'd string (caller frees) and resets b; NULL after oom
 * (b is freed either way). An untouched buffer yields "". */
char *est_buf_steal(est_buf *b);
void est_buf_free(est_buf *b);

#endif
