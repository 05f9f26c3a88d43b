/* fuzz_pnr.c - libFuzzer target: personnummer screening over arbitrary
 * text; redaction must remove every match and keep the length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "estd/personnummer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  size_t len = strlen(s);
  bool had = est_pnr_contains(s);
  int n = est_pnr_redact(s);
  if (strlen(s) != len) abort();    /* redaction keeps the length */
  if (had != (n > 0)) abort();      /* contains and redact agree */
  if (est_pnr_contains(s)) abort(); /* nothing left after redaction */
  free(s);
  /* Raw bytes (NULs, JSON escapes): length kept, nothing left, also not
   * once JSON escapes are decoded. */
  unsigned char *raw = malloc(size ? size : 1);
  if (!raw) return 0;
  memcpy(raw, data, size);
  est_pnr_redact_raw(raw, size);
  if (est_pnr_redact_bytes(raw, size) != 0) abort();
  json_t *after = json_loadb((const char *)raw, size, JSON_DECODE_ANY, NULL);
  if (after && est_pnr_screen_json(after, false, NULL, NULL) != 0) abort(); /* decoded: none left */
  json_decref(after);
  free(raw);
  return 0;
}
