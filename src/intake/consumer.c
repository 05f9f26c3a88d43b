/* consumer.c - placeholder until the Kafka consumer lands (issue 3). */
#include <stddef.h>
#include "estd/intake.h"

est_result est_intake_start(est_intake **out, est_app *app) {
  (void)app;
  *out = NULL;
  return EST_EUNSUPPORTED;
}
bool est_intake_has_assignment(est_intake *in) { return in != NULL; }
void est_intake_stop(est_intake *in, int grace_ms) { (void)in; (void)grace_ms; }
