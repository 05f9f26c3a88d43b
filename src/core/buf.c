/* buf.c - growable byte buffer (see buf.h). */
#include "estd/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void est_buf_reserve(est_buf *b, size_t more) {
  if (b->oom || b->len + more + 1 <= b->cap) return;
  size_t nc = b->cap ? b->cap : 256;
  while (nc < b->len + more + 1) nc *= 2;
  char *np = realloc(b->data, nc);
  if (!np) {
    b->oom = true;
    return;
  }
  b->data = np;
  b->cap = nc;
}

void est_buf_append(est_buf *b, const char *s, size_t n) {
  est_buf_reserve(b, n);
  if (b->oom) return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void est_buf_puts(est_buf *b, const char *s) { est_buf_append(b, s, strlen(s)); }

void est_buf_printf(est_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->oom = true;
    return;
  }
  est_buf_reserve(b, (size_t)n);
  if (b->oom) return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void est_buf_urlencode(est_buf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      est_buf_append(b, (const char *)&c, 1);
    } else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      est_buf_append(b, e, 3);
    }
  }
}

char *est_buf_steal(est_buf *b) {
  char *out = NULL;
  if (!b->oom) out = b->data ? b->data : strdup("");
  else free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->oom = false;
  return out;
}

void est_buf_free(est_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->oom = false;
}
