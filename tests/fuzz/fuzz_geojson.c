/* fuzz_geojson.c - libFuzzer target: arbitrary JSON as an area geometry and
 * as an area / area-focus request body. */
#include <stdint.h>
#include <stdlib.h>

#include "estd/area.h"
#include "estd/geojson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
  if (!j) return 0;
  json_t *errors = NULL;
  if (est_geojson_validate_area(j, "/geometry", &errors) == EST_OK) json_decref(est_geojson_normalize(j));
  json_decref(errors);
  for (int patch = 0; patch < 2; patch++) {
    char *norm = NULL;
    errors = NULL;
    (void)est_area_validate(j, patch, &norm, &errors);
    free(norm);
    json_decref(errors);
    norm = NULL;
    errors = NULL;
    (void)est_focus_validate(j, patch, &norm, &errors);
    free(norm);
    json_decref(errors);
  }
  json_decref(j);
  return 0;
}
