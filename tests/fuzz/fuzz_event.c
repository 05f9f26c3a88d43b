/* fuzz_event.c - libFuzzer target: arbitrary Kafka message bytes through
 * CloudEvents/police-feed parsing and personnummer screening. Must never
 * crash, leak or trip a sanitizer; every input either parses or yields a
 * reason with field errors. */
#include <stddef.h>
#include <stdint.h>

#include "estd/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  est_event ev = {0};
  json_t *errors = NULL;
  est_event_reason r = est_event_from_message(data, size, NULL, 0, &ev, &errors);
  if (r == 0) (void)est_event_screen(&ev, true, &errors);
  est_event_free(&ev);
  json_decref(errors);
  /* binary mode: the bytes become `data`, the attributes come from headers */
  static const est_event_header h[] = {{"ce_specversion", "1.0", 3}, {"ce_id", "f-1", 3},
                                       {"ce_source", "urn:fuzz", 8}, {"ce_type", "se.est.incident.v1", 18},
                                       {"ce_time", "2024-03-31T02:30:00+01:00", 25}, {"ce_party", "ab-bostader", 11}};
  est_event ev2 = {0};
  errors = NULL;
  (void)est_event_from_message(data, size, h, sizeof h / sizeof *h, &ev2, &errors);
  est_event_free(&ev2);
  json_decref(errors);
  return 0;
}
