/* retention.h - the retention (gallring) schedule inside `estd serve` and
 * `estd retention run` (app/retention.c). The work itself is
 * store_retention_run (store_retention.h); docs/OPERATIONS.md "Retention".
 *
 * A thread runs once shortly after start (ESTD_RETENTION_INTERVAL_S / 10,
 * at most 60 s) and then every ESTD_RETENTION_INTERVAL_S; each run writes
 * its audit row, logs its counts and updates the estd_retention_* metrics.
 * A failed run (database down) is retried at the next tick. The same
 * thread creates the monthly event partitions ahead at start and at every
 * tick (store_event_partitions_ensure), also with retention off. */
#ifndef ESTD_RETENTION_H
#define ESTD_RETENTION_H

#include "estd/app.h"
#include "estd/config.h"
#include "estd/result.h"

typedef struct est_retention est_retention;

/* Starts the schedule (with both retention periods 0 it only keeps the
 * partitions ahead). */
est_result est_retention_start(est_retention **out, est_app *app);
/* Stops the thread (a run in progress finishes first) and frees it. */
void est_retention_stop(est_retention *r);

/* `estd retention run`: one run now against ESTD_DATABASE_URL; prints the
 * counts as JSON. Returns the exit code. */
int est_retention_cli_run(int argc, char **argv, const est_config *cfg);

#endif
