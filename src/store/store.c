/* store.c - the shared store types (see store.h). */
#include "estd/store.h"

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
