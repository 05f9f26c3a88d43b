/* fuzz_cursor.c - libFuzzer target: arbitrary cursor strings; a decoded
 * cursor re-encodes to one that decodes to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "estd/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  est_cursor c;
  if (est_cursor_decode(s, "id", &c) == EST_OK) {
    char *again = est_cursor_encode(c.sort, c.value, c.id);
    est_cursor d;
    if (!again || est_cursor_decode(again, "id", &d) != EST_OK || d.id != c.id || strcmp(d.value, c.value) != 0)
      abort();
    free(again);
  }
  free(s);
  return 0;
}
