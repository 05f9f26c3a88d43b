/* fuzz_event.c - libFuzzer target: arbitrary Kafka message bytes through
 * CloudEvents/police-feed parsing and the admission policy (binding,
 * registry with stub look-ups, personnummer screening of every text,
 * plausibility). Must never crash, leak or trip a sanitizer; every input
 * either is admitted or yields a reason with field errors, and an admitted
 * event carries no personnummer in any text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "estd/admit.h"
#include "estd/event.h"
#include "estd/personnummer.h"

static est_result party(void *arg, const char *code, long long *id) {
  (void)arg;
  *id = (long long)strlen(code) + 1; /* every code is "known" */
  return code[0] == 'x' ? EST_ENOTFOUND : EST_OK;
}
static est_result source(void *arg, long long party_id, const char *src) {
  (void)arg, (void)party_id;
  return strncmp(src, "urn:", 4) == 0 ? EST_OK : EST_ENOTFOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  est_event ev = {0};
  json_t *errors = NULL;
  est_event_reason r = est_event_from_message(data, size, NULL, 0, &ev, &errors);
  if (r == 0) {
    est_admit_lookup lk = {.party = party, .source = source};
    est_admit_policy pol = {.bound_code = size % 2 ? "ab-bostader" : NULL,
                            .bound_enforced = size % 2 == 1,
                            .channel = "topic fuzz",
                            .redact = size % 3 != 0,
                            .now_s = 1767225600LL,
                            .max_future_s = 300};
    est_result rc;
    if (est_event_admit(&ev, &pol, &lk, &errors, &rc) == EST_REASON_NONE && rc == EST_OK) {
      if (ev.party_id == 0) abort();
      const char *texts[] = {ev.id, ev.source, ev.subject, ev.description, ev.place_name, ev.attributes};
      for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if (texts[i] && est_pnr_contains(texts[i])) abort(); /* admitted = screened */
    }
  }
  est_event_free(&ev);
  json_decref(errors);
  /* binary mode: the bytes become `data`, the attributes come from headers */
  static const est_event_header h[] = {{"ce_specversion", "1.0", 3},
                                       {"ce_id", "f-1", 3},
                                       {"ce_source", "urn:fuzz", 8},
                                       {"ce_type", "se.est.incident.v1", 18},
                                       {"ce_time", "2024-03-31T02:30:00+01:00", 25},
                                       {"ce_party", "ab-bostader", 11}};
  est_event ev2 = {0};
  errors = NULL;
  (void)est_event_from_message(data, size, h, sizeof h / sizeof *h, &ev2, &errors);
  est_event_free(&ev2);
  json_decref(errors);
  return 0;
}
