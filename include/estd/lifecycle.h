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

/* `estd healthcheck`: HTTP GET path on the configured port (loopback when
 * listening on 0.0.0.0), exit code 0 when it answers 200 within
 * timeout_ms, else 1 with one line on stderr. */
int est_healthcheck_run(const est_config *cfg, const char *path, int timeout_ms);

/* Routes the Ulfius/yder diagnostics into the JSON log (serve only). */
void est_log_bridge_init(void);
void est_log_bridge_close(void);

#endif
