/* healthcheck.h - `estd healthcheck` (app/healthcheck.c). */
#ifndef ESTD_HEALTHCHECK_H
#define ESTD_HEALTHCHECK_H

#include "estd/config.h"

/* HTTP GET path on the configured port (loopback when listening on
 * 0.0.0.0), exit code 0 when it answers 200 within timeout_ms, else 1 with
 * one line on stderr. */
int est_healthcheck_run(const est_config *cfg, const char *path, int timeout_ms);

#endif
