/* store.c - the shared store types (see store.h). */
#include "estd/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void est_page_free(est_page *p) {
  free(p->items);
  free(p->next_cursor);
  p->items = p->next_cursor = NULL;
}

void est_doc_free(est_doc *d) {
  free(d->json);
  d->json = NULL;
}

void store_write_error_set(store_write_error *e, const char *field, const char *fmt, ...) {
  if (!e) return;
  snprintf(e->field, sizeof e->field, "%s", field);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->detail, sizeof e->detail, fmt, ap);
  va_end(ap);
}
