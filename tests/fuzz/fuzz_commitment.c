/* fuzz_commitment.c - libFuzzer target: arbitrary JSON as a commitment
 * body, as a merge patch (RFC 7396) and as a patched document. */
#include <stdint.h>

#include "estd/commitment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
  if (!j) return 0;
  est_commitment_input in;
  json_t *errors = NULL;
  (void)est_commitment_parse(j, EST_COMMITMENT_CREATE, &in, &errors);
  json_decref(errors);
  errors = NULL;
  if (est_commitment_patch_check(j, &errors) == EST_OK) {
    json_t *merged = est_json_merge_patch(j, j);
    json_t *e2 = NULL;
    if (merged) (void)est_commitment_parse(merged, EST_COMMITMENT_MERGED, &in, &e2);
    json_decref(e2);
    json_decref(merged);
  }
  json_decref(errors);
  json_decref(j);
  return 0;
}
