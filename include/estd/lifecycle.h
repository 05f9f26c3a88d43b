/* lifecycle.h - process lifecycle of `estd serve`.
 *
 * Signals are blocked in every thread and taken synchronously with
 * sigwait() on the calling thread, never in an async handler. */
#ifndef ESTD_LIFECYCLE_H
#define ESTD_LIFECYCLE_H

#include "estd/config.h"

/* Runs the service until SIGTERM/SIGINT, then drains within the grace
 * period. Returns the process exit code. */
int est_serve_run(const est_config *cfg);

#endif
