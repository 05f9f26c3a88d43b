/* intake.h - the Kafka event consumer running inside `estd serve`.
 *
 * Contract: offsets are stored only after the database transaction that
 * holds the messages has committed (at-least-once delivery, made
 * exactly-once in effect by ON CONFLICT on the event's (source, id)). */
#ifndef ESTD_INTAKE_H
#define ESTD_INTAKE_H

#include <stdbool.h>
#include "estd/app.h"
#include "estd/result.h"

typedef struct est_intake est_intake;

/* Starts the consumer thread (config from app->cfg). */
est_result est_intake_start(est_intake **out, est_app *app);
/* True once the group has assigned this consumer at least one partition
 * (or an empty assignment after a completed rebalance). */
bool est_intake_has_assignment(est_intake *in);
/* Finishes the current batch, commits, leaves the group, frees. */
void est_intake_stop(est_intake *in, int grace_ms);

#endif
